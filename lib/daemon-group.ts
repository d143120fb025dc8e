import { Annotations } from 'cdktf';
import { Construct } from 'constructs';
import { ApacheSite } from './apache-site';
import { AppProfile } from './app-profile';
import { AppSecret } from './app-secret';
import { DaemonGroupSpec, DaemonOptionSpecValue, DataDirectorySpec, PROCESSES_PER_CPU, SecretSpec } from './conf/site-spec';
import { DaemonProcessOptions } from './daemon-process-options';
import { PROCESSES_RANGE, THREADS_RANGE } from './platform/daemon-options';
import { checkUnprivilegedGroup, resolveDaemonOptions } from './private/daemon-options';
import { checkEnvironment, checkEnvName, checkSecrets } from './private/environment';
import { checkConfString, checkInstanceOf, checkInt, checkPattern, NAME_EXPECTED, NAME_PATTERN, nameFromId, propError } from './private/validate';
import { VirtualEnv } from './virtual-env';
import type { WsgiApp } from './wsgi-app';

export interface DaemonGroupProps extends DaemonProcessOptions {
  /** The venv the group's processes run (python-home=). */
  readonly virtualEnv: VirtualEnv;
  /**
   * Name of the process group, unique server-wide.
   * @default - derived from the construct id, e.g. 'Api' -> 'api'
   */
  readonly name?: string;
  /**
   * Number of daemon processes (wsgi.multiprocess is then True, even for 1).
   * The group never grows under load: plan capacity here or leave it to the host.
   * @default - two per CPU of the host: from the vCPUs of an Ec2Host's instance type
   * at synth, else from the host's `nproc` when it is provisioned (Docker, local runs)
   */
  readonly processes?: number;
  /**
   * One process with no `processes=` option, so mod_wsgi tells the app
   * `wsgi.multiprocess` is False: for apps that keep state in process memory and
   * must see every request (an in-process cache, a debugger). Cannot be combined with `processes`.
   * @default false
   */
  readonly singleProcess?: boolean;
  /**
   * What the app spends a request on; sets `threads` when it is left out.
   * @default AppProfile.IO_BOUND
   */
  readonly profile?: AppProfile;
  /**
   * Request threads per process. processes x threads must cover the requests in
   * flight at peak (peak req/s x mean latency, Little's law); it is also the most
   * database connections the group opens at once.
   * @default - the profile's threadsPerProcess (32 for IO_BOUND, 4 for CPU_BOUND)
   */
  readonly threads?: number;
  /**
   * Non-root user the processes run as when Apache starts as root.
   * @default - 'wsgi-' + name, created by the provisioning recipe
   */
  readonly user?: string;
  /**
   * Primary Unix group of the processes. Groups with system-wide rights
   * (root, shadow, disk, docker, adm, sudo, wheel...) are refused.
   * @default - same as user
   */
  readonly group?: string;
  /** @default 'C.UTF-8' */
  readonly lang?: string;
  /** @default 'C.UTF-8' */
  readonly locale?: string;
  /** Process name shown by ps. @default '%{GROUP}' */
  readonly displayName?: string;
  /**
   * Environment variables in `os.environ` of every app of the group before it is
   * imported (and of their build and release commands). An app's own
   * `environment` adds to these.
   * @default {}
   */
  readonly environment?: Record<string, string>;
  /**
   * Secrets in `os.environ` of every app of the group, by variable name; resolved on
   * the host into a file only this group's user can read.
   * @default {}
   */
  readonly secrets?: Record<string, AppSecret>;
  /**
   * Writable directories for the group's apps (sqlite databases, uploads, caches),
   * by the environment variable that gives the app its path, e.g.
   * `{ DJANGO_DATA_DIR: 'db' }`. Created on the host owned by the group's user,
   * mode 0700, outside the read-only code, and kept across code deploys.
   * @default {}
   */
  readonly dataDirectories?: Record<string, string>;
}

const USER_PATTERN = /^[a-z_][a-z0-9_-]{0,31}$/;

/**
 * A mod_wsgi daemon process group (WSGIDaemonProcess): a fixed pool of
 * processes x threads running one venv as a dedicated non-root user.
 * Defaults are mod_wsgi-express's production settings.
 */
