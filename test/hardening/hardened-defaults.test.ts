import * as fs from 'fs';
import * as path from 'path';
import { ConfNode, renderConf, serverConf, STANDALONE_MODULES, vhostConf } from '../../lib/conf';
import { DaemonGroup, Platform } from '../../lib';
import { apacheAvailable, makeScratchDir, scratchLayout, standaloneHost, standaloneText, syntaxCheck } from '../support/apache-check';
import { siteFixture } from '../support/site-fixture';

/** Every directive in a tree as [enclosing sections, name, args]. */
function directives(nodes: readonly ConfNode[], within: string[] = []): { within: string[]; name: string; args: string[] }[] {
  return nodes.flatMap((n) => {
    if (n.kind === 'directive') {
      return [{ within, name: n.name, args: n.args.map((a) => (typeof a === 'object' ? `${a.key}=${a.value}` : String(a))) }];
    }
    if (n.kind === 'section') {
      return directives(n.children, [...within, `${n.name} ${n.args.join(' ')}`]);
    }
    return [];
  });
}

function defaultTree() {
  const f = siteFixture({ app: { staticFiles: [{ urlPath: '/static', directory: 'static' }] } });
  const spec = f.site.toSpec();
  const layout = f.site.deployedLayout();
  return { f, spec, layout, nodes: [...serverConf(spec, layout), ...vhostConf(spec, layout)] };
}

