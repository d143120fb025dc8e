import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApacheSite, buildRecipe, Recipe, RecipeStep, recipeSteps, renderShellScript, siteBundle, StartMode, TlsCertificate, WsgiApp } from '../../lib';
import { AWS_CLIENT_PY } from '../../lib/provision/aws-client';
import { AwsStandIn, FAKE_KEY_ID, FAKE_SECRET, startAwsStandIn } from '../realapps/aws-stand-in';
import { provisionInputOf } from '../../lib/private/provision-input';
import { FIXTURE_APP, newGroup, newSite } from '../util';

const OPTIONS = { port: 80, startMode: StartMode.SYSTEMD, bundleDir: '/opt/cdktf-apache-wsgi/site' };
const CERT_ARN = 'arn:aws:ssm:eu-west-1:123456789012:parameter/site/tls-cert';
const KEY_ARN = 'arn:aws:ssm:eu-west-1:123456789012:parameter/site/tls-key';

function site(certificate: TlsCertificate): ApacheSite {
  const { site: s } = newSite({ serverName: 'example.com', tls: { certificate } });
  new WsgiApp(s, 'A', { mountPath: '/', source: FIXTURE_APP, scriptFile: 'wsgi.py', daemonGroup: newGroup(s, 'G') });
  return s;
}

const acme = () => site(TlsCertificate.acme({ contactEmail: 'admin@example.com', acceptTermsOfService: true }));
const files = () => site(TlsCertificate.fromFiles('/etc/ssl/example/fullchain.pem', '/etc/ssl/example/privkey.pem'));
const ssm = () => site(TlsCertificate.fromSsmParameters(CERT_ARN, KEY_ARN));

function step<K extends RecipeStep['kind']>(recipe: Recipe, kind: K): Extract<RecipeStep, { kind: K }> {
  return recipeSteps(recipe).find((s) => s.kind === kind) as Extract<RecipeStep, { kind: K }>;
}

describe('provisioning recipe of a site with TLS', () => {
  test('ACME: enables ssl, md and rewrite, listens on 80 and 443, activates the first certificate, then health-checks over HTTPS', () => {
    // GIVEN an ACME site WHEN its recipe is built
    const recipe = buildRecipe(provisionInputOf(acme()), OPTIONS);
    // THEN
    expect(recipeSteps(recipe).map((s) => s.kind).slice(-5)).toEqual(['apacheConfig', 'configTest', 'start', 'acmeActivation', 'healthCheck']);
    expect(step(recipe, 'apacheConfig').enable[0]).toEqual(['a2enmod', '-q', 'wsgi', 'headers', 'reqtimeout', 'alias', 'mime', 'ssl', 'md', 'rewrite']);
    expect(step(recipe, 'apacheConfig').httpsPort).toBe(443);
    expect(step(recipe, 'acmeActivation')).toMatchObject({ mdStoreDir: '/etc/apache2/md', domain: 'example.com', waitSec: 300 });
    expect(step(recipe, 'healthCheck').checks).toEqual([{ url: 'https://127.0.0.1:443/', healthyHttpCodes: '200-399,401,403' }]);
  });

  test('writes both Listen lines into ports.conf', () => {
    expect(renderShellScript(buildRecipe(provisionInputOf(files()), OPTIONS))).toContain("printf 'Listen %s\\nListen %s https\\n' 80 443 > /etc/apache2/ports.conf\n");
  });

  test('ACME on a VM: installs an hourly timer that reloads Apache only when mod_md has staged a certificate', () => {
    const script = renderShellScript(buildRecipe(provisionInputOf(acme()), OPTIONS));
    expect(script).toContain("for f in /etc/apache2/md/staging/*/pubcert*.pem; do\n  if [ -s \"$f\" ]; then exec systemctl reload apache2; fi\ndone' > /usr/local/sbin/caw-md-activate\n");
    expect(script).toContain('OnUnitActiveSec=1h');
    expect(script).toContain('quiet systemctl enable --now caw-md-activate.timer\n');
  });

  test('files: no ACME or SSM step; Apache checks the files at its config test', () => {
    const kinds = recipeSteps(buildRecipe(provisionInputOf(files()), OPTIONS)).map((s) => s.kind);
    expect(kinds).not.toContain('acmeActivation');
    expect(kinds).not.toContain('ssmCertificate');
  });

  test('SSM: fetches the two parameters before the Apache config; the bundle names them by ARN only', () => {
    const input = provisionInputOf(ssm());
    const recipe = buildRecipe(input, OPTIONS);
    const kinds = recipeSteps(recipe).map((s) => s.kind);
    expect(kinds.indexOf('ssmCertificate')).toBeLessThan(kinds.indexOf('apacheConfig'));
    expect(step(recipe, 'ssmCertificate')).toEqual({
      kind: 'ssmCertificate', python: '/usr/bin/python3.11', client: '/opt/cdktf-apache-wsgi/site/aws_client.py', spec: '/opt/cdktf-apache-wsgi/site/tls/ssm.json',
      dir: '/etc/cdktf-apache-wsgi/site/tls', certificateFile: '/etc/cdktf-apache-wsgi/site/tls/fullchain.pem', privateKeyFile: '/etc/cdktf-apache-wsgi/site/tls/privkey.pem',
    });
    const bundle = siteBundle(input, OPTIONS);
    expect(JSON.parse(bundle.get('tls/ssm.json')!.content.toString())).toEqual([
      { envVar: 'certificate', store: 'ssm-parameter', arn: CERT_ARN },
      { envVar: 'privateKey', store: 'ssm-parameter', arn: KEY_ARN },
    ]);
    expect(bundle.has('aws_client.py')).toBe(true);
  });
});

