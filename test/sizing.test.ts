import { AppProfile, hostFactsConf, option, renderConf, directive, standaloneConf, variable, WsgiApp } from '../lib';
import { FIXTURE_APP, newGroup, newSite } from './util';
import { Ec2Host } from '../lib/aws';
import { DockerHost } from '../lib/docker';
import { ec2InstanceVcpus } from '../lib/platform/instance-types';

function siteWith(props: Parameters<typeof newGroup>[2] = {}) {
  const { stack, site } = newSite();
  const group = newGroup(site, 'Api', props);
  new WsgiApp(site, 'App', { mountPath: '/', source: FIXTURE_APP, scriptFile: 'wsgi.py', daemonGroup: group });
  return { stack, site, group };
}

describe('threads from the app profile', () => {
  test('an I/O-bound app (the default) gets 32 threads per process', () => {
    expect(siteWith().group.threads).toBe(32);
  });

  test('a CPU-bound app gets 4 threads per process', () => {
    expect(siteWith({ profile: AppProfile.CPU_BOUND }).group.threads).toBe(4);
  });

  test('explicit threads win over the profile', () => {
    expect(siteWith({ profile: AppProfile.IO_BOUND, threads: 3 }).group.threads).toBe(3);
  });

  test('fails on a profile that is not an AppProfile', () => {
    expect(() => siteWith({ profile: { name: 'FAST', threadsPerProcess: 1000 } as any }))
      .toThrow(/test\/Site\/Api: profile .* is invalid; expected an AppProfile/);
  });
});

describe('processes from the host', () => {
  test('with no host known at synth, processes= reads the host CPU count Apache gets from the host facts file', () => {
    const { site } = siteWith();
    const files = site.renderConfigFiles();
    expect(files['site.conf']).toMatch(/WSGIDaemonProcess api .* processes=\$\{WSGI_HOST_PROCESSES\} threads=32 /);
    expect(files['server.conf']).toContain('\nInclude /srv/wsgi/site/host.conf\n');
  });

  test('an Ec2Host of a known instance type fixes processes at synth (2 per vCPU): the config names no host variable', () => {
    const { stack, site } = siteWith();
    new Ec2Host(stack, 'Host', { site, amiId: 'ami-12345678', instanceType: 'c6i.2xlarge' });
    const files = site.renderConfigFiles();
    expect(files['site.conf']).toMatch(/WSGIDaemonProcess api .* processes=16 threads=32 /);
    expect(files['site.conf']).not.toContain('WSGI_HOST_PROCESSES');
    expect(files['server.conf']).not.toContain('Include');
    // 10 + 1.5 x 16 x 32 = 778 Apache workers, in two children of 389
    expect(site.maxRequestWorkers).toBe(778);
    expect(files['server.conf']).toContain('    ThreadsPerChild 389\n');
  });

  test('an Ec2Host of an unknown instance type leaves processes to the host', () => {
    const { stack, site } = siteWith();
    new Ec2Host(stack, 'Host', { site, amiId: 'ami-12345678', instanceType: 'p4d.24xlarge' });
    expect(site.renderConfigFiles()['site.conf']).toContain('processes=${WSGI_HOST_PROCESSES}');
  });

  test('a site on an Ec2Host and a DockerHost reads processes on each host', () => {
    const { stack, site } = siteWith();
    new Ec2Host(stack, 'Host', { site, amiId: 'ami-12345678', instanceType: 't3.small' });
    new DockerHost(stack, 'Docker', { site });
    expect(site.hostCpus).toBeUndefined();
    expect(site.renderConfigFiles()['site.conf']).toContain('processes=${WSGI_HOST_PROCESSES}');
  });

  test('explicit processes win over the host', () => {
    const { stack, site } = siteWith({ processes: 3 });
    new Ec2Host(stack, 'Host', { site, amiId: 'ami-12345678', instanceType: 'c6i.2xlarge' });
    expect(site.renderConfigFiles()['site.conf']).toMatch(/processes=3 threads=32 /);
  });

  test('singleProcess leaves processes= out (wsgi.multiprocess False) and needs no host facts', () => {
    // GIVEN a single-process group on a host known at synth
    const { stack, site, group } = siteWith({ singleProcess: true });
    new Ec2Host(stack, 'Host', { site, amiId: 'ami-12345678', instanceType: 'c6i.2xlarge' });
    // WHEN rendered
    const files = site.renderConfigFiles();
    // THEN no processes= option, one process of 32 threads counted for Apache's workers
    expect(files['site.conf']).toMatch(/WSGIDaemonProcess api .* threads=32 /);
    expect(files['site.conf']).not.toContain('processes=');
    expect(group.capacity).toBe(32);
    expect(site.toSpec().groups[0].processesFromHostCpus).toBe(false);
  });

  test('fails on singleProcess together with processes', () => {
    expect(() => siteWith({ singleProcess: true, processes: 2 }))
      .toThrow(/test\/Site\/Api: singleProcess .* is invalid; expected singleProcess or processes, not both/);
  });

  test('a standalone config defines the processes itself (2 per CPU), before the server settings', () => {
    const { site } = siteWith();
    const text = renderConf(standaloneConf(site.toSpec(), site.deployedLayout({ hostFactsFile: '/ignored/host.conf' }), {
      serverRoot: '/tmp/x', pidFile: '/tmp/x/pid', listenAddress: '127.0.0.1', port: 8080, modules: {}, errorLog: '/tmp/x/error.log', cpus: 6,
    }));
    expect(text).toContain('\nDefine WSGI_HOST_PROCESSES 12\n');
    expect(text).not.toContain('/ignored/host.conf');
    expect(text.indexOf('Define WSGI_HOST_PROCESSES')).toBeLessThan(text.indexOf('WSGIDaemonProcess'));
  });
});

describe('ec2InstanceVcpus', () => {
  test.each([
    ['t3.small', 2], ['t3.micro', 2], ['t2.micro', 1], ['t2.medium', 2], ['t4g.xlarge', 4], ['m6g.medium', 1],
    ['m5.large', 2], ['c6i.2xlarge', 8], ['r7g.16xlarge', 64], ['m5zn.12xlarge', 48], ['c7i.48xlarge', 192],
  ])('%s has %d vCPUs', (type, vcpus) => {
    expect(ec2InstanceVcpus(type)).toBe(vcpus);
  });

  test.each(['m7i.metal-24xl', 'p4d.24xlarge', 'x2idn.32xlarge', 'mac1.metal', 'nonsense'])('%s is not in the table', (type) => {
    expect(ec2InstanceVcpus(type)).toBeUndefined();
  });
});

describe('host facts', () => {
  test('hostFactsConf writes the one Define line a host provides: 2 processes per CPU', () => {
    expect(hostFactsConf(4)).toBe('Define WSGI_HOST_PROCESSES 8\n');
  });

  test('fails on a CPU count below 1', () => {
    expect(() => hostFactsConf(0)).toThrow(/host CPU count 0 is invalid/);
  });

  test('a variable option renders as ${NAME} and only with a library-style name', () => {
    expect(renderConf([directive('WSGIDaemonProcess', 'g', option('processes', variable('WSGI_HOST_PROCESSES')))])).toBe('WSGIDaemonProcess g processes=${WSGI_HOST_PROCESSES}\n');
    expect(() => renderConf([directive('X', option('processes', variable('A}; Require all granted')))])).toThrow(/not a valid Apache variable name/);
  });
});