describe('hardened defaults of the rendered config', () => {
  test('hides the version and disables TRACE (ServerTokens Prod, ServerSignature Off, TraceEnable Off)', () => {
    // GIVEN a site with only the required props
    const { nodes } = defaultTree();
    // WHEN its server-scope directives are read
    const top = directives(nodes).filter((d) => d.within.length === 0);
    // THEN the information-leak and TRACE directives are set
    expect(top.filter((d) => ['ServerTokens', 'ServerSignature', 'TraceEnable'].includes(d.name)).map((d) => `${d.name} ${d.args.join(' ')}`))
      .toEqual(['ServerTokens Prod', 'ServerSignature Off', 'TraceEnable Off']);
  });

  test('denies the whole file system and lets no .htaccess override it', () => {
    const { nodes } = defaultTree();
    const root = directives(nodes).filter((d) => d.within.join('|') === 'Directory /');
    expect(root.map((d) => `${d.name} ${d.args.join(' ')}`)).toEqual(['Options None', 'AllowOverride None', 'Require all denied']);
  });

  test('grants access only to the empty document root, the static directories and the generated entry script', () => {
    // GIVEN an app with a static directory
    const { nodes, layout } = defaultTree();
    const appDir = Object.values(layout.appDirs)[0];
    // WHEN every "Require all granted" is located
    const grants = directives(nodes).filter((d) => d.name === 'Require' && d.args.join(' ') === 'all granted').map((d) => d.within.join(' > '));
    // THEN it sits only in the empty DocumentRoot (mod_wsgi's PATH_TRANSLATED lookup lands
    // there instead of the deny-all root), the static <Directory> and the generated entry script's
    // <Files> (the app's own tree, its WSGI script included, is never granted)
    expect(layout.documentRoot).toBe('/srv/wsgi/site/htdocs');
    expect(grants).toEqual([
      `VirtualHost *:80 > Directory ${layout.documentRoot}`,
      `VirtualHost *:80 > Directory ${appDir}/static`,
      `VirtualHost *:80 > Directory ${layout.bootDir} > Files web-app.wsgi`,
    ]);
  });

  test('never allows directory listings: every Options is None and mod_autoindex is not loaded', () => {
    const { nodes } = defaultTree();
    const options = directives(nodes).filter((d) => d.name === 'Options');
    expect(options.length).toBeGreaterThan(0);
    expect(options.map((d) => d.args.join(' ')).every((a) => a === 'None')).toBe(true);
    expect(STANDALONE_MODULES).not.toContain('autoindex');
  });

  test('limits request size and time (LimitRequestBody, Timeout, KeepAliveTimeout, RequestReadTimeout, request-timeout)', () => {
    const { nodes } = defaultTree();
    const all = directives(nodes);
    const value = (name: string) => all.filter((d) => d.name === name).map((d) => d.args.join(' '));
    expect(value('LimitRequestBody')).toEqual(['10485760']);
    expect(value('Timeout')).toEqual(['60']);
    expect(value('KeepAliveTimeout')).toEqual(['2']);
    expect(value('RequestReadTimeout')).toEqual(['header=15-30,MinRate=500 body=15,MinRate=500']);
    const daemon = all.find((d) => d.name === 'WSGIDaemonProcess')!.args;
    expect(daemon).toEqual(expect.arrayContaining(['request-timeout=60', 'queue-timeout=45', 'socket-timeout=60', 'connect-timeout=15']));
  });

  test('runs daemon processes as a dedicated non-root user and group', () => {
    const { nodes } = defaultTree();
    const daemon = directives(nodes).find((d) => d.name === 'WSGIDaemonProcess')!.args;
    expect(daemon.filter((a) => /^(user|group)=/.test(a))).toEqual(['user=wsgi-web', 'group=wsgi-web']);
  });

  test('fails for user root', () => {
    expect(() => siteFixture({ group: { user: 'root' } })).toThrow('Stack/Site/Web: user "root" is invalid; expected a non-root user');
  });

  test('fails for group root', () => {
    expect(() => siteFixture({ group: { group: 'root' } })).toThrow('Stack/Site/Web: group "root" is invalid; expected an unprivileged group: root gives its members system-wide rights');
  });

  test('fails when two long group names cut to the same default user', () => {
    // GIVEN a first group whose default user is "wsgi-" + the first 27 characters of its name
    const f = siteFixture({ group: { name: 'a-very-long-daemon-group-name-one' } });
    // WHEN a second group with the same 27-character prefix is added
    const add = () => new DaemonGroup(f.site, 'Two', { name: 'a-very-long-daemon-group-name-two', virtualEnv: f.group.virtualEnv });
    // THEN it is refused rather than sharing the first group's identity
    expect(add).toThrow(/^Stack\/Site\/Two: user "wsgi-a-very-long-daemon-group-na" is invalid; expected a user of its own/);
  });

  test('puts the WSGI sockets in a root-owned run directory on every platform, never in a world-writable one', () => {
    // GIVEN every catalogued platform
    // WHEN its socket prefix is read
    const prefixes = Platform.ALL.map((p) => p.apache.socketPrefix);
    // THEN it is under /run or /var/run (created root-owned, 0755, by the distro package), not /tmp
    expect(prefixes.every((p) => /^\/(var\/)?run\/[a-z0-9]+\/wsgi$/.test(p))).toBe(true);
  });

  test('fails for a static directory that holds the WSGI script (Apache would serve the source)', () => {
    expect(() => siteFixture({ app: { scriptFile: 'sub/wsgi.py', staticFiles: [{ urlPath: '/static', directory: 'sub' }] } }))
      .toThrow(/^Stack\/Site\/WebApp: staticFiles\[0\]\.directory "sub" is invalid; expected a directory without code or settings: it contains sub\/wsgi\.py/);
    expect(() => siteFixture({ app: { staticFiles: [{ urlPath: '/static', directory: '.' }] } }))
      .toThrow(/staticFiles\[0\]\.directory "\." is invalid/);
  });

  test('sends no security headers unless asked', () => {
    const text = renderConf(defaultTree().nodes);
    expect(text).not.toMatch(/X-Frame-Options|Content-Security-Policy/);
  });

  test('securityHeaders: true sends nosniff, frame denial, a referrer policy and a same-origin CSP', () => {
    // GIVEN a site that opts in
    const f = siteFixture({ site: { securityHeaders: true } });
    // WHEN its vhost is rendered
    const headers = directives(vhostConf(f.site.toSpec(), f.site.deployedLayout())).filter((d) => d.name === 'Header');
    // THEN the four headers are set with "always" (also on error responses), inside IfModule headers_module
    expect(headers.map((d) => d.args.join(' '))).toEqual([
      'always set X-Content-Type-Options nosniff',
      'always set X-Frame-Options DENY',
      'always set Referrer-Policy strict-origin-when-cross-origin',
      "always set Content-Security-Policy default-src 'self'",
    ]);
    expect(headers.every((d) => d.within.includes('IfModule headers_module'))).toBe(true);
  });

  test('the hardened config, security headers included, passes apache2 -t', async () => {
    // GIVEN the opt-in site with a static directory and trusted proxies
    expect(apacheAvailable()).toBe(true);
    const f = siteFixture({ site: { securityHeaders: true, trustedProxies: ['10.0.0.0/8'] }, app: { staticFiles: [{ urlPath: '/static', directory: 'static', maxAgeSec: 60 }] } });
    const dir = makeScratchDir('hardened-');
    try {
      const file = path.join(dir, 'httpd.conf');
      fs.writeFileSync(file, standaloneText(f.site.toSpec(), scratchLayout(f.site.deployedLayout(), dir, false), standaloneHost(dir)));
      // WHEN Apache checks it
      const result = await syntaxCheck(file);
      // THEN it is accepted
      expect(result.output.trim()).toBe('Syntax OK');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
