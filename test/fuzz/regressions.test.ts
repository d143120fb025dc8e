import { directive, option, renderConf } from '../../lib/conf';
import { apacheAvailable, makeScratchDir, scratchLayout, standaloneHost, standaloneText, syntaxCheck } from '../support/apache-check';
import { App, TerraformStack } from 'cdktf';
import { ApacheSite, DaemonGroup, Platform, VirtualEnv, WsgiApp } from '../../lib';
import { appSource, siteFixture } from '../support/site-fixture';
import * as fs from 'fs';
import * as path from 'path';

// Bugs the site fuzz test found; each was a config Apache refused or a crash instead of a clear error.

async function apacheAccepts(f: ReturnType<typeof siteFixture>): Promise<string> {
  const dir = makeScratchDir('regress-');
  try {
    const file = path.join(dir, 'httpd.conf');
    fs.writeFileSync(file, standaloneText(f.site.toSpec(), scratchLayout(f.site.deployedLayout(), dir, false), standaloneHost(dir)));
    const r = await syntaxCheck(file);
    return r.ok ? 'Syntax OK' : r.output;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('option values of mod_wsgi directives', () => {
  test('renders key="quoted value", the only form mod_wsgi parses', () => {
    // GIVEN an option whose value needs quoting
    // WHEN rendered
    const text = renderConf([directive('WSGIDaemonProcess', 'g', option('display-name', 'my "app"'))]);
    // THEN only the value is quoted
    expect(text).toBe('WSGIDaemonProcess g display-name="my \\"app\\""\n');
  });

  test('a display name with spaces and quotes passes apache2 -t', async () => {
    // GIVEN a daemon group display name with a space, a quote and a backslash
    expect(apacheAvailable()).toBe(true);
    const f = siteFixture({ group: { displayName: 'my "app" \\ x' } });
    // WHEN its standalone config is checked by Apache
    // THEN Apache accepts it
    expect(await apacheAccepts(f)).toBe('Syntax OK');
  });
});

describe('values Apache refuses are rejected at construct time', () => {
  test('fails for a wildcard serverName', () => {
    expect(() => siteFixture({ site: { serverName: '*.example.com' } })).toThrow(/^Stack\/Site: serverName "\*\.example\.com" is invalid; expected .*serverAliases/);
  });

  test('a wildcard serverAlias is still accepted', () => {
    expect(siteFixture({ site: { serverAliases: ['*.example.com'] } }).site.serverAliases).toEqual(['*.example.com']);
  });

  test('fails for headerMaxSec equal to headerSec (mod_reqtimeout needs it larger)', () => {
    expect(() => siteFixture({ site: { requestReadTimeout: { headerSec: 20, headerMaxSec: 20 } } }))
      .toThrow('Stack/Site: requestReadTimeout.headerMaxSec 20 is invalid; expected more than headerSec (20)');
  });

  test.each(['::ffff:10.0.0.1', '1.2.3.4/33', 'fe80::1/129', '999.1.1.1', ':'])('fails for trusted proxy %s mod_wsgi cannot parse', (p) => {
    expect(() => siteFixture({ site: { trustedProxies: [p] } })).toThrow(`Stack/Site: trustedProxies[0] ${JSON.stringify(p)} is invalid`);
  });

  test('accepts IPv4 and IPv6 proxies with prefixes, and Apache parses them', async () => {
    const f = siteFixture({ site: { trustedProxies: ['10.0.0.0/8', '192.0.2.1', '2001:db8::/32', '::1'] } });
    expect(await apacheAccepts(f)).toBe('Syntax OK');
  });

  test('fails for a serverAdmin holding a NUL or "${"', () => {
    expect(() => siteFixture({ site: { serverAdmin: 'a@b\u0000' } })).toThrow('Stack/Site: serverAdmin "a@b\\u0000" is invalid');
    expect(() => siteFixture({ site: { serverAdmin: 'a${X}@b' } })).toThrow('Stack/Site: serverAdmin "a${X}@b" is invalid');
  });

  test('fails for nested static URL paths across apps (Apache never reaches the later Alias, AH00671)', () => {
    // GIVEN an app serving static files at /assets
    const f = siteFixture({ app: { staticFiles: [{ urlPath: '/assets', directory: 'static' }] } });
    // WHEN a second app serves static files at /assets/img
    const second = () => new WsgiApp(f.site, 'Second', {
      mountPath: '/second', source: appSource(), scriptFile: 'wsgi.py', daemonGroup: new DaemonGroup(f.site, 'G2', { virtualEnv: f.group.virtualEnv }),
      staticFiles: [{ urlPath: '/assets/img', directory: 'static' }],
    });
    // THEN it is refused with both paths named
    expect(second).toThrow(/^Stack\/Site\/Second: staticFiles\.urlPath "\/assets\/img" is invalid; expected a URL path not nested with the static files URL \/assets of Stack\/Site\/WebApp/);
  });

  test('fails for nested static URL paths within one app', () => {
    expect(() => siteFixture({ app: { staticFiles: [{ urlPath: '/s', directory: 'static' }, { urlPath: '/s/x', directory: 'static' }] } }))
      .toThrow(/staticFiles\.urlPath "\/s" is invalid; expected a URL path not nested with the static files URL \/s\/x of the same app/);
  });

  test('fails for a script file name with ">" (it ends a <Files> section)', () => {
    const f = () => siteFixture({ app: { scriptFile: 'a>b.py' } });
    expect(f).toThrow(/^Stack\/Site\/WebApp: scriptFile "a>b\.py" is invalid; expected a path without "<" or ">"/);
  });

  test('fails for null or a number where a string is expected, instead of a TypeError', () => {
    expect(() => siteFixture({ site: { serverAliases: [null as any] } })).toThrow('Stack/Site: serverAliases[0] null is invalid');
    expect(() => siteFixture({ app: { source: undefined as any } })).toThrow('Stack/Site/WebApp: source undefined is invalid; expected an absolute path');
    expect(() => siteFixture({ group: { displayName: 42 as any } })).toThrow('Stack/Site/Web: displayName 42 is invalid; expected a string');
  });

  test('a construct id with a line break renders a one-line header comment', () => {
    // GIVEN a site whose construct id holds a newline
    const stack = new TerraformStack(new App(), 'Stack');
    const site = new ApacheSite(stack, 'Site\nX', { platform: Platform.DEBIAN_12, serverName: 'www.example.com' });
    new WsgiApp(site, 'WebApp', {
      mountPath: '/', source: appSource(), scriptFile: 'wsgi.py',
      daemonGroup: new DaemonGroup(site, 'Web', { virtualEnv: new VirtualEnv(stack, 'Env') }),
    });
    // WHEN its files are rendered
    const header = site.renderConfigFiles()['site.conf'].split('\n')[0];
    // THEN the newline is escaped inside the comment
    expect(header).toBe('# Generated by cdktf-apache-wsgi from Stack/Site\\nX for debian-12-libapache2-mod-wsgi-py3.');
  });
});
