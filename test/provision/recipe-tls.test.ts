import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApacheSite, buildRecipe, Recipe, RecipeStep, renderShellScript, StartMode, TlsCertificate, WsgiApp } from '../../lib';
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
  return recipe.steps.find((s) => s.kind === kind) as Extract<RecipeStep, { kind: K }>;
}

describe('provisioning recipe of a site with TLS', () => {
  test('ACME: enables ssl, md and rewrite, listens on 80 and 443, activates the first certificate, then health-checks over HTTPS', () => {
    // GIVEN an ACME site WHEN its recipe is built
    const recipe = buildRecipe(provisionInputOf(acme()), OPTIONS);
    // THEN
    expect(recipe.steps.map((s) => s.kind).slice(-5)).toEqual(['apacheConfig', 'configTest', 'start', 'acmeActivation', 'healthCheck']);
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
    const kinds = buildRecipe(provisionInputOf(files()), OPTIONS).steps.map((s) => s.kind);
    expect(kinds).not.toContain('acmeActivation');
    expect(kinds).not.toContain('ssmCertificate');
  });

  test('SSM: names the parameters and root-only files before the Apache config; fails clearly while the files are missing', () => {
    const recipe = buildRecipe(provisionInputOf(ssm()), OPTIONS);
    const kinds = recipe.steps.map((s) => s.kind);
    expect(kinds.indexOf('ssmCertificate')).toBeLessThan(kinds.indexOf('apacheConfig'));
    expect(step(recipe, 'ssmCertificate')).toEqual({
      kind: 'ssmCertificate', dir: '/etc/cdktf-apache-wsgi/site/tls',
      files: [
        { parameterArn: CERT_ARN, path: '/etc/cdktf-apache-wsgi/site/tls/fullchain.pem' },
        { parameterArn: KEY_ARN, path: '/etc/cdktf-apache-wsgi/site/tls/privkey.pem' },
      ],
    });
    expect(renderShellScript(recipe)).toContain(`[ -s /etc/cdktf-apache-wsgi/site/tls/privkey.pem ] || fail '/etc/cdktf-apache-wsgi/site/tls/privkey.pem is missing: it holds SSM parameter ${KEY_ARN}, which this recipe does not fetch yet'`);
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
      steps: [{ kind: 'acmeActivation', mode: StartMode.BACKGROUND, mdStoreDir: store, domain: 'example.com', waitSec, service: 'apache2', ctl }],
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
