import * as fs from 'fs';
import * as path from 'path';
import { freePort } from '../../lib';
import { cli } from '../integration/cli-process';
import { request } from '../integration/http';
import { BootedRoot, startReady, Started, standin, tearDownBoot, TestNetns } from './first-boot';

/**
 * What `render` writes for people who provision without Terraform, booted for
 * real: a Debian 12 root under systemd-nspawn with the rendered cloud-init.yaml
 * as its NoCloud seed. Nothing of AWS is involved; apt reaches Debian through a
 * local HTTP proxy (the namespace has no other way out).
 */
describe('render: the cloud-config provisions the site on first boot', () => {
  const work = fs.mkdtempSync('/var/tmp/caw-render-boot-');
  const root = path.join(work, 'root');
  const netns = TestNetns.allocate();
  const procs: Started[] = [];
  let booted: BootedRoot;
  let log = '';

  beforeAll(async () => {
    // GIVEN the two-app example rendered without Terraform
    const rendered = cli(['render', 'examples/main.ts', '--site', 'two-apps/Site', '--out', path.join(work, 'out')]);
    expect({ status: rendered.status, stderr: rendered.stderr }).toEqual({ status: 0, stderr: '' });
    const userData = fs.readFileSync(path.join(work, 'out', 'two-apps', 'Site', 'cloud-init.yaml'), 'utf8');
    const proxyPort = await freePort();
    procs.push(await startReady(standin('proxy', netns.hostAddress, proxyPort)));
    // WHEN a root boots with it
    fs.mkdirSync(root);
    booted = new BootedRoot({ root, netns, userData, aptProxy: `http://${netns.hostAddress}:${proxyPort}`, cloudFinalEnvironment: {} });
    log = await booted.waitForCloudInit(300_000);
  }, 420_000);

  afterAll(async () => {
    await tearDownBoot([booted], procs, [netns], work);
  }, 60_000);

  test('cloud-init unpacks the bundle and runs the recipe without errors', () => {
    expect(log).toContain('[provision] mod_wsgi links Python 3.11');
    expect(log).toContain('[provision] site site provisioned');
    const result = JSON.parse(fs.readFileSync(path.join(root, 'var/lib/cloud/data/result.json'), 'utf8'));
    expect(result.v1.errors).toEqual([]);
    // The inline archive is removed once unpacked.
    expect(fs.existsSync(path.join(root, 'opt/cdktf-apache-wsgi/site.tar.gz'))).toBe(false);
  });

  test('every app is served by the booted machine, Apache under systemd', async () => {
    for (const url of ['/api', '/']) {
      expect([url, (await request(`http://${netns.address}:80${url}`)).status]).toEqual([url, 200]);
    }
    expect(String(booted.run(['systemctl', 'is-active', 'apache2']).stdout).trim()).toBe('active');
  });
});
