import { ChildProcess, execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Testing, TerraformStack } from 'cdktf';
import {
  ApacheSite, ConfNode, DaemonGroup, directive, freePort, hostFactsConf, RunningSite, startLocalSite, Platform, renderConf, serverConf, SiteLayout, SiteSpec,
  STANDALONE_MODULES, TlsCertificate, TlsOptions, vhostConf, VirtualEnv, WsgiApp,
} from '../../lib';
import { bootFiles } from '../../lib/provision/boot';
import { HEALTH_PROBE_PY, healthProbeArgs } from '../../lib/provision/health';
import { APACHE_MODULES_DIR, makeScratchDir, scratchLayout, syntaxCheck } from '../support/apache-check';

const HELLO = path.join(__dirname, '..', '..', 'examples', 'apps', 'hello');
const DOMAIN = 'tls.example.test';
// The Python mod_wsgi links on this machine (Debian 12).
const PYTHON = '/usr/bin/python3.11';
const TLS_MODULES = ['ssl', 'md', 'rewrite', 'socache_shmcb'];

interface Served {
  readonly dir: string;
  readonly httpPort: number;
  readonly httpsPort: number;
  readonly child: ChildProcess;
}

/** A site with HTTPS on free loopback ports, serving the hello app from a venv made here. */
async function tlsSite(dir: string, certificate: (dir: string) => TlsCertificate, tls: Partial<TlsOptions> = {}) {
  const httpPort = await freePort();
  const httpsPort = await freePort();
  const stack = new TerraformStack(Testing.app(), 'tls');
  const site = new ApacheSite(stack, 'Site', {
    platform: Platform.DEBIAN_12, serverName: DOMAIN, port: httpPort,
    tls: { certificate: certificate(dir), httpsPort, ...tls },
  });
  const group = new DaemonGroup(site, 'Web', { virtualEnv: new VirtualEnv(stack, 'Env') });
  new WsgiApp(site, 'WebApp', { mountPath: '/', source: HELLO, scriptFile: 'wsgi.py', daemonGroup: group });
  const spec = site.toSpec();
  const venv = path.join(dir, 'venv');
  execFileSync(PYTHON, ['-m', 'venv', '--without-pip', venv]);
  const layout: SiteLayout = {
    ...scratchLayout(site.deployedLayout(), dir, false),
    appDirs: { [spec.apps[0].name]: HELLO }, venvDirs: { [spec.venvs[0].name]: venv }, port: httpPort, listen: false, mdStoreDir: path.join(dir, 'md'),
    bootDir: path.join(dir, 'boot'), secretsDir: path.join(dir, 'secrets'), dataDir: path.join(dir, 'data'), hostFactsFile: path.join(dir, 'host.conf'),
  };
  // What provisioning writes on the host: its CPU count.
  fs.writeFileSync(layout.hostFactsFile!, hostFactsConf(2));
  // Apache runs each app through its generated entry script.
  fs.mkdirSync(layout.bootDir, { recursive: true });
  for (const file of bootFiles(spec, layout)) {
    fs.writeFileSync(path.join(layout.bootDir, file.name), file.content, { mode: 0o644 });
  }
  return { spec, layout, httpPort, httpsPort };
}

/**
 * The site's own server and virtual host trees in a self-contained config:
 * what Debian's apache2.conf, ports.conf and ssl.conf would add on a VM
 * (Listen lines, modules, a session cache) is written here.
 */
function tlsStandalone(spec: SiteSpec, layout: SiteLayout, dir: string, httpPort: number, httpsPort: number): string {
  const modules = [...STANDALONE_MODULES, ...TLS_MODULES];
  const root = process.getuid?.() === 0;
  const nodes: ConfNode[] = [
    directive('ServerRoot', dir),
    directive('PidFile', path.join(dir, 'httpd.pid')),
    directive('Listen', `127.0.0.1:${httpPort}`),
    directive('Listen', `127.0.0.1:${httpsPort}`, 'https'),
    directive('ErrorLog', path.join(dir, 'server-error.log')),
    ...modules.map((m) => directive('LoadModule', `${m}_module`, path.join(APACHE_MODULES_DIR, `mod_${m}.so`))),
    directive('TypesConfig', '/etc/mime.types'),
    directive('SSLSessionCache', `shmcb:${dir}/ssl_scache(512000)`),
    ...(root ? [directive('User', 'www-data'), directive('Group', 'www-data')] : []),
    ...serverConf(spec, layout),
    ...vhostConf(spec, layout),
  ];
  const file = path.join(dir, 'httpd.conf');
  fs.writeFileSync(file, renderConf(nodes));
  if (root) {
    // Apache's children (www-data) write the mod_md store and read the app.
    execFileSync('chmod', ['0755', dir]);
  }
  return file;
}

