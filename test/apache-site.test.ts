import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Testing, TerraformStack, TerraformVariable } from 'cdktf';
import { ApacheSite, LogLevel, Platform, VirtualEnv, WsgiApp } from '../lib';
import { FIXTURE_APP, newGroup, newSite, warningsOf } from './util';

describe('ApacheSite', () => {
  test('resolves production defaults once', () => {
    const { site } = newSite();
    expect(site.siteName).toBe('site');
    expect(site.port).toBe(80);
    expect(site.restrictEmbedded).toBe(true);
    expect(site.timeoutSec).toBe(60);
    expect(site.keepAliveTimeoutSec).toBe(2);
    expect(site.limitRequestBodyBytes).toBe(10_485_760);
    expect(site.requestReadTimeout).toEqual({ headerSec: 15, headerMaxSec: 30, bodySec: 15, minRateBytesPerSec: 500 });
    expect(site.logLevel).toBe(LogLevel.WARN);
    expect(site.trustedProxies).toEqual([]);
  });

  test('sizes MaxRequestWorkers from the sum over all daemon groups, at least 256', () => {
    const { site } = newSite();
    newGroup(site, 'A', { processes: 2, threads: 5 });
    newGroup(site, 'B', { threads: 15 });
    expect(site.maxRequestWorkers).toBe(256);
    // GIVEN a third group of 4 x 64 THEN 10 + 1.5 x (10 + 15 + 256) = 432
    newGroup(site, 'C', { processes: 4, threads: 64 });
    expect(site.maxRequestWorkers).toBe(432);
  });

  test('fails at synth when the site has no app', () => {
    const { stack } = newSite();
    expect(() => Testing.synth(stack, true)).toThrow(/test\/Site: the site has no WsgiApp/);
  });

  test('fails at synth when two venvs of one site share a name', () => {
    const { stack, site } = newSite();
    const a = newGroup(site, 'A', { virtualEnv: new VirtualEnv(stack, 'E1', { venvName: 'env' }) });
    const b = newGroup(site, 'B', { virtualEnv: new VirtualEnv(stack, 'E2', { venvName: 'env' }) });
    new WsgiApp(site, 'AppA', { mountPath: '/a', source: FIXTURE_APP, scriptFile: 'wsgi.py', daemonGroup: a });
    new WsgiApp(site, 'AppB', { mountPath: '/b', source: FIXTURE_APP, scriptFile: 'wsgi.py', daemonGroup: b });
    expect(() => Testing.synth(stack, true)).toThrow(/test\/E2: venvName "env" is also used by test\/E1/);
  });

  test('lets two groups share one venv', () => {
    const { stack, site } = newSite();
    const env = new VirtualEnv(stack, 'Env');
    const a = newGroup(site, 'A', { virtualEnv: env });
    const b = newGroup(site, 'B', { virtualEnv: env });
    new WsgiApp(site, 'AppA', { mountPath: '/a', source: FIXTURE_APP, scriptFile: 'wsgi.py', daemonGroup: a });
    new WsgiApp(site, 'AppB', { mountPath: '/b', source: FIXTURE_APP, scriptFile: 'wsgi.py', daemonGroup: b });
    expect(site.virtualEnvs).toEqual([env]);
    expect(() => Testing.synth(stack, true)).not.toThrow();
  });

  test.each([
    ['serverName', { serverName: 'bad host' }, /serverName "bad host" is invalid; expected a DNS host name/],
    ['serverName', { serverName: 'a.example\nTraceEnable On' }, /serverName "a.example\\nTraceEnable On" is invalid/],
    ['serverAliases', { serverAliases: ['ok.example', 'x"y'] }, /serverAliases\[1\] "x\\"y" is invalid/],
    ['port', { port: 0 }, /port 0 is invalid; expected an integer from 1 to 65535/],
    ['siteName', { siteName: 'My Site' }, /siteName "My Site" is invalid/],
    ['limitRequestBodyBytes', { limitRequestBodyBytes: -5 }, /limitRequestBodyBytes -5 is invalid/],
    ['trustedProxies', { trustedProxies: ['0.0.0.0/0'] }, /trustedProxies\[0\] "0.0.0.0\/0" is invalid; expected the address or narrow CIDR block of your proxy/],
    ['trustedProxies', { trustedProxies: ['::/0'] }, /trustedProxies\[0\] "::\/0" is invalid/],
    ['serverAdmin', { serverAdmin: 'not an email' }, /serverAdmin "not an email" is invalid; expected an email address/],
    ['requestReadTimeout', { requestReadTimeout: { headerSec: 40 } }, /requestReadTimeout.headerMaxSec 30 is invalid; expected more than headerSec \(40\)/],
    // From JavaScript a string can stand where an enum-like class is expected.
    ['logLevel', { logLevel: 'warn' }, /test\/Site: logLevel "warn" is invalid; expected a LogLevel such as LogLevel.WARN/],
    ['platform', { platform: 'debian-12' }, /test\/Site: platform "debian-12" is invalid; expected a Platform such as Platform.DEBIAN_12/],
    ['platform', { platform: undefined }, /test\/Site: platform undefined is invalid; expected a Platform/],
  ])('fails on a bad %s', (_prop, props, message) => {
    expect(() => newSite(props as any)).toThrow(message);
  });

  test('fails on a Terraform token, which cannot be written into the config', () => {
    const { stack } = newSite();
    const token = new TerraformVariable(stack, 'name', { type: 'string' }).stringValue;
    expect(() => new ApacheSite(stack, 'Other', { platform: Platform.DEBIAN_12, serverName: token }))
      .toThrow(/test\/Other: serverName .* is invalid; expected a literal value/);
  });

  test('warns when embedded mode is allowed', () => {
    const { site } = newSite({ restrictEmbedded: false });
    expect(warningsOf(site)).toEqual([expect.stringMatching(/restrictEmbedded is false/)]);
  });

  test('writes the rendered config under the stack output at synth', () => {
    // GIVEN a real app synthesized to a temporary directory
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdktf-apache-wsgi-'));
    try {
      const app = new App({ outdir });
      const stack = new TerraformStack(app, 'web');
      const site = new ApacheSite(stack, 'Site', { platform: Platform.DEBIAN_12, serverName: 'example.com' });
      new WsgiApp(site, 'App', { mountPath: '/', source: FIXTURE_APP, scriptFile: 'wsgi.py', daemonGroup: newGroup(site, 'G') });
      // WHEN it synthesizes
      app.synth();
      // THEN apache/<site>/ holds the same text renderConfigFiles returns
      const dir = path.join(outdir, 'stacks', 'web', 'apache', 'site');
      expect(fs.readdirSync(dir).sort()).toEqual(['server.conf', 'site.conf']);
      expect(fs.readFileSync(path.join(dir, 'site.conf'), 'utf8')).toBe(site.renderConfigFiles()['site.conf']);
      expect(fs.readFileSync(path.join(dir, 'site.conf'), 'utf8')).toMatch(/^# Generated by cdktf-apache-wsgi from web\/Site for debian-12/);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });
});
