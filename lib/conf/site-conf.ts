import { blank, comment, ConfArg, ConfNode, directive, option, section, variable } from './model';
import { renderConf } from './render';
import { AppSpec, DaemonGroupSpec, HOST_PROCESSES_VARIABLE, needsHostCpus, SiteLayout, SiteSpec } from './site-spec';
import { httpsRedirectConf, tlsServerConf, tlsVhostConf } from './tls';

const LOG_FORMAT = '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %D';
const MAX_THREADS_PER_CHILD = 512;
const EMBEDDED_THREADS_PER_CHILD = 25;
// Below this many idle workers at MaxRequestWorkers Apache logs AH10159: a real sign of saturation.
const MIN_SPARE_THREADS = 25;

/** Server-wide directives: one copy per Apache instance. */
export function serverConf(spec: SiteSpec, layout: SiteLayout): ConfNode[] {
  const nodes: ConfNode[] = [
    // A global ServerName spares Apache a hostname lookup and the AH00558 warning at every start.
    directive('ServerName', spec.serverName),
    ...hostFacts(spec, layout),
    comment('Daemon mode only: no Python runs inside Apache\'s own worker processes.'),
    directive('WSGIRestrictEmbedded', spec.restrictEmbedded ? 'On' : 'Off'),
    directive('WSGISocketPrefix', layout.socketPrefix),
    directive('WSGISocketRotation', 'Off'),
    blank(),
    directive('ServerTokens', 'Prod'),
    directive('ServerSignature', 'Off'),
    directive('TraceEnable', 'Off'),
    directive('Timeout', spec.timeoutSec),
    directive('KeepAliveTimeout', spec.keepAliveTimeoutSec),
    directive('LimitRequestBody', spec.limitRequestBodyBytes),
    section('IfModule', 'reqtimeout_module', [
      directive('RequestReadTimeout', requestReadTimeoutArg('header', spec.requestReadTimeout.headerSec, spec.requestReadTimeout.headerMaxSec, spec.requestReadTimeout.minRateBytesPerSec),
        requestReadTimeoutArg('body', spec.requestReadTimeout.bodySec, undefined, spec.requestReadTimeout.minRateBytesPerSec)),
    ]),
    directive('LogFormat', LOG_FORMAT, 'wsgi_combined'),
    ...(layout.serverErrorLog !== undefined ? [directive('ErrorLog', layout.serverErrorLog)] : []),
    blank(),
    comment('Everything is denied unless a section below grants it.'),
    section('Directory', '/', [
      directive('Options', 'None'),
      directive('AllowOverride', 'None'),
      directive('Require', 'all', 'denied'),
    ]),
    blank(),
    ...mpmConf(spec.maxRequestWorkers, spec.apps.some((a) => a.processGroup === undefined)),
  ];
  if (spec.tls) {
    nodes.push(blank(), ...tlsServerConf(spec.tls, layout.mdStoreDir));
  }
  if (layout.listen) {
    nodes.push(blank(), directive('Listen', layout.port ?? spec.port));
    if (spec.tls) {
      nodes.push(directive('Listen', spec.tls.httpsPort, 'https'));
    }
  }
  return nodes;
}

function hostFacts(spec: SiteSpec, layout: SiteLayout): ConfNode[] {
  if (!needsHostCpus(spec) || layout.hostFactsFile === undefined) {
    return [];
  }
  return [
    comment(`${HOST_PROCESSES_VARIABLE}: daemon processes per group, 2 per CPU, written by provisioning from the host's nproc.`),
    directive('Include', layout.hostFactsFile),
  ];
}

function requestReadTimeoutArg(kind: string, sec: number, maxSec: number | undefined, minRate: number): string {
  return `${kind}=${sec}${maxSec !== undefined ? `-${maxSec}` : ''},MinRate=${minRate}`;
}

/**
 * Event MPM with every worker started up front and as few children as possible.
 * A child whose workers are all busy closes its idle keep-alive connections, and
 * in daemon mode workers stay busy while they wait for the daemons: with children
 * of 25 threads, connections that the kernel happened to queue on one child were
 * dropped (wrk read errors) even when MaxRequestWorkers was above the client count.
 * One child holds up to MAX_THREADS_PER_CHILD threads; Apache's children run no
 * Python in daemon mode, so a large child costs stacks, not interpreters. With an
 * app in embedded mode the children do run Python, one GIL each: they keep
 * Debian's 25 threads so the load spreads over several interpreters.
 */
