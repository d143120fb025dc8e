import * as fs from 'fs';
import { isIP } from 'net';
import * as path from 'path';
import { Annotations } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { deployedLayout, deployRoot } from './conf/layout';
import { renderSiteConfig } from './conf/site-conf';
import { requiredRequestWorkers, SiteLayout, SiteSpec } from './conf/site-spec';
import type { TlsSpec } from './conf/tls';
import type { DaemonGroup } from './daemon-group';
import { ValidationError } from './errors';
import { LogLevel } from './log-level';
import { Platform } from './platform/platform';
import { isAtOrUnder } from './private/paths';
import { onStackOutput } from './private/synth-output';
import { checkConfString, checkInstanceOf, checkInt, checkPattern, checkRequiredInstanceOf, describeValue, NAME_EXPECTED, NAME_PATTERN, nameFromId, propError } from './private/validate';
import { TlsCertificate, TlsOptions, TlsProfile } from './tls';
import type { VirtualEnv } from './virtual-env';
import type { WsgiApp } from './wsgi-app';

export interface RequestReadTimeout {
  /** @default 15 */
  readonly headerSec?: number;
  /** @default 30 */
  readonly headerMaxSec?: number;
  /** @default 15 */
  readonly bodySec?: number;
  /** @default 500 */
  readonly minRateBytesPerSec?: number;
}

/** RequestReadTimeout as the site applies it: every value resolved. */
export interface ResolvedRequestReadTimeout {
  readonly headerSec: number;
  readonly headerMaxSec: number;
  readonly bodySec: number;
  readonly minRateBytesPerSec: number;
}

export interface ApacheSiteProps {
  /** OS, Apache and the mod_wsgi build (and so the Python) the site runs on. */
  readonly platform: Platform;
  /** ServerName of the virtual host. */
  readonly serverName: string;
  /** @default [] */
  readonly serverAliases?: string[];
  /** @default - no ServerAdmin */
  readonly serverAdmin?: string;
  /**
   * Name used in paths, log files and generated file names.
   * @default - derived from the construct id, e.g. 'Site' -> 'site'
   */
  readonly siteName?: string;
  /** @default 80 */
  readonly port?: number;
  /**
   * WSGIRestrictEmbedded: forbid running Python inside Apache's own workers.
   * @default true
   */
  readonly restrictEmbedded?: boolean;
  /** Apache Timeout. @default 60 */
  readonly timeoutSec?: number;
  /** @default 2 */
  readonly keepAliveTimeoutSec?: number;
  /** Largest request body accepted; larger gets 413. @default 10485760 (10 MiB) */
  readonly limitRequestBodyBytes?: number;
  /** mod_reqtimeout limits against slow clients. @default header=15-30,MinRate=500 body=15,MinRate=500 */
  readonly requestReadTimeout?: RequestReadTimeout;
  /**
   * Apache MaxRequestWorkers.
   * @default - 10 + max(10, 1.5 x sum of processes x threads over all daemon groups), at least 50
   */
  readonly maxRequestWorkers?: number;
  /** @default LogLevel.WARN */
  readonly logLevel?: LogLevel;
  /**
   * Addresses of TLS-terminating proxies whose forwarding headers are trusted
   * (WSGITrustedProxies). Never a catch-all such as 0.0.0.0/0.
   * @default [] - forwarding headers are not trusted
   */
  readonly trustedProxies?: string[];
  /** @default ['X-Forwarded-For', 'X-Forwarded-Proto', 'X-Forwarded-Host'] when trustedProxies is set */
  readonly trustedProxyHeaders?: string[];
  /**
   * Send X-Content-Type-Options, X-Frame-Options, Referrer-Policy and a same-origin CSP.
   * @default false
   */
  readonly securityHeaders?: boolean;
  /**
   * HTTPS on the host itself (no load balancer): the site is served on
   * `tls.httpsPort`, and `port` only redirects to it (and answers ACME challenges).
   * For TLS ended by a proxy in front, use trustedProxies instead.
   * @default - plain HTTP on `port`
   */
  readonly tls?: TlsOptions;
}

