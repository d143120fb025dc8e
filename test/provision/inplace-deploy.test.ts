import { ChildProcess, execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, TerraformStack } from 'cdktf';
import { ApacheSite, DaemonGroup, freePort, Platform, siteBundle, StartMode, VirtualEnv, WsgiApp } from '../../lib';
import { inPlaceProvisionInputOf } from '../../lib/private/provision-input';
import { bootstrapUserData } from '../../lib/provision/bootstrap';
import { bundleTarball, sha256Hex } from '../../lib/provision/tarball';
import { request } from '../integration/http';
import { bootableDebianRootTarball, removeDebianRoot, unpackDebianRoot } from './debian-root';
import { startReady, Started, standin } from './first-boot';

// The in-place deploy an EC2 host runs for each new bundle version (the SSM
// association's command: bootstrap.py fetches and verifies the bundle from S3,
// then its deploy program builds a release beside the serving one and switches),
// executed for real on a fresh Debian 12 root with Apache and mod_wsgi, S3 being
// a local stand-in that checks SigV4 signatures.
jest.setTimeout(1_200_000);

const BUNDLE_DIR = '/opt/cdktf-apache-wsgi/site';
const CONFIG = '/etc/cdktf-apache-wsgi/site.json';
const SITE = '/srv/wsgi/site';
const BUCKET = 'caw-inplace-bundles';
const REQUEST_LOOP = path.join(__dirname, '..', '..', 'scripts', 'request-loop.py');
// The stand-in's fixed test credentials (test/support/aws-standin.py).
const STANDIN_ENV = {
  AWS_ACCESS_KEY_ID: 'ASIASTANDINEXAMPLE00', AWS_SECRET_ACCESS_KEY: 'standin/secret/key/for/tests/only/000000',
  AWS_SESSION_TOKEN: 'standin-session-token', AWS_REGION: 'us-east-1',
};

interface Version {
  readonly label: string;
  readonly apiRequirements: string;
  /** The web app's code version. @default - label */
  readonly webLabel?: string;
  readonly failRelease?: boolean;
  /** Serve static files for the web app (a change to the Apache config). */
  readonly webStatic?: boolean;
  /** The web app answers 500 (it fails its health check). */
  readonly webBroken?: boolean;
}

/** Two apps, two daemon groups with a venv each; the api's venv inputs and both apps' code vary by version. */
function bundleOf(work: string, port: number, v: Version): { archive: Buffer; sha256: string } {
  const dir = fs.mkdtempSync(path.join(work, `${v.label}-`));
  for (const app of ['api', 'web']) {
    fs.mkdirSync(path.join(dir, app));
    fs.mkdirSync(path.join(dir, app, 'static'));
    fs.writeFileSync(path.join(dir, app, 'static', 'style.css'), 'body {}\n');
    fs.writeFileSync(path.join(dir, app, 'wsgi.py'), [
      'import os, sys',
      'def application(environ, start_response):',
      `    body = ("${app} ${app === 'web' ? v.webLabel ?? v.label : v.label} " + sys.prefix).encode()`,
      `    start_response('${app === 'web' && v.webBroken ? '500 Internal Server Error' : '200 OK'}', [('Content-Type', 'text/plain'), ('Content-Length', str(len(body)))])`,
      '    return [body]',
      '',
    ].join('\n'));
  }
  fs.writeFileSync(path.join(dir, 'api-requirements.txt'), v.apiRequirements);
  fs.writeFileSync(path.join(dir, 'web-requirements.txt'), '# nothing to install\n');
  const stack = new TerraformStack(new App(), 'site');
  const site = new ApacheSite(stack, 'Site', { platform: Platform.DEBIAN_12, serverName: 'www.example.com', siteName: 'site' });
  const release = v.failRelease
    ? [['python', '-c', 'import sys; print("migration 0042 failed: column exists"); sys.exit(3)']]
    : [['python', '-c', `print("release step of ${v.label} ran")`]];
  for (const [app, mount] of [['api', '/api'], ['web', '/']]) {
    const env = new VirtualEnv(stack, `${app}Env`, { venvName: app, requirementsFile: path.join(dir, `${app}-requirements.txt`) });
    const group = new DaemonGroup(site, `${app}Group`, { name: app, processes: 2, threads: 5, virtualEnv: env });
    new WsgiApp(site, app, {
      mountPath: mount, source: path.join(dir, app), scriptFile: 'wsgi.py', daemonGroup: group, releaseCommands: release,
      staticFiles: app === 'web' && v.webStatic ? [{ urlPath: '/static', directory: 'static' }] : undefined,
    });
  }
  const archive = bundleTarball(siteBundle(inPlaceProvisionInputOf(site), { port, startMode: StartMode.BACKGROUND, bundleDir: BUNDLE_DIR, deployInPlace: true }));
  return { archive, sha256: sha256Hex(archive) };
}