export class DaemonGroup extends Construct {
  public readonly site: ApacheSite;
  public readonly name: string;
  public readonly virtualEnv: VirtualEnv;
  /** Processes given in props; undefined: two per CPU of the host (see resolvedProcesses). */
  public readonly processes?: number;
  /** One process with `processes=` left out (wsgi.multiprocess False). */
  public readonly singleProcess: boolean;
  public readonly profile: AppProfile;
  public readonly threads: number;
  public readonly user: string;
  public readonly group: string;
  public readonly lang: string;
  public readonly locale: string;
  public readonly displayName: string;
  /** Every WSGIDaemonProcess option prop with its resolved value; undefined means left out. */
  public readonly options: DaemonProcessOptions;
  private readonly optionArgs: DaemonOptionSpecValue[];
  public readonly environment: Record<string, string>;
  /** TypeScript only: the config layer's spec type. @jsii ignore */
  public readonly secrets: readonly SecretSpec[];
  /** TypeScript only: the config layer's spec type. @jsii ignore */
  public readonly dataDirectories: readonly DataDirectorySpec[];
  private readonly groupApps: WsgiApp[] = [];

  constructor(scope: Construct, id: string, props: DaemonGroupProps) {
    super(scope, id);
    this.site = ApacheSite.of(this);
    const platform = this.site.platform;
    this.name = checkPattern(this, 'name', props.name ?? nameFromId(id), NAME_PATTERN, NAME_EXPECTED);
    if (!(props.virtualEnv instanceof VirtualEnv)) {
      throw propError(this, 'virtualEnv', props.virtualEnv, 'a VirtualEnv construct (one venv per daemon group, used as python-home)');
    }
    this.virtualEnv = props.virtualEnv;
    const venvPython = this.virtualEnv.pythonVersion;
    if (venvPython !== undefined && venvPython !== platform.pythonVersion) {
      throw propError(this, 'virtualEnv', `${this.virtualEnv.node.path} (Python ${venvPython})`,
        `a venv of Python ${platform.pythonVersion}, the version ${platform.id}'s mod_wsgi ${platform.modWsgiVersion} is linked against; a venv of another version fails silently at request time`);
    }
    if (props.processes !== undefined) {
      this.processes = checkInt(this, 'processes', props.processes, PROCESSES_RANGE.min, PROCESSES_RANGE.max);
    }
    if (props.singleProcess !== undefined && typeof props.singleProcess !== 'boolean') {
      throw propError(this, 'singleProcess', props.singleProcess, 'true or false');
    }
    this.singleProcess = props.singleProcess ?? false;
    if (this.singleProcess && this.processes !== undefined) {
      throw propError(this, 'singleProcess', this.singleProcess, `singleProcess or processes, not both (processes is ${this.processes})`);
    }
    this.profile = checkInstanceOf(this, 'profile', props.profile, AppProfile, AppProfile.IO_BOUND,
      'an AppProfile such as AppProfile.IO_BOUND or AppProfile.CPU_BOUND');
    this.threads = checkInt(this, 'threads', props.threads ?? this.profile.threadsPerProcess, THREADS_RANGE.min, THREADS_RANGE.max);
    this.user = checkPattern(this, 'user', props.user ?? `wsgi-${this.name}`.slice(0, 32), USER_PATTERN, 'a Linux user name (lower-case, at most 32 characters)');
    if (this.user === 'root') {
      throw propError(this, 'user', this.user, 'a non-root user');
    }
    this.group = checkPattern(this, 'group', props.group ?? this.user, USER_PATTERN, 'a Linux group name (lower-case, at most 32 characters)');
    // group=root gives the app root's group rights (files such as /etc/shadow backups, root-group sockets).
    checkUnprivilegedGroup(this, 'group', this.group);
    this.lang = checkPattern(this, 'lang', props.lang ?? 'C.UTF-8', /^[A-Za-z_]+(\.[A-Za-z0-9-]+)?(@\w+)?$/, 'a locale name such as "C.UTF-8"');
    this.locale = checkPattern(this, 'locale', props.locale ?? 'C.UTF-8', /^[A-Za-z_]+(\.[A-Za-z0-9-]+)?(@\w+)?$/, 'a locale name such as "C.UTF-8"');
    this.displayName = checkConfString(this, 'displayName', props.displayName ?? '%{GROUP}');

    const { values: options, args } = resolveDaemonOptions(this, props, platform);
    this.options = options;
    this.optionArgs = args;
    this.environment = checkEnvironment(this, 'environment', props.environment);
    this.secrets = checkSecrets(this, 'secrets', props.secrets);
    this.dataDirectories = Object.entries(props.dataDirectories ?? {}).map(([envVar, name]) => ({
      envVar: checkEnvName(this, 'dataDirectories name', envVar),
      name: checkPattern(this, `dataDirectories.${envVar}`, name, NAME_PATTERN, NAME_EXPECTED),
    }));
    const names = [...Object.keys(this.environment), ...this.secrets.map((s) => s.envVar), ...this.dataDirectories.map((d) => d.envVar)];
    const twice = names.find((n, i) => names.indexOf(n) !== i);
    if (twice) {
      throw propError(this, 'environment', twice, 'each variable set once among environment, secrets and dataDirectories');
    }
    const dirNames = this.dataDirectories.map((d) => d.name);
    const sameDir = dirNames.find((n, i) => dirNames.indexOf(n) !== i);
    if (sameDir) {
      throw propError(this, 'dataDirectories', sameDir, 'a directory name used once per group');
    }

    if (options.maximumRequests !== undefined && options.gracefulTimeoutSec === undefined) {
      Annotations.of(this).addWarning('maximumRequests without gracefulTimeoutSec: each recycle cuts off requests in flight');
    }
    // The default user is 'wsgi-' + name cut to 32 characters: two long names can
    // cut to the same user and silently share one identity (files, signals, ptrace).
    if (props.user === undefined) {
      // A duplicate name is reported by the site, with the clearer message.
      const clash = this.site.daemonGroups.find((g) => g.user === this.user && g.name !== this.name);
      if (clash) {
        throw propError(this, 'user', this.user, `a user of its own: the default user (wsgi- + name, cut to 32 characters) is also ${clash.node.path}'s; set user explicitly`);
      }
    }
    this.node.addValidation({
      validate: () => {
        if (this.groupApps.length === 0) {
          Annotations.of(this).addWarning(`daemon group ${this.name} runs no WsgiApp: its ${this.capacity} threads would idle`);
        }
        return [];
      },
    });
    this.site._addDaemonGroup(this);
  }