const HOSTNAME = /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const HOSTNAME_EXPECTED = 'a DNS host name such as "example.com"';
// Apache refuses a wildcard ServerName ("use ServerAlias to set multiple server names").
const SERVER_NAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const SERVER_NAME_EXPECTED = 'a DNS host name such as "example.com" (wildcards like "*.example.com" only in serverAliases)';
const CATCH_ALL = /^(0\.0\.0\.0\/0|::\/0|\*|all)$/i;
const PROXY_ADDRESS = /^[0-9A-Fa-f:.]+(\/\d{1,3})?$/;
const SITE_SYMBOL = Symbol.for('cdktf-apache-wsgi.ApacheSite');

/** Files generated for a site, by name. */
export type ConfigFiles = Record<string, string>;

/**
 * An Apache virtual host serving WSGI apps through mod_wsgi daemon processes.
 * DaemonGroups and WsgiApps are created inside it; it renders their config
 * (written under the stack's output in `apache/<siteName>/`) and is what the
 * hosts (Docker, EC2, local runner) provision.
 */
export class ApacheSite extends Construct {
  /** The ApacheSite a construct is in; throws when there is none. */
  public static of(construct: IConstruct): ApacheSite {
    for (let c: IConstruct | undefined = construct; c; c = c.node.scope) {
      if ((c as any)[SITE_SYMBOL] === true) {
        return c as ApacheSite;
      }
    }
    throw new ValidationError(construct.node.path, 'scope', describeValue(construct.node.scope?.node.path ?? ''), 'an ApacheSite or a construct inside one (pass the site as scope)');
  }

  public readonly platform: Platform;
  public readonly siteName: string;
  public readonly serverName: string;
  public readonly serverAliases: string[];
  public readonly serverAdmin?: string;
  public readonly port: number;
  public readonly restrictEmbedded: boolean;
  public readonly timeoutSec: number;
  public readonly keepAliveTimeoutSec: number;
  public readonly limitRequestBodyBytes: number;
  public readonly requestReadTimeout: ResolvedRequestReadTimeout;
  public readonly logLevel: LogLevel;
  public readonly trustedProxies: string[];
  public readonly trustedProxyHeaders: string[];
  public readonly securityHeaders: boolean;
  /** Port of the HTTPS virtual host; undefined when the site has no TLS. */
  public readonly httpsPort?: number;
  private readonly tlsSpec?: TlsSpec;
  private readonly maxRequestWorkersOverride?: number;
  private readonly hostCpuCounts: (number | undefined)[] = [];
  private readonly groups: DaemonGroup[] = [];
  private readonly wsgiApps: WsgiApp[] = [];