// The first-certificate wait, run in a real shell against a fake mod_md store.
describe('ACME activation step, run in a real shell', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'caw-md-'));
  const ctl = path.join(dir, 'apachectl');
  fs.writeFileSync(ctl, `#!/bin/sh\necho "$*" >> ${dir}/ctl.log\n`, { mode: 0o755 });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  function run(store: string, waitSec: number) {
    const script = renderShellScript({
      siteName: 'site', platformId: 'test',
      phases: [{ name: 'app', inputs: [], steps: [{ kind: 'acmeActivation', mode: StartMode.BACKGROUND, mdStoreDir: store, domain: 'example.com', waitSec, service: 'apache2', ctl }] }],
    });
    return spawnSync('sh', ['-c', script], { encoding: 'utf8', timeout: 30_000 });
  }

  test('a staged certificate (any key type) is activated with a graceful restart', () => {
    // GIVEN mod_md has staged an ECDSA certificate
    const store = path.join(dir, 'staged');
    fs.mkdirSync(path.join(store, 'staging', 'example.com'), { recursive: true });
    fs.writeFileSync(path.join(store, 'staging', 'example.com', 'pubcert.secp256r1.pem'), 'PEM');
    // WHEN the step runs THEN Apache restarts gracefully once
    const res = run(store, 0);
    expect(res.stdout).toContain('[provision] serving the new certificate');
    expect(res.status).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'ctl.log'), 'utf8')).toBe('-k graceful\n');
  });

  test('an active certificate needs no restart', () => {
    const store = path.join(dir, 'active');
    fs.mkdirSync(path.join(store, 'domains', 'example.com'), { recursive: true });
    fs.writeFileSync(path.join(store, 'domains', 'example.com', 'pubcert.pem'), 'PEM');
    fs.rmSync(path.join(dir, 'ctl.log'), { force: true });
    expect(run(store, 0).status).toBe(0);
    expect(fs.existsSync(path.join(dir, 'ctl.log'))).toBe(false);
  });

  test('fails with the reason when only mod_md\'s fallback certificate is there after the wait', () => {
    const store = path.join(dir, 'fallback');
    fs.mkdirSync(path.join(store, 'domains', 'example.com'), { recursive: true });
    fs.writeFileSync(path.join(store, 'domains', 'example.com', 'fallback-pubcert.pem'), 'PEM');
    const res = run(store, 0);
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('[provision] ERROR: no certificate for example.com after 0 s: the name must resolve to this host and port 80 be reachable from the internet');
  });
});

// The SSM certificate step, run in a real shell against the local stand-in for
// SSM's GetParameter (no AWS here), which checks every request's SigV4 signature.
describe('SSM certificate step, run in a real shell', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'caw-ssm-'));
  const CERT = '-----BEGIN CERTIFICATE-----\nMIIBcert\n-----END CERTIFICATE-----';
  const KEY = '-----BEGIN PRIVATE KEY-----\nMIIBkey\n-----END PRIVATE KEY-----';
  let aws: AwsStandIn;

  function shell(script: string, env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn('sh', ['-c', script], { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => { stdout += d; });
      child.stderr.on('data', (d) => { stderr += d; });
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });
  }

  beforeAll(async () => {
    aws = await startAwsStandIn({ [CERT_ARN]: CERT, [KEY_ARN]: KEY });
  });

  afterAll(async () => {
    await aws?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('writes the certificate and key into root-only files and leaves no fetched copy behind', async () => {
    // GIVEN the bundle's client and parameter list
    const bundle = siteBundle(provisionInputOf(ssm()), OPTIONS);
    fs.writeFileSync(path.join(dir, 'aws_client.py'), AWS_CLIENT_PY);
    fs.writeFileSync(path.join(dir, 'ssm.json'), bundle.get('tls/ssm.json')!.content);
    const tlsDir = path.join(dir, 'tls');
    const script = renderShellScript({
      siteName: 'site', platformId: 'test',
      phases: [{
        name: 'app', inputs: [],
        steps: [{
          kind: 'ssmCertificate', python: 'python3', client: path.join(dir, 'aws_client.py'), spec: path.join(dir, 'ssm.json'),
          dir: tlsDir, certificateFile: path.join(tlsDir, 'fullchain.pem'), privateKeyFile: path.join(tlsDir, 'privkey.pem'),
        }],
      }],
    });
    // WHEN the step runs with credentials in the environment and SSM's endpoint on loopback
    // (asynchronously: the stand-in answers from this process's event loop)
    const res = await shell(script, { PATH: process.env.PATH, AWS_ACCESS_KEY_ID: FAKE_KEY_ID, AWS_SECRET_ACCESS_KEY: FAKE_SECRET, AWS_ENDPOINT_URL_SSM: aws.url });
    // THEN both parameters were read with signed, decrypting GetParameter calls
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    expect(aws.calls).toEqual([
      { target: 'AmazonSSM.GetParameter', name: CERT_ARN, signatureOk: true },
      { target: 'AmazonSSM.GetParameter', name: KEY_ARN, signatureOk: true },
    ]);
    // AND both files hold the values, readable by their owner only, and nothing was printed of them
    expect(fs.readFileSync(path.join(tlsDir, 'fullchain.pem'), 'utf8')).toBe(`${CERT}\n`);
    expect(fs.readFileSync(path.join(tlsDir, 'privkey.pem'), 'utf8')).toBe(`${KEY}\n`);
    expect(fs.statSync(path.join(tlsDir, 'privkey.pem')).mode & 0o777).toBe(0o600);
    expect(fs.statSync(tlsDir).mode & 0o777).toBe(0o700);
    expect(fs.readdirSync(tlsDir).sort()).toEqual(['fullchain.pem', 'privkey.pem']);
    expect(res.stdout).not.toContain('MIIB');
  });
});
