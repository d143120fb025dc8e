import { execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { freePort, siteBundle, StartMode, writeBundle } from '../../lib';
import { provisionInputOf } from '../../lib/private/provision-input';
import { request } from '../integration/http';
import { removeDebianRoot, unpackDebianRoot } from '../provision/debian-root';
import { adminLogin } from './admin-login';
import { AwsStandIn, FAKE_KEY_ID, FAKE_SECRET, startAwsStandIn } from './aws-stand-in';
import { ADMIN_PASSWORD_ARN, DB_SECRET_ARN, djangoSite, DjangoSiteOptions, SECRET_KEY_ARN } from './django-site';
import { Postgres, startPostgres } from './postgres';
import { djangoProject } from './projects';

// The same stock Django project, provisioned by the recipe the EC2 and Docker
// hosts run, on a fresh Debian 12 root: the daemon group's own user runs it,
// and root resolves its secrets from a local stand-in for SSM / Secrets Manager
// (the one part that needs AWS) with real SigV4-signed requests.
jest.setTimeout(900_000);

const BUNDLE_DIR = '/opt/cdktf-apache-wsgi/site';
const SECRET_KEY = 'root-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz';
const ADMIN_PASSWORD = 'root admin password';
const MIRRORS = ['/opt/pypi', '/opt/pypi-more', '/opt/wheels'].filter((d) => fs.existsSync(d));

interface Output { status: number | null; stdout: string; stderr: string }
interface Provisioned { root: string; port: number; out: Output; aws: AwsStandIn; source: string }

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<Output> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 600_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

async function provision(options: DjangoSiteOptions, dbPassword?: string): Promise<Provisioned> {
  const root = fs.mkdtempSync('/var/tmp/caw-root-');
  unpackDebianRoot(root);
  // pip inside the root reaches the same package mirror as this machine.
  for (const dir of MIRRORS) {
    fs.mkdirSync(path.join(root, dir), { recursive: true });
    execFileSync('mount', ['--bind', '-o', 'ro', dir, path.join(root, dir)]);
  }
  fs.writeFileSync(path.join(root, 'etc', 'pip.conf'), '[global]\nindex-url = file:///opt/pypi/simple\nextra-index-url = file:///opt/pypi-more/simple\nfind-links = /opt/wheels\n');
  const aws = await startAwsStandIn({
    [SECRET_KEY_ARN]: SECRET_KEY,
    [ADMIN_PASSWORD_ARN]: ADMIN_PASSWORD,
    ...(dbPassword !== undefined ? { [DB_SECRET_ARN]: JSON.stringify({ username: 'mysite', password: dbPassword }) } : {}),
  });
  const port = await freePort();
  const source = djangoProject();
  writeBundle(siteBundle(provisionInputOf(djangoSite(source, options)), { port, startMode: StartMode.BACKGROUND, bundleDir: BUNDLE_DIR }), path.join(root, BUNDLE_DIR));
  // Asynchronously: the stand-in answers from this process's event loop.
  const out = await run('chroot', [root, '/bin/sh', `${BUNDLE_DIR}/provision.sh`], {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    AWS_ACCESS_KEY_ID: FAKE_KEY_ID, AWS_SECRET_ACCESS_KEY: FAKE_SECRET,
    AWS_ENDPOINT_URL_SSM: aws.url, AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.url,
  });
  return { root, port, out, aws, source };
}

function teardown(p: Provisioned | undefined): void {
  if (!p) {
    return;
  }
  spawnSync('chroot', [p.root, 'apache2ctl', '-k', 'stop']);
  for (let i = 0; i < 50 && fs.existsSync(path.join(p.root, 'run', 'apache2', 'apache2.pid')); i++) {
    execFileSync('sleep', ['0.1']);
  }
  for (const dir of MIRRORS) {
    spawnSync('umount', ['-l', path.join(p.root, dir)]);
  }
  void p.aws.close();
  removeDebianRoot(p.root);
  fs.rmSync(p.source, { recursive: true, force: true });
}

function uidOf(root: string, user: string): number {
  const line = fs.readFileSync(path.join(root, 'etc', 'passwd'), 'utf8').split('\n').find((l) => l.startsWith(`${user}:`));
  return Number(line!.split(':')[2]);
}

describe('a stock Django project with sqlite, provisioned on a Debian 12 root', () => {
  let p: Provisioned | undefined;

  beforeAll(async () => {
    p = await provision({});
  });

  afterAll(() => teardown(p));

  test('the recipe builds, resolves the secrets, migrates and health-checks', () => {
    expect(p!.out.stderr).toBe('');
    expect(p!.out.stdout).toContain('[provision] build mysite: python manage.py collectstatic --noinput');
    expect(p!.out.stdout).toContain('[provision] resolving the secrets of daemon group web');
    expect(p!.out.stdout).toContain('[provision] release mysite: python manage.py migrate --noinput');
    expect(p!.out.stdout).toMatch(/\[health\] ok {3}http:\/\/127\.0\.0\.1:\d+\/admin\/ -> 302/);
    expect(p!.out.status).toBe(0);
    // AND no secret value was printed
    expect(p!.out.stdout + p!.out.stderr).not.toContain(SECRET_KEY);
  });

  test('secrets were fetched with signed requests for exactly the ARNs the site names', () => {
    expect(p!.aws.calls.map((c) => [c.target, c.name, c.signatureOk]).sort()).toEqual([
      ['AmazonSSM.GetParameter', ADMIN_PASSWORD_ARN, true],
      ['AmazonSSM.GetParameter', SECRET_KEY_ARN, true],
    ]);
  });

  test('the admin logs in and Apache serves the collected static files', async () => {
    const { login, admin } = await adminLogin(`http://127.0.0.1:${p!.port}`, 'localhost', 'admin', ADMIN_PASSWORD);
    expect([login.status, login.location]).toEqual([302, '/admin/']);
    expect(admin.body).toContain('Site administration');
    const css = await request(`http://127.0.0.1:${p!.port}/static/admin/css/base.css`);
    expect(css.status).toBe(200);
  });

  test('the database lives in the group user\'s 0700 data directory; secrets in a file only that user reads', () => {
    const uid = uidOf(p!.root, 'wsgi-web');
    const data = fs.statSync(path.join(p!.root, 'srv/wsgi/site/data/web/db'));
    expect([data.uid, data.mode & 0o777]).toEqual([uid, 0o700]);
    expect(fs.statSync(path.join(p!.root, 'srv/wsgi/site/data/web/db/db.sqlite3')).uid).toBe(uid);
    const secrets = fs.statSync(path.join(p!.root, 'srv/wsgi/site/secrets/web.json'));
    expect([secrets.uid, secrets.mode & 0o777]).toEqual([uid, 0o400]);
  });

  test('the code is root-owned, readable by the group only, static files excepted', () => {
    const gid = Number(fs.readFileSync(path.join(p!.root, 'etc', 'group'), 'utf8').split('\n').find((l) => l.startsWith('wsgi-web:'))!.split(':')[2]);
    const settings = fs.statSync(path.join(p!.root, 'srv/wsgi/site/apps/mysite/mysite/settings_prod.py'));
    expect([settings.uid, settings.gid, settings.mode & 0o777]).toEqual([0, gid, 0o640]);
    const css = fs.statSync(path.join(p!.root, 'srv/wsgi/site/apps/mysite/staticfiles/admin/css/base.css'));
    expect([css.uid, css.mode & 0o004]).toEqual([0, 0o004]);
  });
});

describe('the same project on PostgreSQL through its module entry point, on a Debian 12 root', () => {
  let p: Provisioned | undefined;
  let pg: Postgres | undefined;

  beforeAll(async () => {
    pg = await startPostgres();
    p = await provision({ postgresPort: pg.port, entryPoint: true }, pg.password);
  });

  afterAll(() => {
    teardown(p);
    pg?.stop();
  });

  test('the password comes from Secrets Manager (a JSON field) and the admin logs in', async () => {
    expect(p!.out.stderr).toBe('');
    expect(p!.out.status).toBe(0);
    expect(p!.aws.calls.filter((c) => c.target === 'secretsmanager.GetSecretValue').map((c) => [c.name, c.signatureOk])).toEqual([[DB_SECRET_ARN, true]]);
    const { login, admin } = await adminLogin(`http://127.0.0.1:${p!.port}`, 'localhost', 'admin', ADMIN_PASSWORD);
    expect([login.status, login.location]).toEqual([302, '/admin/']);
    expect(admin.body).toContain('Site administration');
  });
});