  constructor(scope: Construct, id: string, props: ApacheSiteProps) {
    super(scope, id);
    Object.defineProperty(this, SITE_SYMBOL, { value: true });
    this.platform = checkRequiredInstanceOf(this, 'platform', props.platform, Platform, 'a Platform such as Platform.DEBIAN_12');
    this.siteName = checkPattern(this, 'siteName', props.siteName ?? nameFromId(id), NAME_PATTERN, NAME_EXPECTED);
    this.serverName = checkPattern(this, 'serverName', props.serverName, SERVER_NAME, SERVER_NAME_EXPECTED);
    this.serverAliases = (props.serverAliases ?? []).map((a, i) => checkPattern(this, `serverAliases[${i}]`, a, HOSTNAME, HOSTNAME_EXPECTED));
    if (props.serverAdmin !== undefined) {
      this.serverAdmin = checkPattern(this, 'serverAdmin', props.serverAdmin, /^[^\s"<>]+@[^\s"<>]+$/, 'an email address');
      // The pattern lets NUL, other control characters and "${" through; the config cannot hold them.
      checkConfString(this, 'serverAdmin', this.serverAdmin);
    }
    this.port = checkInt(this, 'port', props.port ?? 80, 1, 65_535);
    this.restrictEmbedded = props.restrictEmbedded ?? true;
    this.timeoutSec = checkInt(this, 'timeoutSec', props.timeoutSec ?? 60, 1, 86_400);
    this.keepAliveTimeoutSec = checkInt(this, 'keepAliveTimeoutSec', props.keepAliveTimeoutSec ?? 2, 1, 3_600);
    this.limitRequestBodyBytes = checkInt(this, 'limitRequestBodyBytes', props.limitRequestBodyBytes ?? 10_485_760, 0, 2_147_483_647);
    const rrt = props.requestReadTimeout ?? {};
    this.requestReadTimeout = {
      headerSec: checkInt(this, 'requestReadTimeout.headerSec', rrt.headerSec ?? 15, 1, 3_600),
      headerMaxSec: checkInt(this, 'requestReadTimeout.headerMaxSec', rrt.headerMaxSec ?? 30, 1, 3_600),
      bodySec: checkInt(this, 'requestReadTimeout.bodySec', rrt.bodySec ?? 15, 1, 3_600),
      minRateBytesPerSec: checkInt(this, 'requestReadTimeout.minRateBytesPerSec', rrt.minRateBytesPerSec ?? 500, 1, 1_000_000_000),
    };
    // mod_reqtimeout: "Maximum timeout must be larger than initial timeout" (equal is refused too).
    if (this.requestReadTimeout.headerMaxSec <= this.requestReadTimeout.headerSec) {
      throw propError(this, 'requestReadTimeout.headerMaxSec', this.requestReadTimeout.headerMaxSec, `more than headerSec (${this.requestReadTimeout.headerSec})`);
    }
    if (props.maxRequestWorkers !== undefined) {
      this.maxRequestWorkersOverride = checkInt(this, 'maxRequestWorkers', props.maxRequestWorkers, 1, 20_000);
    }
    this.logLevel = checkInstanceOf(this, 'logLevel', props.logLevel, LogLevel, LogLevel.WARN, 'a LogLevel such as LogLevel.WARN');
    this.trustedProxies = (props.trustedProxies ?? []).map((p, i) => {
      checkConfString(this, `trustedProxies[${i}]`, p);
      if (CATCH_ALL.test(p) || /\/0$/.test(p) || !PROXY_ADDRESS.test(p) || !isProxyAddress(p)) {
        throw propError(this, `trustedProxies[${i}]`, p, 'the address or narrow CIDR block of your proxy, never a catch-all such as 0.0.0.0/0');
      }
      return p;
    });
    this.trustedProxyHeaders = (props.trustedProxyHeaders ?? (this.trustedProxies.length > 0 ? ['X-Forwarded-For', 'X-Forwarded-Proto', 'X-Forwarded-Host'] : []))
      .map((h, i) => checkPattern(this, `trustedProxyHeaders[${i}]`, h, /^[A-Za-z][A-Za-z0-9-]{0,63}$/, 'an HTTP header name'));
    this.securityHeaders = props.securityHeaders ?? false;
    if (props.tls !== undefined) {
      this.tlsSpec = this.resolveTls(props.tls);
      this.httpsPort = this.tlsSpec.httpsPort;
    }

    if (!this.restrictEmbedded) {
      Annotations.of(this).addWarning('restrictEmbedded is false: Python may run inside Apache\'s own worker processes (embedded mode), which needs MPM tuning and shares memory with static file serving');
    }

    this.node.addValidation({
      validate: () => (this.wsgiApps.length === 0
        ? [`${this.node.path}: the site has no WsgiApp; add at least one with new WsgiApp(site, ...)`]
        : []),
    });
    this.node.addValidation({
      validate: () => this.checkVirtualEnvNames(),
    });

    onStackOutput(this, (stackDir) => this.writeConfigFiles(stackDir));
  }

  /** Daemon process groups of this site, in creation order. */
  public get daemonGroups(): DaemonGroup[] {
    return [...this.groups];
  }

  /** WSGI apps of this site, in creation order. */
  public get apps(): WsgiApp[] {
    return [...this.wsgiApps];
  }

  /** MaxRequestWorkers the rendered config uses. */
  public get maxRequestWorkers(): number {
    return this.maxRequestWorkersOverride ?? requiredRequestWorkers(this.groups.map((g) => ({ processes: g.resolvedProcesses, threads: g.threads })));
  }

  /**
   * CPUs of the machine(s) hosting the site when known at synth (every host
   * agrees, e.g. an Ec2Host's instance type); undefined: read on the host.
   */
  public get hostCpus(): number | undefined {
    const known = new Set(this.hostCpuCounts);
    return known.size === 1 && !known.has(undefined) ? [...known][0] : undefined;
  }

  /** @internal called by each host: its CPU count, or undefined when only the machine knows it */
  public _addHost(cpus: number | undefined): void {
    this.hostCpuCounts.push(cpus);
  }

  /** @internal called by DaemonGroup's constructor */
  public _addDaemonGroup(group: DaemonGroup): void {
    const clash = this.groups.find((g) => g.name === group.name);
    if (clash) {
      throw propError(group, 'name', group.name, `a daemon group name unique in the site (already used by ${clash.node.path})`);
    }
    this.groups.push(group);
  }

