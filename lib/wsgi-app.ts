import * as fs from 'fs';
import * as path from 'path';
import { Construct } from 'constructs';
import { ApacheSite } from './apache-site';
import { AppSecret } from './app-secret';
import { ApplicationGroup } from './application-group';
import { AppSpec, SecretSpec, StaticFilesSpec } from './conf/site-spec';
import { DaemonGroup } from './daemon-group';
import { checkCommands, checkEnvironment, checkSecrets } from './private/environment';
import { checkExistingPath, isAtOrUnder } from './private/paths';
import { checkConfString, checkInstanceOf, checkInt, checkPattern, NAME_EXPECTED, NAME_PATTERN, nameFromId, propError } from './private/validate';

export interface StaticFiles {
  /** URL path Apache serves the directory at, e.g. '/static'. */
  readonly urlPath: string;
  /** Directory relative to the app's source, e.g. 'static'. */
  readonly directory: string;
  /**
   * Cache-Control max-age for these files.
   * @default - no Cache-Control header
   */
  readonly maxAgeSec?: number;
  /**
   * The directory is made by the app's buildCommands (e.g. Django's collectstatic
   * STATIC_ROOT), so it need not exist when the stack is synthesized.
   * @default false
   */
  readonly createdByBuild?: boolean;
  /**
   * Serve and ship dotfiles, dot-directories and backup files (`.env`, `.git/`,
   * `.htaccess`, `*~`, `*.bak`, `*.swp`, `*.orig`, `*.old`) found in the directory.
   * @default false - they are neither shipped nor served (404)
   */
  readonly includeHiddenFiles?: boolean;
}

export interface WsgiAppProps {
  /** URL path the app answers at: '/' or '/a/b' (no trailing slash). */
  readonly mountPath: string;
  /**
   * Absolute path of the app's source directory, deployed as the app's code
   * (read-only for the app). It is the first entry of the app's `sys.path`.
   */
  readonly source: string;
  /**
   * The WSGI script, relative to source, e.g. 'mysite/wsgi.py'. Give this or entryPoint.
   * @default - none: entryPoint is used
   */
  readonly scriptFile?: string;
  /**
   * The WSGI application as `module:callable` (or `module`, then callableObject
   * is used), imported with the source directory on `sys.path`, e.g.
   * 'mysite.wsgi:application' or 'app:app'. Give this or scriptFile.
   * @default - none: scriptFile is used
   */
  readonly entryPoint?: string;
  /**
   * More directories on `sys.path`, relative to source (e.g. 'src'), after source itself.
   * @default []
   */
  readonly pythonPaths?: string[];
  /**
   * Environment variables set in `os.environ` before the app is imported (and for
   * its build and release commands). Apps sharing a daemon group share one process
   * environment, so they may not set one variable to different values.
   * @default {}
   */
  readonly environment?: Record<string, string>;
  /**
   * Secrets put into `os.environ` before the app is imported (and for its release
   * commands, never for build commands), by variable name.
   * @default {}
   */
  readonly secrets?: Record<string, AppSecret>;
  /**
   * Commands run once when the bundle or image is built, in a writable copy of the
   * app's directory with the venv's `bin` first on PATH and the app's environment
   * (no secrets), e.g. `[['python', 'manage.py', 'collectstatic', '--noinput']]`.
   * Their output becomes part of the read-only code. A failing command fails the build.
   * @default []
   */
  readonly buildCommands?: string[][];
  /**
   * Commands run once per deploy as the daemon group's user, with the app's
   * environment, secrets and data directories, before the new code takes traffic,
   * e.g. `[['python', 'manage.py', 'migrate', '--noinput']]`. A failing command
   * fails the deploy and the old version keeps serving.
   * @default []
   */
  readonly releaseCommands?: string[][];
  /**
   * The daemon group that runs the app. Required while the site restricts
   * embedded mode (the default).
   * @default - embedded mode, only if the site sets restrictEmbedded: false
   */
  readonly daemonGroup?: DaemonGroup;
  /**
   * Interpreter within the daemon processes (WSGIApplicationGroup).
   * @default ApplicationGroup.GLOBAL
   */
  readonly applicationGroup?: ApplicationGroup;
  /**
   * Name of the app within the site, used for its code directory.
   * @default - derived from the construct id
   */
  readonly appName?: string;
  /** Directories Apache serves directly, bypassing Python. @default [] */
  readonly staticFiles?: StaticFiles[];
  /** Pass the Authorization header to the app (WSGIPassAuthorization), for apps doing their own auth. @default false */
  readonly passAuthorization?: boolean;
  /** Set false if the app cannot run requests on several threads at once. @default true */
  readonly threadSafe?: boolean;
  /** Name of the WSGI callable in scriptFile (WSGICallableObject). @default 'application' */
  readonly callableObject?: string;
  /**
   * URL path probed for health by `serve --check`, the provisioning recipe, the
   * container HEALTHCHECK and load balancers. Must be at or under mountPath.
   * @default - the mount path
   */
  readonly healthCheckPath?: string;
  /**
   * Status codes that count as healthy at healthCheckPath: a comma-separated list
   * of codes and ranges. Redirects and auth pages are healthy by default: a
   * login-protected app answers 302, 401 or 403 when it works.
   * @default '200-399,401,403'
   */
  readonly healthyHttpCodes?: string;
}

