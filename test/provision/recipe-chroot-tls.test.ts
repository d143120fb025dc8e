import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Testing, TerraformStack } from 'cdktf';
import { ApacheSite, DaemonGroup, freePort, Platform, siteBundle, StartMode, TlsCertificate, VirtualEnv, writeBundle, WsgiApp } from '../../lib';
import { provisionInputOf } from '../../lib/private/provision-input';
import { removeDebianRoot, unpackDebianRoot } from './debian-root';

const BUNDLE_DIR = '/opt/cdktf-apache-wsgi/site';
const HELLO = path.join(__dirname, '..', '..', 'examples', 'apps', 'hello');
const DOMAIN = 'tls.example.test';
const CERT_DIR = '/etc/ssl/caw-test';

// The provisioning recipe of a site with HTTPS (certificate from files made in
// the root, standing in for one installed by other means), run for real on a
// fresh Debian 12 root; the resulting Apache is then hit over HTTP and HTTPS.
describe('provisioning recipe with TLS on a Debian 12 root', () => {
  const root = fs.mkdtempSync('/var/tmp/caw-root-tls-');
  let httpPort: number;
  let httpsPort: number;
  let provision: ReturnType<typeof spawnSync>;

  function curl(url: string, extra: string[] = []) {
    const res = spawnSync('curl', ['--max-time', '10', '-s', '-o', '/dev/null', '-D', '-', '--resolve', `${DOMAIN}:${httpPort}:127.0.0.1`, '--resolve', `${DOMAIN}:${httpsPort}:127.0.0.1`, ...extra, url], { encoding: 'utf8' });
    return { status: Number(res.stdout.split(' ')[1]), head: res.stdout };
  }

  beforeAll(async () => {
    httpPort = await freePort();
    httpsPort = await freePort();
    unpackDebianRoot(root);
    // GIVEN a certificate and key in the root, and a site that reads them
    fs.mkdirSync(path.join(root, CERT_DIR), { recursive: true });
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(root, CERT_DIR, 'privkey.pem'), '-out', path.join(root, CERT_DIR, 'fullchain.pem'),
      '-days', '2', '-subj', `/CN=${DOMAIN}`, '-addext', `subjectAltName=DNS:${DOMAIN}`], { stdio: 'pipe' });
    const stack = new TerraformStack(Testing.app(), 'tls');
    const site = new ApacheSite(stack, 'Site', {
      platform: Platform.DEBIAN_12, serverName: DOMAIN, port: httpPort,
      tls: { certificate: TlsCertificate.fromFiles(`${CERT_DIR}/fullchain.pem`, `${CERT_DIR}/privkey.pem`), httpsPort },
    });
    new WsgiApp(site, 'WebApp', { mountPath: '/', source: HELLO, scriptFile: 'wsgi.py', daemonGroup: new DaemonGroup(site, 'Web', { virtualEnv: new VirtualEnv(stack, 'Env') }) });
    writeBundle(siteBundle(provisionInputOf(site), { port: httpPort, startMode: StartMode.BACKGROUND, bundleDir: BUNDLE_DIR }), path.join(root, BUNDLE_DIR));
    // WHEN the recipe runs as root in it
    provision = spawnSync('chroot', [root, '/bin/sh', `${BUNDLE_DIR}/provision.sh`], { encoding: 'utf8', timeout: 600_000 });
  }, 900_000);

  afterAll(() => {
    spawnSync('chroot', [root, 'apache2ctl', '-k', 'stop']);
    for (let i = 0; i < 50 && fs.existsSync(path.join(root, 'run', 'apache2', 'apache2.pid')); i++) {
      execFileSync('sleep', ['0.1']);
    }
    removeDebianRoot(root);
  });

  test('the recipe enables TLS, passes the config test and health-checks the app over HTTPS', () => {
    expect(provision.stderr).toBe('');
    expect(provision.stdout).toContain(`[health] ok   https://127.0.0.1:${httpsPort}/ -> 200`);
    expect(provision.status).toBe(0);
    expect(fs.readFileSync(path.join(root, 'etc', 'apache2', 'ports.conf'), 'utf8')).toBe(`Listen ${httpPort}\nListen ${httpsPort} https\n`);
    for (const mod of ['ssl', 'md', 'rewrite', 'socache_shmcb']) {
      expect(fs.existsSync(path.join(root, 'etc', 'apache2', 'mods-enabled', `${mod}.load`))).toBe(true);
    }
  });

  test('plain HTTP redirects to HTTPS; HTTPS serves the app with HSTS, verified against the certificate', () => {
    const redirect = curl(`http://${DOMAIN}:${httpPort}/env?x=1`);
    expect(redirect.status).toBe(301);
    expect(redirect.head).toContain(`Location: https://${DOMAIN}:${httpsPort}/env?x=1\r\n`);
    const https = curl(`https://${DOMAIN}:${httpsPort}/`, ['--cacert', path.join(root, CERT_DIR, 'fullchain.pem')]);
    expect(https.status).toBe(200);
    expect(https.head).toContain('Strict-Transport-Security: max-age=63072000\r\n');
  });
});