describe('in-place deploy on a Debian 12 root (real Apache, mod_wsgi, S3 stand-in)', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'caw-inplace-deploy-'));
  const root = fs.mkdtempSync('/var/tmp/caw-inplace-deploy-root-');
  const objects = path.join(work, 's3');
  let port: number;
  let s3: Started;
  let s3Url: string;

  /** Uploads a version to the stand-in and runs the association's command for it, as root in the root. */
  function deploy(v: Version, first = false): { status: number | null; out: string } {
    const { archive, sha256 } = bundleOf(work, port, v);
    const key = `site/${sha256}.tar.gz`;
    fs.mkdirSync(path.join(objects, BUCKET, 'site'), { recursive: true });
    fs.writeFileSync(path.join(objects, BUCKET, key), archive);
    if (first) {
      // The instance's user data: the bootstrap, its AWS client and config, written where cloud-init writes them.
      const doc = JSON.parse(bootstrapUserData('site', BUNDLE_DIR, { bucket: BUCKET, key, versionId: '', sha256 }).replace(/^#cloud-config\n/, ''));
      for (const f of doc.write_files) {
        fs.mkdirSync(path.join(root, path.dirname(f.path)), { recursive: true });
        fs.writeFileSync(path.join(root, f.path), f.content, { mode: parseInt(f.permissions, 8) });
      }
    }
    const argv = first ? [CONFIG] : [CONFIG, BUCKET, key, '', sha256];
    const run = spawnSync('chroot', [root, 'python3', '/opt/cdktf-apache-wsgi/bootstrap.py', ...argv], {
      encoding: 'utf8', timeout: 900_000,
      env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', AWS_ENDPOINT_URL_S3: s3Url, ...STANDIN_ENV },
    });
    return { status: run.status, out: `${run.stdout}${run.stderr}` };
  }

  const body = async (url: string) => (await request(url)).body;

  /** Runs `during` while two request loops per app hit Apache; returns what it returned and the loops' totals. */
  async function underLoad<T>(label: string, during: () => T): Promise<{ result: T; total: number; failed: number }> {
    const stop = path.join(work, `stop-${label}`);
    const loops: { out: string; done: Promise<void> }[] = [];
    for (const [i, url] of [`http://127.0.0.1:${port}/api`, `http://127.0.0.1:${port}/`, `http://127.0.0.1:${port}/api`, `http://127.0.0.1:${port}/`].entries()) {
      const out = path.join(work, `loop-${label}-${i}.json`);
      const child: ChildProcess = spawn('python3', [REQUEST_LOOP, url, stop, '600', out], { stdio: 'ignore' });
      loops.push({ out, done: new Promise((resolve) => child.on('exit', () => resolve())) });
    }
    await new Promise((r) => setTimeout(r, 1000));
    const result = during();
    await new Promise((r) => setTimeout(r, 2000));
    fs.writeFileSync(stop, '');
    await Promise.all(loops.map((l) => l.done));
    const results = loops.map((l) => JSON.parse(fs.readFileSync(l.out, 'utf8')));
    return { result, total: results.reduce((n, r) => n + r.requests, 0), failed: results.reduce((n, r) => n + r.failed, 0) };
  }

  /** PIDs of a daemon group's processes in the root. */
  function daemonPids(group: string): number[] {
    return fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith(`(wsgi:${group})`) && fs.readlinkSync(`/proc/${p}/root`) === root;
      } catch {
        return false;
      }
    }).map(Number).sort();
  }
  const venvs = () => fs.readdirSync(path.join(root, SITE.slice(1), 'venvs')).sort();

  beforeAll(async () => {
    port = await freePort();
    const s3Port = await freePort();
    s3Url = `http://127.0.0.1:${s3Port}`;
    // The root an EC2 Debian AMI boots from has python3 (the bootstrap's interpreter); minbase has not.
    unpackDebianRoot(root, bootableDebianRootTarball());
    fs.mkdirSync(objects, { recursive: true });
    s3 = await startReady(standin('s3', '127.0.0.1', s3Port, objects));
  }, 300_000);

  afterAll(() => {
    spawnSync('chroot', [root, 'apache2ctl', '-k', 'stop']);
    for (let i = 0; i < 50 && fs.existsSync(path.join(root, 'run', 'apache2', 'apache2.pid')); i++) {
      execFileSync('sleep', ['0.1']);
    }
    s3?.child.kill();
    removeDebianRoot(root);
    fs.rmSync(work, { recursive: true, force: true });
  });

  let v1Venvs: string[] = [];
  let webVenvInode = 0;

  test('version 1 is provisioned from S3 through the bootstrap and serves both apps', async () => {
    // WHEN the first boot runs the bootstrap with the user data's config
    const first = deploy({ label: 'v1', apiRequirements: '# api v1: nothing to install\n' }, true);
    // THEN it succeeds, and each app answers from its own venv
    expect(first.out).toContain('[deploy] first deploy on this host');
    expect(first.out).toContain('[health] ok   http://127.0.0.1');
    expect(first.status).toBe(0);
    expect(await body(`http://127.0.0.1:${port}/api`)).toMatch(new RegExp(`^api v1 ${SITE}/current/venvs/api$`));
    expect(await body(`http://127.0.0.1:${port}/`)).toMatch(/^web v1 /);
    v1Venvs = venvs();
    webVenvInode = fs.statSync(path.join(root, SITE.slice(1), 'venvs', v1Venvs.find((v) => v.startsWith('web-'))!)).ino;
  });

  test('version 2 (new code, the api venv changed) deploys in place with 0 failed requests', async () => {
    // GIVEN bounded request loops against both apps (two each)
    // WHEN version 2 is deployed through the association's command
    const { result: second, total, failed } = await underLoad('v2', () => deploy({ label: 'v2', apiRequirements: '# api v2: requirements changed\n' }));
    console.log(`in-place deploy v1 -> v2 under load: ${total} requests, ${failed} failed\n${second.out}`);

    // THEN no request failed, the new code answers from both apps
    expect(second.status).toBe(0);
    expect(failed).toBe(0);
    expect(total).toBeGreaterThan(100);
    expect(second.out).toContain('release step of v2 ran');
    expect(await body(`http://127.0.0.1:${port}/api`)).toMatch(/^api v2 /);
    expect(await body(`http://127.0.0.1:${port}/`)).toMatch(/^web v2 /);
    // AND the api venv was rebuilt beside the old one, which is gone; the web venv was reused, not rebuilt
    expect(second.out).toMatch(/venv api changed: building/);
    expect(second.out).toMatch(/venv web unchanged: reusing/);
    const now = venvs();
    const oldApi = v1Venvs.find((v) => v.startsWith('api-'))!;
    const web = v1Venvs.find((v) => v.startsWith('web-'))!;
    expect(now).not.toContain(oldApi);
    expect(now).toContain(web);
    expect(now.filter((v) => v.startsWith('api-'))).toHaveLength(1);
    expect(fs.statSync(path.join(root, SITE.slice(1), 'venvs', web)).ino).toBe(webVenvInode);
    // AND only the serving release is kept
    expect(fs.readdirSync(path.join(root, SITE.slice(1), 'releases'))).toEqual([path.basename(fs.readlinkSync(path.join(root, SITE.slice(1), 'current')))]);
  });

  test('fails a version 3 whose release step fails, and version 2 keeps serving', async () => {
    // GIVEN the serving release
    const serving = fs.readlinkSync(path.join(root, SITE.slice(1), 'current'));
    // WHEN a version whose release step fails is deployed
    const third = deploy({ label: 'v3', apiRequirements: '# api v3\n', failRelease: true });
    // THEN the deploy fails with the step's output, and version 2 still answers from the same release
    expect(third.status).not.toBe(0);
    expect(third.out).toContain('migration 0042 failed: column exists');
    expect(third.out).toContain('still serves');
    expect(fs.readlinkSync(path.join(root, SITE.slice(1), 'current'))).toBe(serving);
    expect(await body(`http://127.0.0.1:${port}/api`)).toMatch(/^api v2 /);
    expect(await body(`http://127.0.0.1:${port}/`)).toMatch(/^web v2 /);
  });

  test('reloads only the daemon group whose code changed', async () => {
    // GIVEN both groups' daemon processes
    const api = daemonPids('api');
    const web = daemonPids('web');
    // WHEN only the web app's code changes
    const { result: fourth, total, failed } = await underLoad('v4', () => deploy({ label: 'v2', webLabel: 'v4', apiRequirements: '# api v2: requirements changed\n' }));
    console.log(`in-place deploy of the web app only: ${total} requests, ${failed} failed`);
    // THEN the web group serves the new code from new processes, and the api group's processes are the same
    expect(fourth.status).toBe(0);
    expect(fourth.out).toContain('reloading daemon groups web (their WSGI scripts changed); unchanged: api');
    expect(failed).toBe(0);
    expect(await body(`http://127.0.0.1:${port}/`)).toMatch(/^web v4 /);
    expect(await body(`http://127.0.0.1:${port}/api`)).toMatch(/^api v2 /);
    expect(daemonPids('api')).toEqual(api);
    expect(daemonPids('web')).not.toEqual(web);
  });

  test('a change to the Apache config reloads Apache gracefully, and says so', async () => {
    // WHEN the web app gains static files (a new Alias in the config)
    const { result: fifth, total, failed } = await underLoad('v5', () => deploy({ label: 'v2', webLabel: 'v4', apiRequirements: '# api v2: requirements changed\n', webStatic: true }));
    console.log(`in-place deploy with an Apache config change (graceful restart): ${total} requests, ${failed} failed`);
    // THEN the deploy restarts Apache gracefully and the new config serves
    expect(fifth.status).toBe(0);
    expect(fifth.out).toContain('the Apache config changed: graceful restart');
    expect(total).toBeGreaterThan(100);
    expect((await request(`http://127.0.0.1:${port}/static/style.css`)).status).toBe(200);
  });

  test('fails a version whose app fails its health check, switches back, and the previous version serves', async () => {
    // GIVEN the serving release
    const serving = fs.readlinkSync(path.join(root, SITE.slice(1), 'current'));
    // WHEN a version whose web app answers 500 is deployed
    const sixth = deploy({ label: 'v2', webLabel: 'v6', apiRequirements: '# api v2: requirements changed\n', webStatic: true, webBroken: true });
    // THEN the deploy fails with the probe's verdict, switches back, and the previous code answers again
    expect(sixth.status).not.toBe(0);
    expect(sixth.out).toMatch(/\[health\] FAIL http:\/\/127\.0\.0\.1:\d+\/ -> 500/);
    expect(sixth.out).toMatch(/is not healthy; switched back to /);
    expect(fs.readlinkSync(path.join(root, SITE.slice(1), 'current'))).toBe(serving);
    expect(fs.readdirSync(path.join(root, SITE.slice(1), 'releases'))).toEqual([path.basename(serving)]);
    expect(await body(`http://127.0.0.1:${port}/`)).toMatch(/^web v4 /);
  });

  test('the alternative reload, SIGUSR1 to a daemon group\'s processes, measured under the same load', async () => {
    // GIVEN the api group's daemon processes
    const before = daemonPids('api');
    // WHEN each gets SIGUSR1 (mod_wsgi's graceful restart of one daemon process) under load
    const { total, failed } = await underLoad('sigusr1', () => {
      before.forEach((pid) => process.kill(pid, 'SIGUSR1'));
      execFileSync('sleep', ['5']);
    });
    console.log(`SIGUSR1 to the api group's ${before.length} daemon processes (8 s window): ${total} requests, ${failed} failed`);
    // THEN new processes serve (the deploy program uses the script's mtime instead: it needs no PIDs)
    expect(total).toBeGreaterThan(0);
    expect(daemonPids('api').filter((pid) => before.includes(pid))).toEqual([]);
    expect(await body(`http://127.0.0.1:${port}/api`)).toMatch(/^api v2 /);
  });
});
