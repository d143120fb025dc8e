import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdktf';
import { TwoAppsStack } from '../../examples/two-apps/main';
import { freePort, siteBundle, StartMode, writeBundle } from '../../lib';
import { provisionInputOf } from '../../lib/private/provision-input';
import { getJson, request } from '../integration/http';
import { removeDebianRoot, unpackDebianRoot } from './debian-root';

const BUNDLE_DIR = '/opt/cdktf-apache-wsgi/site';

// The provisioning recipe Docker and EC2 hosts run, executed for real on a
// fresh Debian 12 root (debootstrap), then the resulting Apache is hit over HTTP.
describe('provisioning recipe on a Debian 12 root', () => {
  const root = fs.mkdtempSync('/var/tmp/caw-root-');
  let port: number;
  let provision: ReturnType<typeof spawnSync>;

  beforeAll(async () => {
    port = await freePort();
    unpackDebianRoot(root);
    const stack = new TwoAppsStack(Testing.app(), 'two-apps');
    writeBundle(siteBundle(provisionInputOf(stack.site), { port, startMode: StartMode.BACKGROUND, bundleDir: BUNDLE_DIR }), path.join(root, BUNDLE_DIR));
    provision = spawnSync('chroot', [root, '/bin/sh', `${BUNDLE_DIR}/provision.sh`], { encoding: 'utf8', timeout: 600_000 });
  }, 900_000);

  afterAll(() => {
    spawnSync('chroot', [root, 'apache2ctl', '-k', 'stop']);
    // Apache's parent removes its pid file once the children are gone.
    for (let i = 0; i < 50 && fs.existsSync(path.join(root, 'run', 'apache2', 'apache2.pid')); i++) {
      execFileSync('sleep', ['0.1']);
    }
    removeDebianRoot(root);
  });

  test('the recipe succeeds, checks the config and health-checks every app', () => {
    expect(provision.stderr).toBe('');
    expect(provision.stdout).toContain('[provision] mod_wsgi links Python 3.11');
    expect(provision.stdout).toContain(`[health] ok   http://127.0.0.1:${port}/api -> 200`);
    expect(provision.stdout).toContain(`[health] ok   http://127.0.0.1:${port}/ -> 200`);
    expect(provision.status).toBe(0);
  });

  test('each app answers from its own daemon group and venv under /srv', async () => {
    const api = await getJson(`http://127.0.0.1:${port}/api/env`);
    const web = await getJson(`http://127.0.0.1:${port}/env`);
    expect([api.process_group, api.application_group, api.prefix]).toEqual(['api', '', '/srv/wsgi/site/venvs/api-env']);
    expect([web.process_group, web.application_group, web.prefix]).toEqual(['web', '', '/srv/wsgi/site/venvs/web-env']);
  });

  test('daemon processes run as their dedicated non-root users', () => {
    const passwd = fs.readFileSync(path.join(root, 'etc', 'passwd'), 'utf8');
    const uidOf = (user: string) => Number(passwd.split('\n').find((l) => l.startsWith(`${user}:`))!.split(':')[2]);
    const daemonUids = (group: string) => fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).flatMap((p) => {
      try {
        const argv0 = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0')[0];
        const rootOf = fs.readlinkSync(`/proc/${p}/root`);
        return argv0.startsWith(`(wsgi:${group})`) && rootOf === root
          ? [Number(/^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'))![1])] : [];
      } catch {
        return [];
      }
    });
    expect(new Set(daemonUids('api'))).toEqual(new Set([uidOf('wsgi-api')]));
    expect(new Set(daemonUids('web'))).toEqual(new Set([uidOf('wsgi-web')]));
    expect(uidOf('wsgi-api')).not.toBe(0);
  });

  test('app code is root-owned and not writable by the daemon users', () => {
    const stat = fs.statSync(path.join(root, 'srv', 'wsgi', 'site', 'apps', 'api-app', 'wsgi.py'));
    expect([stat.uid, stat.mode & 0o022]).toEqual([0, 0]);
  });

  test('the document root Apache falls back to is empty', () => {
    expect(fs.readdirSync(path.join(root, 'srv', 'wsgi', 'site', 'htdocs'))).toEqual([]);
  });

  test('static files are served and the default site is gone', async () => {
    expect((await request(`http://127.0.0.1:${port}/static/style.css`)).status).toBe(200);
    expect(fs.existsSync(path.join(root, 'etc', 'apache2', 'sites-enabled', '000-default.conf'))).toBe(false);
  });
});
