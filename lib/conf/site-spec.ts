import type { TlsSpec } from './tls';

/**
 * The site model as plain data: what ApacheSite resolves its constructs to,
 * and the only input of the config builders. Paths inside it are relative to
 * a SiteLayout so one spec renders for a VM, a container or a local run.
 */
export interface DaemonGroupSpec {
  readonly name: string;
  /** undefined: run as whatever user Apache's children run as (non-root local runs). */
  readonly user?: string;
  readonly group?: string;
  readonly venvName: string;
  /**
   * A number: `processes=N`. undefined leaves `processes=` out (one process,
   * wsgi.multiprocess False, seed 002) unless processesFromHostCpus is set.
   */
  readonly processes?: number;
  /**
   * true: PROCESSES_PER_CPU processes per CPU of the host, read when Apache starts from the
   * HOST_PROCESSES_VARIABLE Define that provisioning writes (from `nproc`) into
   * SiteLayout.hostFactsFile. The rendered config stays the same on every host.
   */
  readonly processesFromHostCpus?: boolean;
  readonly threads: number;
  readonly displayName: string;
  readonly lang: string;
  readonly locale: string;
  /** Further options in render order, e.g. { option: 'queue-timeout', value: 45 }. */
  readonly options: readonly DaemonOptionSpecValue[];
  /** Writable directories kept across deploys, owned by the group's user. */
  readonly dataDirectories: readonly DataDirectorySpec[];
}

export interface DaemonOptionSpecValue {
  readonly option: string;
  readonly value: string | number;
  /** Names accounts of the host (supplementary-groups): rendered only with SiteLayout.daemonUsers, like user=. */
  readonly account: boolean;
}

/** A writable directory of a daemon group; its path reaches the apps as `envVar`. */
export interface DataDirectorySpec {
  readonly name: string;
  readonly envVar: string;
}

/** A secret by reference: the host resolves it into `envVar`. */
export interface SecretSpec {
  readonly envVar: string;
  /** 'ssm-parameter' or 'secrets-manager' */
  readonly store: string;
  readonly arn: string;
  readonly jsonKey?: string;
}

export interface StaticFilesSpec {
  readonly urlPath: string;
  /** Relative to the app's directory. */
  readonly directory: string;
  /** Adds `Cache-Control: max-age` when set (needs mod_headers). */
  readonly maxAgeSec?: number;
  /** Serve and ship dotfiles and backup files (`.env`, `.git/`, `*~`, `*.bak`) too. */
  readonly includeHiddenFiles: boolean;
}

export interface AppSpec {
  readonly name: string;
  /** Absolute path of the app's source on the machine that synthesizes (bundled from there). */
  readonly source: string;
  readonly mountPath: string;
  /** The WSGI script, relative to the app's directory; or undefined when entryPoint is set. */
  readonly scriptFile?: string;
  /** 'package.module' whose callableObject is the app; or undefined when scriptFile is set. */
  readonly entryPoint?: string;
  /** Directories relative to the app's directory put on sys.path after the app's directory itself. */
  readonly pythonPaths: readonly string[];
  /** os.environ before the app is imported: the group's and the app's variables. */
  readonly environment: Readonly<Record<string, string>>;
  /** Secrets of the app and its group, resolved on the host. */
  readonly secrets: readonly SecretSpec[];
  /** Commands (argv) run in the app's directory when the bundle or image is built. */
  readonly buildCommands: readonly (readonly string[])[];
  /** Commands (argv) run once per deploy as the group's user, before new code takes traffic. */
  readonly releaseCommands: readonly (readonly string[])[];
  /** undefined: embedded mode (only when the site allows it). */
  readonly processGroup?: string;
  readonly applicationGroup: string;
  readonly passAuthorization: boolean;
  readonly callableObject: string;
  readonly staticFiles: readonly StaticFilesSpec[];
  /** URL path (from the site root) probed for health. */
  readonly healthCheckPath: string;
  /** Status codes that count as healthy there, e.g. "200-399,401,403". */
  readonly healthyHttpCodes: string;
}

/** A virtual environment: what goes into it. Paths are on the machine that synthesizes. */
export interface VenvSpec {
  readonly name: string;
  readonly requirementsFile?: string;
  readonly requirements: readonly string[];
  readonly localPackages: readonly string[];
  readonly systemSitePackages: boolean;
  /** pip runs with --require-hashes. */
  readonly requireHashes: boolean;
  /** false when nothing is installed: the venv is made without pip. */
  readonly withPip: boolean;
}

export interface RequestReadTimeoutSpec {
  readonly headerSec: number;
  readonly headerMaxSec: number;
  readonly bodySec: number;
  readonly minRateBytesPerSec: number;
}

export interface SiteSpec {
  readonly name: string;
  /** Construct path, written into the generated files' headers. */
  readonly constructPath: string;
  readonly platformId: string;
  readonly serverName: string;
  readonly serverAliases: readonly string[];
  readonly serverAdmin?: string;
  readonly port: number;
  readonly restrictEmbedded: boolean;
  readonly timeoutSec: number;
  readonly keepAliveTimeoutSec: number;
  readonly limitRequestBodyBytes: number;
  readonly requestReadTimeout: RequestReadTimeoutSpec;
  readonly maxRequestWorkers: number;
  readonly logLevel: string;
  readonly trustedProxies: readonly string[];
  readonly trustedProxyHeaders: readonly string[];
  readonly securityHeaders: boolean;
  /** HTTPS on the host: `port` then only redirects to HTTPS (and answers ACME challenges). @default - plain HTTP */
  readonly tls?: TlsSpec;
  readonly groups: readonly DaemonGroupSpec[];
  readonly apps: readonly AppSpec[];
  /** The venvs the groups use, one entry per venv. */
  readonly venvs: readonly VenvSpec[];
}