async function start(file: string, dir: string, httpPort: number, httpsPort: number): Promise<Served> {
  const child = spawn('apache2', ['-f', file, '-DFOREGROUND'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout!.on('data', (d) => { output += d; });
  child.stderr!.on('data', (d) => { output += d; });
  for (let i = 0; i < 200; i++) {
    if (curl(['-s', '-o', '/dev/null', `http://127.0.0.1:${httpPort}/`]).status === 0) {
      return { dir, httpPort, httpsPort, child };
    }
    if (child.exitCode !== null) {
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  stop({ dir, httpPort, httpsPort, child });
  const log = fs.existsSync(path.join(dir, 'server-error.log')) ? fs.readFileSync(path.join(dir, 'server-error.log'), 'utf8') : '';
  throw new Error(`Apache did not start: ${output}\n${log}`);
}

function stop(served: Served | undefined): void {
  if (served?.child.pid && served.child.exitCode === null) {
    try {
      process.kill(-served.child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
}

function curl(args: string[]) {
  return spawnSync('curl', ['--max-time', '10', ...args], { encoding: 'utf8' });
}

/** Status line and headers of one request, with the domain resolved to 127.0.0.1 (so SNI and Host name it). */
function head(served: Served, url: string, extra: string[] = []): { status: number; headers: Record<string, string> } {
  const res = curl(['-s', '-o', '/dev/null', '-D', '-', '--resolve', `${DOMAIN}:${served.httpPort}:127.0.0.1`, '--resolve', `${DOMAIN}:${served.httpsPort}:127.0.0.1`, ...extra, url]);
  if (res.status !== 0) {
    throw new Error(`curl ${url} failed (${res.status}): ${res.stderr}`);
  }
  const [statusLine, ...lines] = res.stdout.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i > 0) {
      headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
    }
  }
  return { status: Number(statusLine.split(' ')[1]), headers };
}

/** Whether a TLS handshake with exactly this protocol version succeeds. */
function handshake(port: number, version: '-tls1_1' | '-tls1_2' | '-tls1_3', extra: string[] = []): boolean {
  // OpenSSL 3 refuses TLS 1.1 at its default security level even as a client: level 0 lets it try.
  const res = spawnSync('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', DOMAIN, version, '-cipher', 'DEFAULT:@SECLEVEL=0', ...extra],
    { input: 'Q\n', encoding: 'utf8', timeout: 10_000 });
  // The version flag allows exactly one protocol; a cipher on the "New," line means the handshake completed.
  return res.status === 0 && /^New, .*Cipher is (?!\(NONE\))\S+/m.test(res.stdout);
}

// HTTPS on real Apache with a certificate from files: a self-signed one made
// here stands in for a CA-issued certificate (ACME issuance needs the internet).
describe('HTTPS on the host, certificate from files, on real Apache', () => {
  const dir = makeScratchDir('caw-tls-');
  let served: Served | undefined;
  let cert: string;

  beforeAll(async () => {
    // GIVEN a self-signed certificate for the domain and a site with HTTPS on it
    cert = path.join(dir, 'fullchain.pem');
    const key = path.join(dir, 'privkey.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2',
      '-subj', `/CN=${DOMAIN}`, '-addext', `subjectAltName=DNS:${DOMAIN}`], { stdio: 'pipe' });
    const { spec, layout, httpPort, httpsPort } = await tlsSite(dir, () => TlsCertificate.fromFiles(cert, key));
    const file = tlsStandalone(spec, layout, dir, httpPort, httpsPort);
    // WHEN Apache starts from it
    const check = await syntaxCheck(file);
    expect(check.output).toContain('Syntax OK');
    served = await start(file, dir, httpPort, httpsPort);
  }, 60_000);

  afterAll(() => {
    stop(served);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('plain HTTP answers 301 to the same path and query on https://<domain>', () => {
    const res = head(served!, `http://${DOMAIN}:${served!.httpPort}/some/path?x=1`);
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe(`https://${DOMAIN}:${served!.httpsPort}/some/path?x=1`);
  });

  test('an ACME http-01 challenge path over plain HTTP is not redirected', () => {
    // THEN it is answered over HTTP (404: nothing to serve here), never sent to HTTPS
    const res = head(served!, `http://${DOMAIN}:${served!.httpPort}/.well-known/acme-challenge/x`);
    expect(res.status).toBe(404);
    expect(res.headers.location).toBeUndefined();
  });

  test('HTTPS serves the app with the certificate, verified against it, and sends HSTS', () => {
    const res = head(served!, `https://${DOMAIN}:${served!.httpsPort}/`, ['--cacert', cert]);
    expect(res.status).toBe(200);
    expect(res.headers['strict-transport-security']).toBe('max-age=63072000');
  });

  test('the provisioning health probe checks the app over HTTPS on loopback', () => {
    // GIVEN the probe the recipe runs, asking for the app by the site's name on 127.0.0.1
    const probe = path.join(dir, 'health.py');
    fs.writeFileSync(probe, HEALTH_PROBE_PY);
    const res = spawnSync(PYTHON, [probe, ...healthProbeArgs(DOMAIN, [{ url: `https://127.0.0.1:${served!.httpsPort}/`, healthyHttpCodes: '200' }])], { encoding: 'utf8', timeout: 30_000 });
    // THEN it reaches the app through TLS (the certificate names the domain, not 127.0.0.1)
    expect(res.stdout).toContain(`[health] ok   https://127.0.0.1:${served!.httpsPort}/ -> 200`);
    expect(res.status).toBe(0);
  });

  test('TLS 1.2 and 1.3 are accepted, TLS 1.1 is refused', () => {
    expect(handshake(served!.httpsPort, '-tls1_2')).toBe(true);
    expect(handshake(served!.httpsPort, '-tls1_3')).toBe(true);
    expect(handshake(served!.httpsPort, '-tls1_1')).toBe(false);
  });

  test('TLS 1.2 without forward secrecy (RSA key exchange, CBC) is refused', () => {
    expect(handshake(served!.httpsPort, '-tls1_2', ['-cipher', 'AES128-SHA:@SECLEVEL=0'])).toBe(false);
  });

  test('no TLS session ticket is issued', () => {
    // (Apache with default settings issues one here: "TLS session ticket lifetime hint: 300".)
    const res = spawnSync('openssl', ['s_client', '-connect', `127.0.0.1:${served!.httpsPort}`, '-servername', DOMAIN, '-tls1_2'],
      { input: 'Q\n', encoding: 'utf8', timeout: 10_000 });
    expect(res.stdout).toMatch(/^New, .*Cipher is ECDHE-/m);
    expect(res.stdout).not.toContain('TLS session ticket');
  });
});

// The ACME configuration on real Apache and mod_md, with the CA pointed at a
// closed loopback port: no certificate can be issued here (that needs the
// internet and a public DNS name), so what is proven is that the config loads,
// mod_md takes the domain over, and the HTTP side behaves while it waits.
describe('HTTPS on the host, certificate by ACME (mod_md), on real Apache without a CA', () => {
  const dir = makeScratchDir('caw-acme-');
  let served: Served | undefined;

  beforeAll(async () => {
    // GIVEN a site whose certificate comes from an ACME CA that cannot be reached
    const { spec, layout, httpPort, httpsPort } = await tlsSite(dir,
      () => TlsCertificate.acme({ contactEmail: 'admin@example.test', acceptTermsOfService: true, caUrl: 'https://127.0.0.1:1/directory' }));
    const file = tlsStandalone(spec, layout, dir, httpPort, httpsPort);
    // WHEN Apache checks and starts it
    const check = await syntaxCheck(file);
    expect(check.output).toContain('Syntax OK');
    served = await start(file, dir, httpPort, httpsPort);
  }, 60_000);

  afterAll(() => {
    stop(served);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('mod_md manages the domain in the configured store', () => {
    expect(fs.existsSync(path.join(dir, 'md', 'md_store.json'))).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'md', 'domains', DOMAIN, 'md.json'), 'utf8')).toContain('"https://127.0.0.1:1/directory"');
  });

  test('plain HTTP answers 301 to https://<domain>', () => {
    const res = head(served!, `http://${DOMAIN}:${served!.httpPort}/a?b=c`);
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe(`https://${DOMAIN}:${served!.httpsPort}/a?b=c`);
  });

  test('until a certificate is issued, HTTPS answers 503 with mod_md\'s temporary self-signed certificate', () => {
    const res = head(served!, `https://${DOMAIN}:${served!.httpsPort}/`, ['--insecure']);
    expect(res.status).toBe(503);
    const tls = spawnSync('openssl', ['s_client', '-connect', `127.0.0.1:${served!.httpsPort}`, '-servername', DOMAIN], { input: 'Q\n', encoding: 'utf8', timeout: 10_000 });
    expect(tls.stdout).toContain('issuer=CN = Apache Managed Domain Fallback');
  });

  test('an ACME http-01 challenge path over plain HTTP is answered by mod_md, not redirected', () => {
    const res = head(served!, `http://${DOMAIN}:${served!.httpPort}/.well-known/acme-challenge/x`);
    expect(res.status).toBe(404);
    expect(res.headers.location).toBeUndefined();
  });
});

// The local runner serves a site on one loopback port: a TLS site runs there as plain HTTP.
describe('a local run of a site with TLS', () => {
  let run: RunningSite | undefined;

  afterAll(async () => {
    await run?.stop();
  });

  test('serves the app over plain HTTP on its one port, without redirecting', async () => {
    // GIVEN a site with an ACME certificate
    const stack = new TerraformStack(Testing.app(), 'local-tls');
    const site = new ApacheSite(stack, 'Site', {
      platform: Platform.DEBIAN_12, serverName: DOMAIN,
      tls: { certificate: TlsCertificate.acme({ contactEmail: 'admin@example.test', acceptTermsOfService: true }) },
    });
    new WsgiApp(site, 'WebApp', { mountPath: '/', source: HELLO, scriptFile: 'wsgi.py', daemonGroup: new DaemonGroup(site, 'Web', { virtualEnv: new VirtualEnv(stack, 'Env') }) });
    // WHEN it runs locally
    run = await startLocalSite(site);
    // THEN the app answers over HTTP, with no redirect and no HSTS
    const res = curl(['-s', '-o', '/dev/null', '-w', '%{http_code} %header{strict-transport-security}', `${run.url}/`]);
    expect(res.stdout).toBe('200 ');
  });
});