  /** Apps delegated to this group. */
  public get apps(): WsgiApp[] {
    return [...this.groupApps];
  }

  /** @internal called by WsgiApp's constructor */
  public _addApp(app: WsgiApp): void {
    // One process environment per group: its apps must agree on every variable.
    const own = new Set([...Object.keys(this.environment), ...this.secrets.map((s) => s.envVar), ...this.dataDirectories.map((d) => d.envVar)]);
    for (const name of [...Object.keys(app.environment), ...app.secrets.map((s) => s.envVar)]) {
      if (own.has(name)) {
        throw propError(app, 'environment', name, `a variable the daemon group ${this.node.path} does not set already`);
      }
      for (const other of this.groupApps) {
        const a = app.environment[name] ?? app.secrets.find((s) => s.envVar === name)?.arn;
        const b = other.environment[name] ?? other.secrets.find((s) => s.envVar === name)?.arn;
        if (b !== undefined && a !== b) {
          throw propError(app, 'environment', name, `the same value as ${other.node.path}, which shares daemon group ${this.name} and so its process environment`);
        }
      }
    }
    const globalApp = [...this.groupApps, app].find((a) => a.applicationGroup.isGlobal);
    if (this.groupApps.length > 0 && globalApp) {
      throw propError(app, 'daemonGroup', this.node.path,
        `a DaemonGroup of its own: ${globalApp.node.path} runs in %{GLOBAL}, the group's one main interpreter, so no other app may share ${this.name}`);
    }
    const clash = this.groupApps.find((a) => a.applicationGroup.value === app.applicationGroup.value);
    if (clash) {
      throw propError(app, 'applicationGroup', app.applicationGroup.value, `an application group not used by ${clash.node.path} in daemon group ${this.name}`);
    }
    if (!app.threadSafe && this.threads > 1) {
      Annotations.of(app).addWarning(`marked not thread-safe but its daemon group ${this.name} runs ${this.threads} threads per process; set threads: 1 and raise processes`);
    }
    this.groupApps.push(app);
  }

  /**
   * Processes the config renders: the props' value, else the CPUs the site's host
   * reports at synth; undefined when only the host knows (read there from nproc).
   */
  public get resolvedProcesses(): number | undefined {
    if (this.singleProcess) {
      return 1;
    }
    const cpus = this.site.hostCpus;
    return this.processes ?? (cpus === undefined ? undefined : PROCESSES_PER_CPU * cpus);
  }

  /** Total request threads: processes x threads (a host-sized group counts one process). */
  public get capacity(): number {
    return (this.resolvedProcesses ?? 1) * this.threads;
  }

  /**
   * TypeScript only (the config layer's spec type).
   * @jsii ignore
   */
  public toSpec(): DaemonGroupSpec {
    return {
      name: this.name,
      user: this.user,
      group: this.group,
      venvName: this.virtualEnv.venvName,
      // singleProcess: no processes= at all, the one way mod_wsgi sets wsgi.multiprocess False
      processes: this.singleProcess ? undefined : this.resolvedProcesses,
      processesFromHostCpus: this.resolvedProcesses === undefined,
      threads: this.threads,
      displayName: this.displayName,
      lang: this.lang,
      locale: this.locale,
      options: this.optionArgs,
      dataDirectories: this.dataDirectories,
    };
  }
}
