import * as fs from 'fs';
import * as path from 'path';
import { Testing, TerraformStack } from 'cdktf';
import { ApacheSite, DaemonGroup, Platform, RunningSite, startLocalSite, VirtualEnv, WsgiApp } from '../../lib';
import { request } from '../integration/http';

const HELLO = path.join(__dirname, '..', '..', 'examples', 'apps', 'hello');

/** Files under `dir` (recursively) whose name ends in .sock. */
function sockets(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? sockets(full) : e.isSocket() && e.name.endsWith('.sock') ? [full] : [];
  });
}

// The hardened defaults as a client and the host see them, on real Apache + mod_wsgi.
describe('hardened defaults on a served site', () => {
  let run: RunningSite;

  beforeAll(async () => {
    // GIVEN the hello app at /app with a static directory, security headers opted in, nothing mapped at /
    const stack = new TerraformStack(Testing.app(), 'hardening');
    const site = new ApacheSite(stack, 'Site', { platform: Platform.DEBIAN_12, serverName: 'hardening.example', securityHeaders: true });
    const group = new DaemonGroup(site, 'Web', { virtualEnv: new VirtualEnv(stack, 'Env') });
    new WsgiApp(site, 'WebApp', {
      mountPath: '/app', source: HELLO, scriptFile: 'wsgi.py', daemonGroup: group,
      staticFiles: [{ urlPath: '/static', directory: 'static' }],
    });
    run = await startLocalSite(site);
  });

  afterAll(async () => {
    await run?.stop();
  });

  test('the Server header names the product only (ServerTokens Prod)', async () => {
    const res = await request(`${run.url}/app`);
    expect([res.status, res.headers.server]).toEqual([200, 'Apache']);
  });

  test('TRACE is refused with 405 (TraceEnable Off)', async () => {
    expect((await request(`${run.url}/app`, { method: 'TRACE' })).status).toBe(405);
  });

  test('an unmapped path is not served and the error page carries no signature', async () => {
    // WHEN the server root, outside every mapped path, is requested
    const res = await request(`${run.url}/`);
    // THEN it is refused without a version or listing in the body
    expect(res.status === 403 || res.status === 404).toBe(true);
    expect(res.body).not.toMatch(/Apache\/2|Index of/);
  });

  test('a static directory is never listed', async () => {
    const res = await request(`${run.url}/static/`);
    expect(res.status === 403 || res.status === 404).toBe(true);
    expect(res.body).not.toMatch(/Index of|style\.css/);
  });

  test('a static file is served', async () => {
    expect((await request(`${run.url}/static/style.css`)).status).toBe(200);
  });

  test('security headers come on app responses and on error responses', async () => {
    for (const url of [`${run.url}/app`, `${run.url}/`]) {
      const res = await request(url);
      expect([res.headers['x-content-type-options'], res.headers['x-frame-options'], res.headers['content-security-policy']])
        .toEqual(['nosniff', 'DENY', "default-src 'self'"]);
    }
  });

  test('the daemon socket gives other users no access', async () => {
    // WHEN the socket files mod_wsgi created are inspected
    const found = sockets(run.workDir);
    // THEN there is one for the group, and it has no permission bits for "other"
    expect(found.length).toBeGreaterThan(0);
    expect(found.map((s) => (fs.statSync(s).mode & 0o007).toString(8))).toEqual(found.map(() => '0'));
  });
});