/** Where things are on the machine that runs the config. */
export interface SiteLayout {
  readonly appDirs: Readonly<Record<string, string>>;
  readonly venvDirs: Readonly<Record<string, string>>;
  /** Working directory (`home=`) of the daemon processes. */
  readonly home: string;
  /**
   * An empty directory used as DocumentRoot. mod_wsgi looks PATH_INFO up as a URL
   * (PATH_TRANSLATED); without a readable root that lookup hits the deny-all
   * `<Directory />` and logs AH01630 at error level on every such request.
   */
  readonly documentRoot: string;
  readonly socketPrefix: string;
  /** Generated WSGI entry scripts and their boot configs. */
  readonly bootDir: string;
  /** Where each group's resolved secrets file goes (`<group>.json`). */
  readonly secretsDir: string;
  /** Parent of each group's data directories (`<group>/<name>`). */
  readonly dataDir: string;
  readonly errorLog: string;
  readonly accessLog: string;
  /**
   * Apache's server-wide error log (start-up, shutdown, errors outside the vhost).
   * @default - the distro's, a file in its log directory
   */
  readonly serverErrorLog?: string;
  /** false when Apache does not start as root: `user=`/`group=` would be ignored. */
  readonly daemonUsers: boolean;
  /** true when the vhost's port needs its own Listen (the distro config does not already listen there). */
  readonly listen: boolean;
  /** Port Apache serves the site on here. @default - the site's port */
  readonly port?: number;
  /**
   * File of `Define` lines written on the host when it is provisioned (see
   * hostFactsConf); included when a daemon group sizes itself from the host.
   * @default - none: the config defines the variables itself (standaloneConf)
   */
  readonly hostFactsFile?: string;
  /** mod_md's store (MDStoreDir) when the site gets its certificate by ACME. @default - mod_md's default */
  readonly mdStoreDir?: string;
  /**
   * Symlink to the serving release when the host deploys in place (inPlaceLayout): app, venv and
   * boot paths go through it, the config lets Apache follow it, and boot configs name their
   * paths relative to their own directory so a release works before it is switched to.
   * @default - no releases: the paths are plain directories
   */
  readonly releaseLink?: string;
}

/** Apache variable holding the daemon processes a host runs per group (`Define WSGI_HOST_PROCESSES 4`). */
export const HOST_PROCESSES_VARIABLE = 'WSGI_HOST_PROCESSES';

/**
 * Daemon processes per CPU. Two, as gunicorn's (2 x cores) + 1: a process waiting
 * on its database or on the socket to Apache leaves its core to another, and Apache
 * itself takes CPU. On 2 CPUs the Django benchmark view served the most with 4
 * processes in both runs (bench/served.ts).
 */
export const PROCESSES_PER_CPU = 2;

/** True when some daemon group takes its process count from the host. */
export function needsHostCpus(spec: Pick<SiteSpec, 'groups'>): boolean {
  return spec.groups.some((g) => g.processesFromHostCpus === true);
}

/**
 * The host facts file: what provisioning writes on the host, from `nproc` there
 * (hostFactsCommand in lib/provision/render-shell.ts is its shell form).
 */
export function hostFactsConf(cpus: number): string {
  if (!Number.isInteger(cpus) || cpus < 1) {
    throw new Error(`host CPU count ${cpus} is invalid; expected an integer of at least 1`);
  }
  return `Define ${HOST_PROCESSES_VARIABLE} ${PROCESSES_PER_CPU * cpus}\n`;
}

/**
 * Apache worker threads the daemon groups need: mod_wsgi-express sizes one group as
 * 10 + max(10, 1.5 x processes x threads); the site sums processes x threads over
 * every group so proxying to daemons never starves. A group sized from the host's
 * CPUs counts as one process: unknown at synth, and MIN_REQUEST_WORKERS covers it
 * up to 256 / (1.5 x threads) CPUs.
 */
export function daemonRequestWorkers(groups: readonly Pick<DaemonGroupSpec, 'processes' | 'threads'>[]): number {
  const daemonThreads = groups.reduce((sum, g) => sum + (g.processes ?? 1) * g.threads, 0);
  return 10 + Math.max(10, Math.ceil(1.5 * daemonThreads));
}

/**
 * Fewest Apache worker threads a site gets. In daemon mode every client with a
 * request in flight holds one Apache worker until its daemon thread answers, so
 * Apache needs a worker per concurrent client, whatever the daemon groups' size.
 * With 50 workers, 128 keep-alive clients (wrk -c128) got thousands of dropped
 * connections per 5 s (bench/served.ts); 256 leaves room for twice that.
 */
export const MIN_REQUEST_WORKERS = 256;

/** MaxRequestWorkers for a site: the daemon groups' need, at least MIN_REQUEST_WORKERS. */
export function requiredRequestWorkers(groups: readonly Pick<DaemonGroupSpec, 'processes' | 'threads'>[]): number {
  return Math.max(MIN_REQUEST_WORKERS, daemonRequestWorkers(groups));
}