const ENTRY_POINT = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*(:[A-Za-z_][A-Za-z0-9_]*)?$/;
const MOUNT_PATH = /^\/([A-Za-z0-9._~!$&'()*+,;=:@%-]+(\/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)*)?$/;
const HEALTH_PATH = /^\/([A-Za-z0-9._~!$&'()*+,;=:@%-]+\/?)*$/;
const HTTP_CODES = /^[1-5]\d\d(-[1-5]\d\d)?(,[1-5]\d\d(-[1-5]\d\d)?)*$/;
const MOUNT_EXPECTED = "'/' or a path like '/api/v1': starts with '/', no trailing '/', no spaces, quotes or empty segments";

/** A Python WSGI application mounted at a URL path of an ApacheSite. */
export class WsgiApp extends Construct {
  public readonly site: ApacheSite;
  public readonly appName: string;
  public readonly mountPath: string;
  public readonly source: string;
  public readonly scriptFile?: string;
  public readonly entryPoint?: string;
  public readonly pythonPaths: string[];
  public readonly environment: Record<string, string>;
  /** TypeScript only: the config layer's spec type. @jsii ignore */
  public readonly secrets: readonly SecretSpec[];
  public readonly buildCommands: string[][];
  public readonly releaseCommands: string[][];
  public readonly daemonGroup?: DaemonGroup;
  public readonly applicationGroup: ApplicationGroup;
  public readonly staticFiles: StaticFiles[];
  public readonly passAuthorization: boolean;
  public readonly threadSafe: boolean;
  public readonly callableObject: string;
  public readonly healthCheckPath: string;
  public readonly healthyHttpCodes: string;

  constructor(scope: Construct, id: string, props: WsgiAppProps) {
    super(scope, id);
    this.site = ApacheSite.of(this);
    this.appName = checkPattern(this, 'appName', props.appName ?? nameFromId(id), NAME_PATTERN, NAME_EXPECTED);
    this.mountPath = checkPattern(this, 'mountPath', props.mountPath, MOUNT_PATH, MOUNT_EXPECTED);
    checkConfString(this, 'mountPath', this.mountPath);
    this.source = checkExistingPath(this, 'source', props.source, 'directory');
    if ((props.scriptFile === undefined) === (props.entryPoint === undefined)) {
      throw propError(this, props.scriptFile === undefined ? 'entryPoint' : 'scriptFile', props.scriptFile ?? props.entryPoint,
        'exactly one of scriptFile (a WSGI script such as "mysite/wsgi.py") and entryPoint (such as "mysite.wsgi:application")');
    }
    if (props.scriptFile !== undefined) {
      this.scriptFile = checkRelativeInside(this, 'scriptFile', props.scriptFile, this.source, 'file');
    }
    let callable = props.callableObject ?? 'application';
    if (props.entryPoint !== undefined) {
      const [module, attr] = checkPattern(this, 'entryPoint', props.entryPoint, ENTRY_POINT, 'a Python module path with an optional callable, such as "mysite.wsgi:application" or "app:app"').split(':');
      this.entryPoint = module;
      if (attr !== undefined) {
        if (props.callableObject !== undefined && props.callableObject !== attr) {
          throw propError(this, 'callableObject', props.callableObject, `nothing, or "${attr}" as entryPoint says`);
        }
        callable = attr;
      }
    }
    this.pythonPaths = (props.pythonPaths ?? []).map((p, i) => checkRelativeInside(this, `pythonPaths[${i}]`, p, this.source, 'directory'));
    this.environment = checkEnvironment(this, 'environment', props.environment);
    this.secrets = checkSecrets(this, 'secrets', props.secrets);
    for (const secret of this.secrets) {
      if (secret.envVar in this.environment) {
        throw propError(this, `secrets.${secret.envVar}`, secret.arn, `a variable not also set in environment (${secret.envVar} is)`);
      }
    }
    this.buildCommands = checkCommands(this, 'buildCommands', props.buildCommands);
    this.releaseCommands = checkCommands(this, 'releaseCommands', props.releaseCommands);
    this.applicationGroup = checkInstanceOf(this, 'applicationGroup', props.applicationGroup, ApplicationGroup, ApplicationGroup.GLOBAL,
      'an ApplicationGroup such as ApplicationGroup.GLOBAL or ApplicationGroup.named("shared")');
    this.passAuthorization = props.passAuthorization ?? false;
    this.threadSafe = props.threadSafe ?? true;
    this.callableObject = checkPattern(this, 'callableObject', callable, /^[A-Za-z_][A-Za-z0-9_]*$/, 'a Python identifier');
    this.healthCheckPath = checkPattern(this, 'healthCheckPath', props.healthCheckPath ?? this.mountPath, HEALTH_PATH, 'a URL path such as "/health/" (no query string, no empty segments)');
    if (!isAtOrUnder(this.healthCheckPath.replace(/(.)\/$/, '$1'), this.mountPath)) {
      throw propError(this, 'healthCheckPath', this.healthCheckPath, `a path at or under the app's mount path ${this.mountPath}`);
    }
    this.healthyHttpCodes = checkPattern(this, 'healthyHttpCodes', props.healthyHttpCodes ?? '200-399,401,403', HTTP_CODES, 'status codes and ranges such as "200-399,401,403"');
    if (!Array.isArray(props.staticFiles ?? [])) {
      throw propError(this, 'staticFiles', props.staticFiles, 'an array of { urlPath, directory }');
    }
    this.staticFiles = (props.staticFiles ?? []).map((f, i) => {
      const createdByBuild = f.createdByBuild ?? false;
      const directory = checkRelativeInside(this, `staticFiles[${i}].directory`, f.directory, this.source, createdByBuild ? 'absent-or-directory' : 'directory');
      checkStaticDirectory(this, `staticFiles[${i}].directory`, f.directory, directory, this.source);
      return {
        urlPath: checkPattern(this, `staticFiles[${i}].urlPath`, f.urlPath, MOUNT_PATH, MOUNT_EXPECTED),
        directory,
        maxAgeSec: f.maxAgeSec === undefined ? undefined : checkInt(this, `staticFiles[${i}].maxAgeSec`, f.maxAgeSec, 0, 31_536_000),
        createdByBuild,
        includeHiddenFiles: f.includeHiddenFiles ?? false,
      };
    });

    if (props.daemonGroup === undefined) {
      if (this.site.restrictEmbedded) {
        throw propError(this, 'daemonGroup', undefined, `a DaemonGroup: site ${this.site.node.path} restricts embedded mode, so every app must run in a daemon group`);
      }
    } else {
      if (!(props.daemonGroup instanceof DaemonGroup)) {
        throw propError(this, 'daemonGroup', props.daemonGroup, 'a DaemonGroup construct');
      }
      if (props.daemonGroup.site !== this.site) {
        throw propError(this, 'daemonGroup', props.daemonGroup.node.path, `a DaemonGroup of the same site ${this.site.node.path}`);
      }
      this.daemonGroup = props.daemonGroup;
    }
    this.site._addApp(this);
    this.daemonGroup?._addApp(this);
  }

  /**
   * TypeScript only (the config layer's spec type).
   * @jsii ignore
   */
  public toSpec(): AppSpec {
    const group = this.daemonGroup;
    return {
      name: this.appName,
      source: this.source,
      mountPath: this.mountPath,
      scriptFile: this.scriptFile,
      entryPoint: this.entryPoint,
      pythonPaths: this.pythonPaths,
      environment: { ...group?.environment, ...this.environment },
      secrets: [...group?.secrets ?? [], ...this.secrets],
      buildCommands: this.buildCommands,
      releaseCommands: this.releaseCommands,
      processGroup: group?.name,
      applicationGroup: this.applicationGroup.value,
      passAuthorization: this.passAuthorization,
      callableObject: this.callableObject,
      staticFiles: this.staticFiles.map((f): StaticFilesSpec => ({
        urlPath: f.urlPath, directory: f.directory, maxAgeSec: f.maxAgeSec, includeHiddenFiles: f.includeHiddenFiles ?? false,
      })),
      healthCheckPath: this.healthCheckPath,
      healthyHttpCodes: this.healthyHttpCodes,
    };
  }
}

/**
 * A relative path that stays inside `base`, also after following symlinks, and
 * exists there (or, for 'absent-or-directory', is not there yet); returned normalized with '/'.
 */
function checkRelativeInside(scope: Construct, prop: string, value: string, base: string, kind: 'file' | 'directory' | 'absent-or-directory'): string {
  checkConfString(scope, prop, value);
  // The path ends up in <Directory ...> and <Files ...> section headers, which end at '>'.
  if (/[<>]/.test(value)) {
    throw propError(scope, prop, value, 'a path without "<" or ">" (it is written into Apache <Directory> and <Files> sections)');
  }
  const normalized = path.posix.normalize(value.replace(/\\/g, '/')).replace(/(.)\/+$/, '$1');
  if (path.isAbsolute(value) || normalized === '..' || normalized.startsWith('../')) {
    throw propError(scope, prop, value, `a path relative to the app source ${base}, inside it`);
  }
  const full = path.join(base, normalized);
  if (kind === 'absent-or-directory' && !fs.existsSync(full)) {
    return normalized;
  }
  const ok = fs.existsSync(full) && (kind === 'file' ? fs.statSync(full).isFile() : fs.statSync(full).isDirectory());
  if (!ok) {
    throw propError(scope, prop, value, `an existing ${kind === 'file' ? 'file' : 'directory'} inside the app source ${base}`);
  }
  const real = fs.realpathSync(full);
  const realBase = fs.realpathSync(base);
  if (real !== realBase && !real.startsWith(`${realBase}${path.sep}`)) {
    throw propError(scope, prop, value, `a path inside the app source ${base}; it resolves to ${real} outside it (symlink)`);
  }
  return normalized;
}

/**
 * Apache serves everything under a static directory as a file: it must hold no
 * code. Compared as resolved paths, so './', 'sub/' or a symlink cannot reach
 * the WSGI script, its modules or settings.
 */
function checkStaticDirectory(scope: Construct, prop: string, value: string, normalized: string, source: string): void {
  const full = path.join(source, normalized);
  const refuse = (why: string) => {
    throw propError(scope, prop, value, `a directory without code or settings: ${why}; Apache would serve the app's source as static files`);
  };
  if (normalized === '.' || (fs.existsSync(full) && fs.realpathSync(full) === fs.realpathSync(source))) {
    refuse('it is the app source directory itself');
  }
  if (fs.existsSync(full)) {
    const code = findPythonFile(full);
    if (code) {
      refuse(`it contains ${path.relative(source, code)}`);
    }
  }
}

/** The first Python source file under a directory, if any. */
function findPythonFile(dir: string): string | undefined {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const found = findPythonFile(full);
      if (found) {
        return found;
      }
    } else if (/\.(py|pyc|wsgi)$/.test(entry.name)) {
      return full;
    }
  }
  return undefined;
}