export function mpmConf(maxRequestWorkers: number, embedded = false): ConfNode[] {
  const serverLimit = Math.ceil(maxRequestWorkers / (embedded ? EMBEDDED_THREADS_PER_CHILD : MAX_THREADS_PER_CHILD));
  const threadsPerChild = Math.ceil(maxRequestWorkers / serverLimit);
  const workers = serverLimit * threadsPerChild;
  return [
    comment(`Sized for the clients and the daemon groups: ${workers} Apache threads, all started at once.`),
    section('IfModule', 'mpm_event_module', [
      directive('ServerLimit', serverLimit),
      directive('StartServers', serverLimit),
      directive('ThreadsPerChild', threadsPerChild),
      directive('ThreadLimit', threadsPerChild),
      directive('MaxRequestWorkers', workers),
      directive('MinSpareThreads', Math.min(threadsPerChild, MIN_SPARE_THREADS)),
      directive('MaxSpareThreads', workers),
    ]),
  ];
}

/** Names, logging and the empty document root: what every virtual host of the site starts with. */
function vhostIdentity(spec: SiteSpec, layout: SiteLayout): ConfNode[] {
  const body: ConfNode[] = [directive('ServerName', spec.serverName)];
  if (spec.serverAliases.length > 0) {
    body.push(directive('ServerAlias', ...spec.serverAliases));
  }
  if (spec.serverAdmin) {
    body.push(directive('ServerAdmin', spec.serverAdmin));
  }
  body.push(
    directive('LogLevel', spec.logLevel),
    directive('ErrorLog', layout.errorLog),
    directive('CustomLog', layout.accessLog, 'wsgi_combined'),
  );
  body.push(
    directive('DocumentRoot', layout.documentRoot),
    section('Directory', layout.documentRoot, [directive('Options', 'None'), directive('Require', 'all', 'granted')]),
  );
  if (layout.releaseLink !== undefined) {
    // Scripts and static files are reached through the release link (root's, in a root-owned tree).
    body.push(section('Directory', dirname(layout.releaseLink), [directive('Options', 'SymLinksIfOwnerMatch')]));
  }
  return body;
}

/**
 * The site's <VirtualHost>: daemon groups, apps, static files and logging.
 * With TLS it listens on the HTTPS port, and a second virtual host on the
 * site's port redirects plain HTTP there.
 */
export function vhostConf(spec: SiteSpec, layout: SiteLayout): ConfNode[] {
  const body = vhostIdentity(spec, layout);
  if (spec.tls) {
    body.push(...tlsVhostConf(spec.tls));
  }
  if (spec.trustedProxies.length > 0) {
    body.push(
      directive('WSGITrustedProxyHeaders', ...spec.trustedProxyHeaders),
      directive('WSGITrustedProxies', ...spec.trustedProxies),
    );
  }
  if (spec.securityHeaders) {
    body.push(blank(), ...securityHeaders());
  }
  for (const group of spec.groups) {
    body.push(blank(), comment(`Daemon process group ${group.name}`), daemonProcess(group, layout));
  }
  // mod_alias maps before mod_wsgi, and WSGIScriptAlias matches in file order:
  // most specific mount first, so '/' never swallows '/api'.
  for (const app of appsBySpecificity(spec.apps)) {
    body.push(blank(), comment(`WSGI application ${app.name} at ${app.mountPath}`), ...appConf(app, layout));
  }
  // <Location> sections merge in file order, later wins: least specific first.
  for (const app of [...appsBySpecificity(spec.apps)].reverse()) {
    const scoped: ConfNode[] = [];
    if (app.processGroup) {
      scoped.push(directive('WSGIProcessGroup', app.processGroup));
    }
    scoped.push(directive('WSGIApplicationGroup', app.applicationGroup));
    if (app.passAuthorization) {
      scoped.push(directive('WSGIPassAuthorization', 'On'));
    }
    body.push(blank(), section('Location', app.mountPath, scoped));
  }
  const httpPort = layout.port ?? spec.port;
  if (!spec.tls) {
    return [section('VirtualHost', `*:${httpPort}`, body)];
  }
  return [
    comment('Plain HTTP: ACME challenges, and a permanent redirect to HTTPS for everything else.'),
    section('VirtualHost', `*:${httpPort}`, [...vhostIdentity(spec, layout), ...httpsRedirectConf(spec.serverName, spec.tls.httpsPort)]),
    blank(),
    section('VirtualHost', `*:${spec.tls.httpsPort}`, body),
  ];
}

function daemonProcess(group: DaemonGroupSpec, layout: SiteLayout) {
  // Options render as key=<quoted value>: mod_wsgi rejects a quoted "key=value".
  const args: ConfArg[] = [group.name];
  if (layout.daemonUsers && group.user) {
    args.push(option('user', group.user), option('group', group.group ?? group.user));
  }
  args.push(option('home', layout.home), option('python-home', layout.venvDirs[group.venvName]));
  if (group.processesFromHostCpus) {
    args.push(option('processes', variable(HOST_PROCESSES_VARIABLE)));
  } else if (group.processes !== undefined) {
    args.push(option('processes', group.processes));
  }
  args.push(option('threads', group.threads), option('display-name', group.displayName), option('lang', group.lang), option('locale', group.locale));
  for (const o of group.options) {
    // Account names must exist where Apache reads the config, and need root to apply.
    if (!o.account || layout.daemonUsers) {
      args.push(option(o.option, o.value));
    }
  }
  return directive('WSGIDaemonProcess', ...args);
}

