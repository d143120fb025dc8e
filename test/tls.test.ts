import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdktf';
import {
  hostFactsConf,
  AcmeCa, ApacheSite, ApacheSiteProps, Platform, renderConf, standaloneConf, TlsCertificate, TlsOptions, TlsProfile, WsgiApp,
} from '../lib';
import { APACHE_MODULES_DIR, makeScratchDir, standaloneHost, syntaxCheck } from './support/apache-check';
import { FIXTURE_APP, newGroup, newSite, warningsOf } from './util';

const ACME = TlsCertificate.acme({ contactEmail: 'admin@example.com', acceptTermsOfService: true });
const FILES = TlsCertificate.fromFiles('/etc/ssl/example/fullchain.pem', '/etc/ssl/example/privkey.pem');
const CERT_ARN = 'arn:aws:ssm:eu-west-1:123456789012:parameter/site/tls-cert';
const KEY_ARN = 'arn:aws:ssm:eu-west-1:123456789012:parameter/site/tls-key';

function tlsSite(tls: Partial<TlsOptions> = {}, props: Partial<ApacheSiteProps> = {}): ApacheSite {
  const { site } = newSite({ serverName: 'example.com', serverAliases: ['www.example.com'], tls: { certificate: ACME, ...tls }, ...props });
  new WsgiApp(site, 'A', { mountPath: '/', source: FIXTURE_APP, scriptFile: 'wsgi.py', daemonGroup: newGroup(site, 'G') });
  return site;
}