  /** @internal called by WsgiApp's constructor */
  public _addApp(app: WsgiApp): void {
    for (const other of this.wsgiApps) {
      if (other.appName === app.appName) {
        throw propError(app, 'appName', app.appName, `an app name unique in the site (already used by ${other.node.path})`);
      }
      if (other.mountPath === app.mountPath) {
        throw propError(app, 'mountPath', app.mountPath, `a mount path no other app uses (already mounted by ${other.node.path})`);
      }
      checkNotShadowed(app, app.mountPath, other);
      checkNotShadowed(other, other.mountPath, app);
    }
    for (const files of app.staticFiles) {
      checkNotShadowed(app, app.mountPath, { staticFiles: [files], node: app.node }, true);
      for (const other of this.wsgiApps) {
        if (other.staticFiles.some((f) => f.urlPath === files.urlPath)) {
          throw propError(app, 'staticFiles.urlPath', files.urlPath, `a URL path no other static files use (already used by ${other.node.path})`);
        }
      }
      // Apache matches Aliases in file order: of two nested URL paths the later never
      // matches (AH00671), so one static directory would silently be unreachable.
      for (const other of [...this.wsgiApps, app]) {
        const nested = other.staticFiles.find((f) => f !== files && (isAtOrUnder(f.urlPath, files.urlPath) || isAtOrUnder(files.urlPath, f.urlPath)));
        if (nested) {
          throw propError(app, 'staticFiles.urlPath', files.urlPath,
            `a URL path not nested with the static files URL ${nested.urlPath} of ${other === app ? 'the same app' : other.node.path}: Apache would never reach one of the two directories`);
        }
      }
    }
    this.wsgiApps.push(app);
  }

  /**
   * The whole site as plain data, the input of every renderer.
   * TypeScript only (the config layer's spec type).
   * @jsii ignore
   */
  public toSpec(): SiteSpec {
    return {
      name: this.siteName,
      constructPath: this.node.path,
      platformId: this.platform.id,
      serverName: this.serverName,
      serverAliases: this.serverAliases,
      serverAdmin: this.serverAdmin,
      port: this.port,
      restrictEmbedded: this.restrictEmbedded,
      timeoutSec: this.timeoutSec,
      keepAliveTimeoutSec: this.keepAliveTimeoutSec,
      limitRequestBodyBytes: this.limitRequestBodyBytes,
      requestReadTimeout: this.requestReadTimeout,
      maxRequestWorkers: this.maxRequestWorkers,
      logLevel: this.logLevel.value,
      trustedProxies: this.trustedProxies,
      trustedProxyHeaders: this.trustedProxyHeaders,
      securityHeaders: this.securityHeaders,
      tls: this.tlsSpec,
      groups: this.groups.map((g) => g.toSpec()),
      apps: this.wsgiApps.map((a) => a.toSpec()),
      venvs: this.virtualEnvs.map((v) => v.toSpec()),
    };
  }

  /** Virtual environments used by the site's daemon groups, one entry per venv. */
  public get virtualEnvs(): VirtualEnv[] {
    return [...new Set(this.groups.map((g) => g.virtualEnv))];
  }

  /** Root directory of the site on a provisioned host. */
  public get deployRoot(): string {
    return deployRoot(this.siteName);
  }

  /**
   * Where code, venvs, sockets and logs go on a VM or container of this platform.
   * TypeScript only: the layout is the config layer's type. @jsii ignore
   */
  public deployedLayout(overrides: Partial<SiteLayout> = {}): SiteLayout {
    return deployedLayout(this.toSpec(), this.platform.apache, overrides);
  }

  /**
   * The Apache config files: `server.conf` (server-wide directives) and
   * `site.conf` (the virtual host). TypeScript only (takes the config layer's layout);
   * the `render` command writes them for other languages. @jsii ignore
   */
  public renderConfigFiles(layout: SiteLayout = this.deployedLayout()): ConfigFiles {
    return { ...renderSiteConfig(this.toSpec(), layout) };
  }

