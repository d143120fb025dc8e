import * as fs from 'fs';
import * as path from 'path';
import { Construct } from 'constructs';
import { ApacheSite, isAtOrUnder } from './apache-site';
import { ApplicationGroup } from './application-group';
import { AppSpec, StaticFilesSpec } from './conf/site-spec';
import { DaemonGroup } from './daemon-group';
import { checkExistingPath } from './private/paths';
import { checkConfString, checkInt, checkPattern, NAME_EXPECTED, NAME_PATTERN, nameFromId, propError } from './private/validate';

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
}

export interface WsgiAppProps {
  /** URL path the app answers at: '/' or '/a/b' (no trailing slash). */
  readonly mountPath: string;
  /** Absolute path of the app's source directory, deployed as the app's code. */
  readonly source: string;
  /** The WSGI script, relative to source, e.g. 'wsgi.py'. */
  readonly scriptFile: string;
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
  public readonly scriptFile: string;
  public readonly daemonGroup?: DaemonGroup;
  public readonly applicationGroup: ApplicationGroup;
  public readonly staticFiles: readonly StaticFiles[];
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
    this.scriptFile = checkRelativeInside(this, 'scriptFile', props.scriptFile, this.source, 'file');
    this.applicationGroup = props.applicationGroup ?? ApplicationGroup.GLOBAL;
    this.passAuthorization = props.passAuthorization ?? false;
    this.threadSafe = props.threadSafe ?? true;
    this.callableObject = checkPattern(this, 'callableObject', props.callableObject ?? 'application', /^[A-Za-z_][A-Za-z0-9_]*$/, 'a Python identifier');
    this.healthCheckPath = checkPattern(this, 'healthCheckPath', props.healthCheckPath ?? this.mountPath, HEALTH_PATH, 'a URL path such as "/health/" (no query string, no empty segments)');
    if (!isAtOrUnder(this.healthCheckPath.replace(/(.)\/$/, '$1'), this.mountPath)) {
      throw propError(this, 'healthCheckPath', this.healthCheckPath, `a path at or under the app's mount path ${this.mountPath}`);
    }
    this.healthyHttpCodes = checkPattern(this, 'healthyHttpCodes', props.healthyHttpCodes ?? '200-399,401,403', HTTP_CODES, 'status codes and ranges such as "200-399,401,403"');
    if (!Array.isArray(props.staticFiles ?? [])) {
      throw propError(this, 'staticFiles', props.staticFiles, 'an array of { urlPath, directory }');
    }
    this.staticFiles = (props.staticFiles ?? []).map((f, i) => ({
      urlPath: checkPattern(this, `staticFiles[${i}].urlPath`, f.urlPath, MOUNT_PATH, MOUNT_EXPECTED),
      directory: checkRelativeInside(this, `staticFiles[${i}].directory`, f.directory, this.source, 'directory'),
      maxAgeSec: f.maxAgeSec === undefined ? undefined : checkInt(this, `staticFiles[${i}].maxAgeSec`, f.maxAgeSec, 0, 31_536_000),
    }));
    // Apache would serve everything under a static directory as a file, the WSGI script (and its secrets) included.
    this.staticFiles.forEach((f, i) => {
      if (f.directory === '.' || `${this.scriptFile}`.startsWith(`${f.directory}/`)) {
        throw propError(this, `staticFiles[${i}].directory`, props.staticFiles![i].directory,
          `a directory that does not contain the WSGI script ${this.scriptFile}: Apache would serve the app's source code as static files`);
      }
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

  public toSpec(): AppSpec {
    return {
      name: this.appName,
      source: this.source,
      mountPath: this.mountPath,
      scriptFile: this.scriptFile,
      processGroup: this.daemonGroup?.name,
      applicationGroup: this.applicationGroup.value,
      passAuthorization: this.passAuthorization,
      callableObject: this.callableObject,
      staticFiles: this.staticFiles.map((f): StaticFilesSpec => ({ ...f })),
      healthCheckPath: this.healthCheckPath,
      healthyHttpCodes: this.healthyHttpCodes,
    };
  }
}

/** A relative path that stays inside `base` and exists there; returned normalized with '/'. */
function checkRelativeInside(scope: Construct, prop: string, value: string, base: string, kind: 'file' | 'directory'): string {
  checkConfString(scope, prop, value);
  // The path ends up in <Directory ...> and <Files ...> section headers, which end at '>'.
  if (/[<>]/.test(value)) {
    throw propError(scope, prop, value, 'a path without "<" or ">" (it is written into Apache <Directory> and <Files> sections)');
  }
  const normalized = path.posix.normalize(value.replace(/\\/g, '/'));
  if (path.isAbsolute(value) || normalized === '..' || normalized.startsWith('../')) {
    throw propError(scope, prop, value, `a path relative to the app source ${base}, inside it`);
  }
  const full = path.join(base, normalized);
  const ok = fs.existsSync(full) && (kind === 'file' ? fs.statSync(full).isFile() : fs.statSync(full).isDirectory());
  if (!ok) {
    throw propError(scope, prop, value, `an existing ${kind} inside the app source ${base}`);
  }
  return normalized;
}