describe('HTTPS config of a site with TLS', () => {
  test('serves the site on 443 and redirects plain HTTP on 80 to the canonical https:// URL', () => {
    // GIVEN a site with an ACME certificate and default TLS options
    // WHEN its config is rendered
    const conf = tlsSite().renderConfigFiles()['site.conf'];
    // THEN port 80 only redirects, permanently, keeping path and query (mod_rewrite keeps the query string)
    expect(conf).toContain([
      '    RewriteEngine On',
      '    RewriteCond %{REQUEST_URI} !^/[.]well-known/acme-challenge/',
      '    RewriteRule "^(.*)$" "https://example.com$1" [R=301,L]',
      '</VirtualHost>',
    ].join('\n'));
    expect(conf.indexOf('<VirtualHost *:80>')).toBeLessThan(conf.indexOf('<VirtualHost *:443>'));
    // AND the apps are only in the HTTPS virtual host
    expect(conf.indexOf('WSGIScriptAlias')).toBeGreaterThan(conf.indexOf('<VirtualHost *:443>'));
    expect(conf.match(/WSGIDaemonProcess /g)).toHaveLength(1);
  });

  test('the redirect names the HTTPS port when it is not 443', () => {
    const conf = tlsSite({ httpsPort: 8443 }, { port: 8080 }).renderConfigFiles()['site.conf'];
    expect(conf).toContain('RewriteRule "^(.*)$" "https://example.com:8443$1" [R=301,L]');
    expect(conf).toContain('<VirtualHost *:8080>');
    expect(conf).toContain('<VirtualHost *:8443>');
  });

  test('sends HSTS for two years by default, from the HTTPS virtual host only', () => {
    const conf = tlsSite().renderConfigFiles()['site.conf'];
    expect(conf).toContain('        Header always set Strict-Transport-Security max-age=63072000\n');
    expect(conf.indexOf('Strict-Transport-Security')).toBeGreaterThan(conf.indexOf('<VirtualHost *:443>'));
  });

  test('HSTS takes includeSubDomains and preload, or is left out', () => {
    const preload = tlsSite({ hstsIncludeSubdomains: true, hstsPreload: true, hstsMaxAgeSec: 31_536_000 }).renderConfigFiles()['site.conf'];
    expect(preload).toContain('Header always set Strict-Transport-Security "max-age=31536000; includeSubDomains; preload"\n');
    expect(tlsSite({ hsts: false }).renderConfigFiles()['site.conf']).not.toContain('Strict-Transport-Security');
  });

  test('applies Mozilla\'s intermediate profile server-wide: TLS 1.2+, ECDHE AEAD ciphers, no tickets, no compression', () => {
    const conf = tlsSite().renderConfigFiles()['server.conf'];
    expect(conf).toContain([
      'SSLProtocol -all +TLSv1.2 +TLSv1.3',
      'SSLCipherSuite ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305',
      'SSLOpenSSLConfCmd Curves X25519:prime256v1:secp384r1',
      'SSLHonorCipherOrder Off',
      'SSLCompression Off',
      'SSLSessionTickets Off',
    ].join('\n'));
  });

  test('the modern profile is TLS 1.3 only and asks mod_md for an ECDSA key', () => {
    const conf = tlsSite({ profile: TlsProfile.MODERN }).renderConfigFiles()['server.conf'];
    expect(conf).toContain('\nSSLProtocol -all +TLSv1.3\n');
    expect(conf).not.toContain('SSLCipherSuite');
    expect(conf).toContain('\nMDPrivateKeys secp256r1\n');
  });

  test('ACME: mod_md manages serverName and aliases, in the distro\'s store, over http-01 with Let\'s Encrypt by default', () => {
    const server = tlsSite().renderConfigFiles()['server.conf'];
    expect(server).toContain([
      'MDStoreDir /etc/apache2/md',
      'MDCertificateAuthority https://acme-v02.api.letsencrypt.org/directory',
      'MDCertificateAgreement accepted',
      'MDContactEmail admin@example.com',
      'MDCAChallenges http-01',
      'MDomain example.com www.example.com',
    ].join('\n'));
    // mod_md supplies the certificate: no certificate files in the virtual host
    const site = tlsSite().renderConfigFiles()['site.conf'];
    expect(site).toContain('    SSLEngine on\n');
    expect(site).not.toContain('SSLCertificateFile');
  });

  test('ACME takes another CA, e.g. Let\'s Encrypt staging', () => {
    const cert = TlsCertificate.acme({ contactEmail: 'a@example.com', acceptTermsOfService: true, caUrl: AcmeCa.LETS_ENCRYPT_STAGING });
    expect(tlsSite({ certificate: cert }).renderConfigFiles()['server.conf'])
      .toContain('\nMDCertificateAuthority https://acme-staging-v02.api.letsencrypt.org/directory\n');
  });

  test('files: the virtual host reads the given certificate and key; no mod_md directives', () => {
    const site = tlsSite({ certificate: FILES });
    expect(site.renderConfigFiles()['site.conf']).toContain([
      '    SSLEngine on',
      '    SSLCertificateFile /etc/ssl/example/fullchain.pem',
      '    SSLCertificateKeyFile /etc/ssl/example/privkey.pem',
    ].join('\n'));
    expect(site.renderConfigFiles()['server.conf']).not.toMatch(/^MD/m);
  });

  test('SSM: the virtual host reads root-only files the parameters are fetched into; the ARNs stay in the site data', () => {
    const site = tlsSite({ certificate: TlsCertificate.fromSsmParameters(CERT_ARN, KEY_ARN) });
    expect(site.renderConfigFiles()['site.conf']).toContain([
      '    SSLCertificateFile /etc/cdktf-apache-wsgi/site/tls/fullchain.pem',
      '    SSLCertificateKeyFile /etc/cdktf-apache-wsgi/site/tls/privkey.pem',
    ].join('\n'));
    expect(site.toSpec().tls?.certificate).toEqual({
      source: 'ssm', certificateParameterArn: CERT_ARN, privateKeyParameterArn: KEY_ARN,
      certificateFile: '/etc/cdktf-apache-wsgi/site/tls/fullchain.pem', privateKeyFile: '/etc/cdktf-apache-wsgi/site/tls/privkey.pem',
    });
  });

  test('a site without tls renders no TLS, redirect or HSTS', () => {
    const { site } = newSite();
    new WsgiApp(site, 'A', { mountPath: '/', source: FIXTURE_APP, scriptFile: 'wsgi.py', daemonGroup: newGroup(site, 'G') });
    const files = site.renderConfigFiles();
    expect(files['site.conf'] + files['server.conf']).not.toMatch(/SSL|Rewrite|Strict-Transport|MDomain/);
    expect(site.httpsPort).toBeUndefined();
  });

  test('a local (standalone) run of a TLS site serves plain HTTP on its one port', () => {
    const site = tlsSite();
    const text = renderConf(standaloneConf(site.toSpec(), site.deployedLayout(), standaloneHost('/tmp/x', 18080)));
    expect(text).not.toMatch(/SSL|MDomain|Rewrite/);
    expect(text).toContain('<VirtualHost *:18080>');
  });

  test('an ACME site on another HTTP port than 80 gets a warning: http-01 always connects to port 80', () => {
    const site = tlsSite({}, { port: 8080 });
    expect(warningsOf(site).join('\n')).toMatch(/ACME http-01 validation always connects to port 80/);
  });

  test('the rendered server.conf and site.conf pass apache2 -t with the distro\'s modules', async () => {
    // GIVEN both files of an ACME site (with the store moved to a scratch directory) and of a files site
    const dir = makeScratchDir('caw-tls-syntax-');
    // apache2 -t loads certificate files: a throwaway self-signed pair
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'k.pem'), '-out', path.join(dir, 'c.pem'), '-days', '1', '-subj', '/CN=example.com'], { stdio: 'pipe' });
    // what provisioning writes on the host (nproc)
    fs.writeFileSync(path.join(dir, 'host.conf'), hostFactsConf(2));
    try {
      const results = [];
      for (const [name, site] of [['acme', tlsSite({ profile: TlsProfile.MODERN })], ['files', tlsSite({ certificate: TlsCertificate.fromFiles(path.join(dir, 'c.pem'), path.join(dir, 'k.pem')) })]] as const) {
        const files = site.renderConfigFiles(site.deployedLayout({
          hostFactsFile: path.join(dir, 'host.conf'), mdStoreDir: path.join(dir, 'md'), documentRoot: dir, socketPrefix: path.join(dir, 'wsgi'), errorLog: path.join(dir, 'e.log'), accessLog: path.join(dir, 'a.log'), daemonUsers: false,
        }));
        const main = path.join(dir, `${name}.conf`);
        const mods = ['mpm_event', 'authz_core', 'alias', 'headers', 'reqtimeout', 'wsgi', 'ssl', 'md', 'rewrite', 'socache_shmcb'];
        fs.writeFileSync(path.join(dir, `${name}-server.conf`), files['server.conf']);
        fs.writeFileSync(path.join(dir, `${name}-site.conf`), files['site.conf']);
        fs.writeFileSync(main, [
          `ServerRoot ${dir}`, `PidFile ${dir}/p.pid`, 'Listen 127.0.0.1:1080', 'Listen 127.0.0.1:1443 https', `ErrorLog ${dir}/s.log`,
          ...mods.map((m) => `LoadModule ${m}_module ${APACHE_MODULES_DIR}/mod_${m}.so`),
          `Include ${dir}/${name}-server.conf`, `Include ${dir}/${name}-site.conf`, '',
        ].join('\n'));
        results.push(await syntaxCheck(main));
      }
      // WHEN apache2 -t reads them THEN both are accepted without a warning
      expect(results.map((r) => [r.ok, r.output.trim()])).toEqual([[true, 'Syntax OK'], [true, 'Syntax OK']]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('TLS validation', () => {
  test('fails an ACME site whose serverName is not a public DNS name', () => {
    expect(() => tlsSite({}, { serverName: 'localhost' })).toThrow(/test\/Site: serverName "localhost" is invalid; expected a public DNS name/);
    expect(() => tlsSite({}, { serverName: '192.0.2.10' })).toThrow(/serverName "192.0.2.10" is invalid; expected a public DNS name/);
  });

  test('fails an ACME site with a wildcard alias (http-01 cannot validate it)', () => {
    expect(() => tlsSite({}, { serverAliases: ['*.example.com'] })).toThrow(/serverAliases\[0\] "\*.example.com" is invalid; expected a public DNS name .*no wildcard/);
  });

  test('accepts a wildcard alias with a certificate from files', () => {
    expect(tlsSite({ certificate: FILES }, { serverAliases: ['*.example.com'] }).renderConfigFiles()['site.conf']).toContain('ServerAlias *.example.com\n');
  });

  test.each([
    ['a newline that would start a directive', 'admin@example.com\nMDomain evil.example'],
    ['a quote that would end the argument', 'admin"@example.com'],
    ['a space', 'admin @example.com'],
    ['a variable', '${HOME}@example.com'],
    ['no domain', 'admin@'],
    ['no @', 'admin.example.com'],
  ])('fails a contactEmail with %s', (_, email) => {
    expect(() => TlsCertificate.acme({ contactEmail: email, acceptTermsOfService: true }))
      .toThrow(`TlsCertificate.acme: contactEmail ${JSON.stringify(email)} is invalid; expected an email address`);
  });

  test('fails ACME unless the CA\'s terms of service are accepted', () => {
    expect(() => TlsCertificate.acme({ contactEmail: 'a@example.com', acceptTermsOfService: false }))
      .toThrow('TlsCertificate.acme: acceptTermsOfService false is invalid; expected true');
  });

  test.each([
    ['plain http', 'http://acme.example.com/directory'],
    ['a quote', 'https://acme.example.com/"dir'],
    ['a newline', 'https://acme.example.com/\nMDomain x'],
  ])('fails a caUrl with %s', (_, url) => {
    expect(() => TlsCertificate.acme({ contactEmail: 'a@example.com', acceptTermsOfService: true, caUrl: url }))
      .toThrow(`TlsCertificate.acme: caUrl ${JSON.stringify(url)} is invalid; expected the https:// URL of an ACME directory`);
  });

  test.each([
    ['a relative path', 'certs/fullchain.pem'],
    ['a parent segment', '/etc/ssl/../shadow'],
    ['a space', '/etc/ssl/my cert.pem'],
    ['a newline', '/etc/ssl/c.pem\nSSLEngine off'],
    ['a variable', '/etc/${X}/c.pem'],
  ])('fails a certificate path with %s', (_, p) => {
    expect(() => TlsCertificate.fromFiles(p, '/etc/ssl/k.pem')).toThrow(`TlsCertificate.fromFiles: certificatePath ${JSON.stringify(p)} is invalid; expected an absolute path`);
    expect(() => TlsCertificate.fromFiles('/etc/ssl/c.pem', p)).toThrow(`TlsCertificate.fromFiles: privateKeyPath ${JSON.stringify(p)} is invalid; expected an absolute path`);
  });

  test('fails an SSM parameter that is not one full parameter ARN', () => {
    expect(() => TlsCertificate.fromSsmParameters('arn:aws:ssm:eu-west-1:123456789012:parameter/*', KEY_ARN))
      .toThrow(/TlsCertificate.fromSsmParameters: certificateParameterArn ".*" is invalid; expected the ARN of one SSM parameter/);
    expect(() => TlsCertificate.fromSsmParameters(CERT_ARN, '/site/tls-key'))
      .toThrow(/privateKeyParameterArn "\/site\/tls-key" is invalid/);
  });

  test.each([-1, 1.5, 63_072_001])('fails an HSTS max-age of %p (0 to 63072000 seconds)', (sec) => {
    expect(() => tlsSite({ hstsMaxAgeSec: sec })).toThrow(`test/Site: tls.hstsMaxAgeSec ${sec} is invalid; expected an integer from 0 to 63072000`);
  });

  test('fails HSTS preload without includeSubDomains or with less than a year', () => {
    expect(() => tlsSite({ hstsPreload: true })).toThrow(/tls.hstsPreload true is invalid; expected preload only with .*hstsIncludeSubdomains true/);
    expect(() => tlsSite({ hstsPreload: true, hstsIncludeSubdomains: true, hstsMaxAgeSec: 86_400 })).toThrow(/tls.hstsPreload true is invalid/);
  });

  test('fails an HTTPS port equal to the HTTP port or out of range', () => {
    expect(() => tlsSite({ httpsPort: 80 })).toThrow('test/Site: tls.httpsPort 80 is invalid; expected a port other than the site\'s HTTP port 80');
    expect(() => tlsSite({ httpsPort: 70_000 })).toThrow('test/Site: tls.httpsPort 70000 is invalid; expected an integer from 1 to 65535');
  });

  test('fails a certificate that is not a TlsCertificate', () => {
    expect(() => tlsSite({ certificate: { source: 'files' } as any })).toThrow(/test\/Site: tls.certificate .* is invalid; expected a TlsCertificate/);
  });

  test('fails TLS on a platform the catalog has no TLS facts for yet', () => {
    expect(() => tlsSite({}, { platform: Platform.RHEL_9 })).toThrow(/test\/Site: tls ".*" is invalid; expected a platform whose TLS setup is in the catalog/);
  });

  test('synthesizes with validations for each certificate source', () => {
    for (const certificate of [ACME, FILES, TlsCertificate.fromSsmParameters(CERT_ARN, KEY_ARN)]) {
      const site = tlsSite({ certificate });
      expect(() => Testing.synth(ApacheSite.of(site).node.scope as any, true)).not.toThrow();
    }
  });
});