  private resolveTls(tls: TlsOptions): TlsSpec {
    if (!(tls.certificate instanceof TlsCertificate)) {
      throw propError(this, 'tls.certificate', tls.certificate, 'a TlsCertificate such as TlsCertificate.acme({ contactEmail, acceptTermsOfService: true })');
    }
    if (!this.platform.apache.tls) {
      throw propError(this, 'tls', this.platform.id, `a platform whose TLS setup is in the catalog (Debian and Ubuntu); ${this.platform.os.displayName} is not yet`);
    }
    const httpsPort = checkInt(this, 'tls.httpsPort', tls.httpsPort ?? 443, 1, 65_535);
    if (httpsPort === this.port) {
      throw propError(this, 'tls.httpsPort', httpsPort, `a port other than the site's HTTP port ${this.port}, which redirects to HTTPS`);
    }
    const hsts = tls.hsts ?? true;
    const hstsMaxAgeSec = checkInt(this, 'tls.hstsMaxAgeSec', tls.hstsMaxAgeSec ?? 63_072_000, 0, 63_072_000);
    const hstsIncludeSubdomains = tls.hstsIncludeSubdomains ?? false;
    const hstsPreload = tls.hstsPreload ?? false;
    if (hstsPreload && (!hsts || !hstsIncludeSubdomains || hstsMaxAgeSec < 31_536_000)) {
      throw propError(this, 'tls.hstsPreload', hstsPreload, 'preload only with hsts on, hstsIncludeSubdomains true and hstsMaxAgeSec of at least 31536000 (the preload list requires them)');
    }
    const profile = tls.profile ?? TlsProfile.INTERMEDIATE;
    if (!Object.values(TlsProfile).includes(profile)) {
      throw propError(this, 'tls.profile', profile, 'TlsProfile.INTERMEDIATE or TlsProfile.MODERN');
    }
    const certificate = tls.certificate._toSpec(this, { siteName: this.siteName, domains: [this.serverName, ...this.serverAliases] }, profile);
    if (certificate.source === 'acme' && this.port !== 80) {
      Annotations.of(this).addWarning(`port is ${this.port}, but ACME http-01 validation always connects to port 80: forward port 80 to ${this.port} or the certificate is never issued`);
    }
    return {
      certificate, httpsPort, profile,
      hstsMaxAgeSec: hsts ? hstsMaxAgeSec : undefined,
      hstsIncludeSubdomains, hstsPreload,
    };
  }

  private checkVirtualEnvNames(): string[] {
    const byName = new Map<string, VirtualEnv>();
    const errors: string[] = [];
    for (const venv of this.virtualEnvs) {
      const seen = byName.get(venv.venvName);
      if (seen) {
        errors.push(`${venv.node.path}: venvName "${venv.venvName}" is also used by ${seen.node.path} in site ${this.node.path}; expected a unique venvName per site`);
      }
      byName.set(venv.venvName, venv);
    }
    return errors;
  }

  private writeConfigFiles(stackDir: string): void {
    const dir = path.join(stackDir, 'apache', this.siteName);
    fs.mkdirSync(dir, { recursive: true });
    for (const [name, text] of Object.entries(this.renderConfigFiles())) {
      fs.writeFileSync(path.join(dir, name), text);
    }
  }
}

/**
 * mod_alias runs before mod_wsgi, so a static Alias at or above a mount path
 * hides the app mounted there.
 */
function checkNotShadowed(
  app: IConstruct, mountPath: string, other: { staticFiles: readonly { urlPath: string }[]; node: { path: string } }, own = false,
): void {
  for (const files of other.staticFiles) {
    if (isAtOrUnder(mountPath, files.urlPath)) {
      throw propError(app, 'mountPath', mountPath,
        `a path not at or under the static files URL ${files.urlPath} of ${own ? 'the same app' : other.node.path}: Apache serves aliases before WSGI apps, so the app would be unreachable`);
    }
  }
}

/**
 * An address or CIDR block mod_wsgi's WSGITrustedProxies parses: a full IPv4
 * or IPv6 address (not the IPv6 form with an embedded IPv4 part, which
 * mod_wsgi 4.9 refuses) and a prefix length within the address size.
 */
function isProxyAddress(value: string): boolean {
  const [address, prefix, ...rest] = value.split('/');
  const family = isIP(address);
  if (rest.length > 0 || family === 0 || (family === 6 && address.includes('.'))) {
    return false;
  }
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) >= 1 && Number(prefix) <= (family === 4 ? 32 : 128));
}
