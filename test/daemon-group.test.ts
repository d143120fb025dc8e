import { Testing, TerraformStack } from 'cdktf';
import { ApacheSite, AppProfile, DaemonGroup, Platform, VirtualEnv, WsgiApp } from '../lib';
import { FIXTURE_APP, newGroup, newSite, warningsOf as warnings } from './util';

describe('DaemonGroup', () => {
  test('resolves mod_wsgi-express production defaults once', () => {
    const { site } = newSite();
    const group = newGroup(site, 'Api');
    expect(group.name).toBe('api');
    expect(group.profile).toBe(AppProfile.IO_BOUND);
    expect(group.threads).toBe(32);
    expect(group.processes).toBeUndefined();
    expect(group.toSpec().processesFromHostCpus).toBe(true);
    expect(group.user).toBe('wsgi-api');
    expect(group.options).toEqual({
      listenBacklog: 100, queueTimeoutSec: 45, socketTimeoutSec: 60, connectTimeoutSec: 15, requestTimeoutSec: 60,
      startupTimeoutSec: 15, deadlockTimeoutSec: 60, gracefulTimeoutSec: 15, shutdownTimeoutSec: 5,
    });
  });

  test('0 switches a defaulted option off', () => {
    const { site } = newSite();
    const group = newGroup(site, 'Api', { requestTimeoutSec: 0 });
    expect(group.options.requestTimeoutSec).toBeUndefined();
  });

  test.each([
    ['processes', { processes: 0 }, /processes 0 is invalid; expected an integer from 1 to 256/],
    ['processes', { processes: 1.5 }, /processes 1.5 is invalid/],
    ['threads', { threads: 513 }, /threads 513 is invalid; expected an integer from 1 to 512/],
    ['queueTimeoutSec', { queueTimeoutSec: -1 }, /queueTimeoutSec -1 is invalid/],
    ['listenBacklog', { listenBacklog: 70000 }, /listenBacklog 70000 is invalid/],
  ])('fails on %s out of range', (_prop, props, message) => {
    const { site } = newSite();
    expect(() => newGroup(site, 'Api', props)).toThrow(message);
  });

  test('fails naming the construct path', () => {
    const { site } = newSite();
    expect(() => newGroup(site, 'Api', { threads: 0 })).toThrow(/^test\/Site\/Api: threads 0 is invalid/);
  });

  test('fails on an option the platform\'s mod_wsgi lacks', () => {
    // GIVEN Debian 12's mod_wsgi 4.9.4, which has no interrupt-timeout
    const { site } = newSite();
    // THEN asking for it fails at construct time instead of at Apache start
    expect(() => newGroup(site, 'Api', { interruptTimeoutSec: 5 })).toThrow(/interrupt-timeout needs mod_wsgi 6.0.0 or later and debian-12-libapache2-mod-wsgi-py3 has 4.9.4/);
  });

  test('fails on a venv of another Python than the platform\'s mod_wsgi', () => {
    // GIVEN a venv pinned to 3.12 on Debian 12 (mod_wsgi linked to 3.11)
    const { stack, site } = newSite();
    const env = new VirtualEnv(stack, 'Env', { pythonVersion: '3.12' });
    // THEN the mismatch, which would fail silently at request time, is an error now
    expect(() => new DaemonGroup(site, 'Api', { virtualEnv: env })).toThrow(/virtualEnv "test\/Env \(Python 3.12\)" is invalid; expected a venv of Python 3.11/);
  });

  test('accepts a venv of the platform\'s Python', () => {
    const { stack, site } = newSite({ platform: Platform.UBUNTU_24_04 });
    const env = new VirtualEnv(stack, 'Env', { pythonVersion: '3.12' });
    expect(new DaemonGroup(site, 'Api', { virtualEnv: env }).virtualEnv).toBe(env);
  });

  test('fails on a duplicate group name in the site', () => {
    const { site } = newSite();
    newGroup(site, 'Api');
    expect(() => newGroup(site, 'Other', { name: 'api' })).toThrow(/name "api" is invalid; expected a daemon group name unique in the site \(already used by test\/Site\/Api\)/);
  });

  test('fails on an invalid name', () => {
    const { site } = newSite();
    expect(() => newGroup(site, 'Api', { name: 'has space' })).toThrow(/name "has space" is invalid/);
  });

  test('fails on root as the daemon user', () => {
    const { site } = newSite();
    expect(() => newGroup(site, 'Api', { user: 'root' })).toThrow(/user "root" is invalid; expected a non-root user/);
  });

  test('fails outside an ApacheSite', () => {
    const stack = new TerraformStack(Testing.app(), 'test');
    expect(() => new DaemonGroup(stack, 'Api', { virtualEnv: new VirtualEnv(stack, 'Env') })).toThrow(/^test\/Api: scope "test" is invalid; expected an ApacheSite or a construct inside one/);
  });

  test('fails without a VirtualEnv', () => {
    const { site } = newSite();
    expect(() => new DaemonGroup(site, 'Api', { virtualEnv: undefined as any })).toThrow(/virtualEnv undefined is invalid; expected a VirtualEnv construct/);
  });

  test('warns on maximumRequests without graceful-timeout', () => {
    const { site } = newSite();
    const group = newGroup(site, 'Api', { maximumRequests: 1000, gracefulTimeoutSec: 0 });
    expect(warnings(group)).toEqual([expect.stringMatching(/maximumRequests without gracefulTimeoutSec/)]);
  });

  test('warns at synth when a group runs no app', () => {
    const { stack, site } = newSite();
    new WsgiApp(site, 'A', { mountPath: '/', source: FIXTURE_APP, scriptFile: 'wsgi.py', daemonGroup: newGroup(site, 'Used') });
    const idle = newGroup(site, 'Idle');
    Testing.synth(stack, true);
    expect(warnings(idle)).toEqual([expect.stringMatching(/daemon group idle runs no WsgiApp/)]);
  });

  test('is found by ApacheSite.of from nested scopes', () => {
    const { site } = newSite();
    expect(ApacheSite.of(newGroup(site, 'Api'))).toBe(site);
  });
});