function appConf(app: AppSpec, layout: SiteLayout): ConfNode[] {
  const appDir = layout.appDirs[app.name];
  const nodes: ConfNode[] = [];
  for (const files of app.staticFiles) {
    const dir = joinPath(appDir, files.directory);
    const grants: ConfNode[] = [directive('Options', 'None'), directive('Require', 'all', 'granted')];
    if (files.maxAgeSec !== undefined) {
      grants.push(section('IfModule', 'headers_module', [directive('Header', 'set', 'Cache-Control', `public, max-age=${files.maxAgeSec}`)]));
    }
    if (!files.includeHiddenFiles) {
      // Dotfiles (.env, .htaccess), backups and editor leftovers are never served.
      grants.push(section('FilesMatch', HIDDEN_FILE, [directive('Require', 'all', 'denied')]));
    }
    nodes.push(directive('Alias', files.urlPath, dir), section('Directory', dir, grants));
    if (!files.includeHiddenFiles) {
      nodes.push(section('DirectoryMatch', `^${escapeRegex(dir)}/(.+/)?\\.`, [directive('Require', 'all', 'denied')]));
    }
  }
  // Apache runs the generated entry script, never a file of the app's own tree.
  const scriptPath = `${layout.bootDir}/${app.name}.wsgi`;
  const aliasOptions = app.processGroup
    ? [option('process-group', app.processGroup), option('application-group', app.applicationGroup)]
    : [option('application-group', app.applicationGroup)];
  nodes.push(directive('WSGIScriptAlias', app.mountPath, scriptPath, ...aliasOptions));
  nodes.push(section('Directory', layout.bootDir, [
    section('Files', basename(scriptPath), [directive('Require', 'all', 'granted')]),
  ]));
  return nodes;
}

/** File names never served from a static directory: dotfiles, backups, editor swap files. */
export const HIDDEN_FILE = '^\\.|~$|\\.(bak|old|orig|swp|swo|tmp|save)$|^#.*#$';

/** A literal path as a regular expression. */
function escapeRegex(text: string): string {
  return text.replace(/[.*+?^$()|[\]{}\\]/g, '\\$&');
}

function securityHeaders(): ConfNode[] {
  return [section('IfModule', 'headers_module', [
    directive('Header', 'always', 'set', 'X-Content-Type-Options', 'nosniff'),
    directive('Header', 'always', 'set', 'X-Frame-Options', 'DENY'),
    directive('Header', 'always', 'set', 'Referrer-Policy', 'strict-origin-when-cross-origin'),
    directive('Header', 'always', 'set', 'Content-Security-Policy', "default-src 'self'"),
  ])];
}

/** Apps ordered most specific mount path first; ties by path for stable output. */
export function appsBySpecificity(apps: readonly AppSpec[]): AppSpec[] {
  const depth = (p: string) => (p === '/' ? 0 : p.split('/').length - 1);
  return [...apps].sort((a, b) => depth(b.mountPath) - depth(a.mountPath) || (a.mountPath < b.mountPath ? -1 : a.mountPath > b.mountPath ? 1 : 0));
}

function joinPath(dir: string, rel: string): string {
  return rel === '.' || rel === '' ? dir : `${dir.replace(/\/+$/, '')}/${rel.replace(/^\.\//, '')}`;
}

function basename(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

function dirname(p: string): string {
  return p.slice(0, p.lastIndexOf('/')) || '/';
}

/** A comment line: control characters written as JSON escapes (a construct id may hold a line break). */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => JSON.stringify(c).slice(1, -1));
}

/** The two config files of a site: `server.conf` (server-wide, once per Apache) and `site.conf` (the virtual host). */
export function renderSiteConfig(spec: SiteSpec, layout: SiteLayout): { readonly 'server.conf': string; readonly 'site.conf': string } {
  const header = [
    `Generated by cdktf-apache-wsgi from ${oneLine(spec.constructPath)} for ${spec.platformId}.`,
    'Do not edit: change the stack and synthesize again.',
  ];
  return {
    'server.conf': renderConf(serverConf(spec, layout), { header: [...header, 'Server-wide settings: include once per Apache instance.'] }),
    'site.conf': renderConf(vhostConf(spec, layout), { header }),
  };
}
