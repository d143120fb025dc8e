import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TerraformStack, Testing } from 'cdktf';
import { ApacheSite, DaemonGroup, Platform, RunningSite, startLocalSite, VirtualEnv, WsgiApp } from '../../lib';
import { getJson, request } from '../integration/http';
import { adminLogin } from './admin-login';
import { djangoSite } from './django-site';
import { startPostgres } from './postgres';
import { djangoProject, flaskProject, pipEnv } from './projects';

// Real third-party apps on the local runner (real Apache + mod_wsgi), unchanged:
// a stock startproject Django site and a plain Flask app.
jest.setTimeout(600_000);
Object.assign(process.env, pipEnv());

const SECRETS = { DJANGO_SECRET_KEY: 'local-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz', DJANGO_SUPERUSER_PASSWORD: 'correct horse battery staple' };

describe('a stock Django project with sqlite in a data directory', () => {
  let source: string;
  let dataDir: string;
  let run: RunningSite;

  beforeAll(async () => {
    // GIVEN django-admin startproject's output, plus a settings_prod.py and requirements.txt
    source = djangoProject();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'caw-data-'));
    fs.chmodSync(dataDir, 0o711);
    // WHEN it is served locally with its secrets from the caller's environment
    run = await startLocalSite(djangoSite(source), { environment: SECRETS, dataDir });
  });

  afterAll(async () => {
    await run?.stop();
    fs.rmSync(source, { recursive: true, force: true });
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('the admin logs in with a CSRF-protected POST and sees the admin index', async () => {
    const { form, login, admin } = await adminLogin(run.url, `127.0.0.1:${run.port}`, 'admin', SECRETS.DJANGO_SUPERUSER_PASSWORD);
    expect(form).toBe(200);
    expect([login.status, login.location]).toEqual([302, '/admin/']);
    expect(admin.status).toBe(200);
    expect(admin.body).toContain('Site administration');
  });

  test('collectstatic ran at build and Apache serves its output', async () => {
    const css = await request(`${run.url}/static/admin/css/base.css`);
    expect(css.status).toBe(200);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
  });

  test('migrate wrote the database into the data directory, not into the code', () => {
    expect(fs.existsSync(path.join(dataDir, 'web', 'db', 'db.sqlite3'))).toBe(true);
    expect(fs.statSync(path.join(dataDir, 'web', 'db')).mode & 0o777).toBe(0o700);
    // AND the user's source tree was never written to
    expect(fs.readdirSync(source).sort()).toEqual(['manage.py', 'mysite', 'requirements.txt']);
  });

  test('secrets reach the app only through a file its user alone can read', () => {
    const boot = fs.readFileSync(path.join(run.workDir, 'boot', 'mysite.json'), 'utf8');
    expect(boot).not.toContain(SECRETS.DJANGO_SECRET_KEY);
    const secrets = path.join(run.workDir, 'secrets', 'web.json');
    expect(fs.statSync(secrets).mode & 0o777).toBe(0o400);
    expect(JSON.parse(fs.readFileSync(secrets, 'utf8')).DJANGO_SECRET_KEY).toBe(SECRETS.DJANGO_SECRET_KEY);
  });
});

describe('the same project on PostgreSQL through its module entry point', () => {
  let source: string;
  let run: RunningSite;
  let pg: Awaited<ReturnType<typeof startPostgres>>;

  beforeAll(async () => {
    // GIVEN PostgreSQL on loopback, whose password the site takes as a secret
    pg = await startPostgres();
    source = djangoProject();
    run = await startLocalSite(djangoSite(source, { postgresPort: pg.port, entryPoint: true }), {
      environment: { ...SECRETS, DJANGO_DB_PASSWORD: pg.password },
      dataDir: passableTempDir(),
    });
  });

  afterAll(async () => {
    await run?.stop();
    pg?.stop();
    fs.rmSync(source, { recursive: true, force: true });
  });

  test('migrate ran against PostgreSQL and the admin logs in', async () => {
    const { login, admin } = await adminLogin(run.url, `127.0.0.1:${run.port}`, 'admin', SECRETS.DJANGO_SUPERUSER_PASSWORD);
    expect([login.status, login.location]).toEqual([302, '/admin/']);
    expect(admin.body).toContain('Site administration');
  });
});

describe('a Flask app through a module entry point', () => {
  test('reads an environment variable at import time and answers', async () => {
    // GIVEN app.py with `app = Flask(__name__)` and GREETING read at import
    const source = flaskProject();
    const stack = new TerraformStack(Testing.app(), 'flask');
    const site = new ApacheSite(stack, 'Site', { platform: Platform.DEBIAN_12, serverName: 'localhost' });
    const group = new DaemonGroup(site, 'Web', {
      virtualEnv: new VirtualEnv(stack, 'Env', { requirementsFile: path.join(source, 'requirements.txt') }),
      environment: { GREETING: 'hello from the environment' },
    });
    new WsgiApp(site, 'Flask', { mountPath: '/', source, entryPoint: 'app:app', daemonGroup: group });
    // WHEN served
    const run = await startLocalSite(site);
    try {
      // THEN the app imported as the module `app` saw the variable
      expect(await getJson(`${run.url}/`)).toEqual({ greeting: 'hello from the environment', module: 'app' });
    } finally {
      await run.stop();
      fs.rmSync(source, { recursive: true, force: true });
    }
  });
});

/** A fresh directory the daemons' user may pass through. */
function passableTempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'caw-data-'));
  fs.chmodSync(dir, 0o711);
  return dir;
}

describe('a data directory the daemons cannot reach', () => {
  test('fails a root run before Apache starts, naming the directory and the user', async () => {
    // GIVEN a data directory under a parent only root may enter (mkdtemp makes 0700)
    const source = djangoProject();
    const closed = fs.mkdtempSync(path.join(os.tmpdir(), 'caw-closed-'));
    try {
      // WHEN the site is served as root
      // THEN the run fails up front instead of migrate failing with "unable to open database file"
      await expect(startLocalSite(djangoSite(source), { environment: SECRETS, dataDir: path.join(closed, 'data') }))
        .rejects.toThrow(/data directory \S+\/data\/web\/db is not writable by www-data, the user the daemons run as/);
    } finally {
      fs.rmSync(source, { recursive: true, force: true });
      fs.rmSync(closed, { recursive: true, force: true });
    }
  });
});

describe('a failing release command', () => {
  test('fails the run with the command\'s own output, before Apache starts', async () => {
    // GIVEN an app whose migration step exits 3 after printing why
    const source = flaskProject();
    const stack = new TerraformStack(Testing.app(), 'failing');
    const site = new ApacheSite(stack, 'Site', { platform: Platform.DEBIAN_12, serverName: 'localhost' });
    new WsgiApp(site, 'App', {
      mountPath: '/', source, entryPoint: 'app:app',
      daemonGroup: new DaemonGroup(site, 'Web', { virtualEnv: new VirtualEnv(stack, 'Env'), environment: { GREETING: 'x' } }),
      releaseCommands: [['python', '-c', 'import sys; print("migration exploded: table locked"); sys.exit(3)']],
    });
    try {
      // WHEN it is served THEN the start fails naming the command, its exit status and its output
      await expect(startLocalSite(site)).rejects.toThrow(/release command of app app failed \(exit 3\): python -c .*\nmigration exploded: table locked/);
    } finally {
      fs.rmSync(source, { recursive: true, force: true });
    }
  });
});

describe('a missing secret', () => {
  test('fails a local run, naming the variable and where values come from', async () => {
    const source = djangoProject();
    try {
      await expect(startLocalSite(djangoSite(source), { environment: {} }))
        .rejects.toThrow(/mysite\/Site: no value for secrets DJANGO_SECRET_KEY, DJANGO_SUPERUSER_PASSWORD: a local run takes secret values from the environment or an env file/);
    } finally {
      fs.rmSync(source, { recursive: true, force: true });
    }
  });
});
