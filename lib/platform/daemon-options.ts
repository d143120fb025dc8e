/**
 * Every WSGIDaemonProcess option of mod_wsgi 4.x-6.0 (the 44 of 6.0.2+ plus
 * the two New Relic ones 4.1-5.0 accept), keyed by the typed prop name
 * DaemonGroup exposes. Read from wsgi_add_daemon_process() in mod_wsgi's
 * source at each release tag: `since` is the first release whose parser
 * accepts the option, `until` the last. Apache rejects an unknown option only
 * when it starts, so the library rejects it at construct time instead.
 *
 * Kinds:
 * - integer / decimal / bool / string / list: a DaemonGroup prop of that type,
 *   range-checked, rendered as option=value;
 * - owned: the library sets the option from its own model (a dedicated prop or
 *   the layout); giving it as a prop fails with `reason`;
 * - refused: the option would break the library's model; giving it fails
 *   with `reason`.
 */
export type DaemonOptionKind = 'integer' | 'decimal' | 'bool' | 'string' | 'list' | 'owned' | 'refused';

export interface DaemonOptionSpec {
  /** The mod_wsgi option name, e.g. 'memory-limit'. */
  readonly option: string;
  readonly kind: DaemonOptionKind;
  readonly since: string;
  /** Last release that accepts it; undefined: still accepted by 6.0. */
  readonly until?: string;
  readonly min?: number;
  readonly max?: number;
  /** mod_wsgi-express production default; undefined leaves the option out. */
  readonly default?: number;
  /** Why the option is owned by the library or refused. */
  readonly reason?: string;
  /** Owned options set through a DaemonGroup prop of the same name (user, threads...), which the construct checks. */
  readonly ownProp?: boolean;
}

const DAY = 86_400;
const KIB = 1024;
const MIB = 1024 * KIB;
const GIB = 1024 * MIB;
/** mod_wsgi reads most sizes with atoi(): a C int. */
const INT_MAX = 2 ** 31 - 1;

export const DAEMON_OPTIONS = {
  // The 15 numeric options DaemonGroup had first, in their render order.
  listenBacklog: { option: 'listen-backlog', kind: 'integer', since: '4.1.0', min: 1, max: 65_535, default: 100 },
  queueTimeoutSec: { option: 'queue-timeout', kind: 'integer', since: '4.1.0', min: 1, max: DAY, default: 45 },
  socketTimeoutSec: { option: 'socket-timeout', kind: 'integer', since: '4.1.0', min: 1, max: DAY, default: 60 },
  connectTimeoutSec: { option: 'connect-timeout', kind: 'integer', since: '4.1.0', min: 1, max: DAY, default: 15 },
  requestTimeoutSec: { option: 'request-timeout', kind: 'integer', since: '4.1.0', min: 1, max: DAY, default: 60 },
  startupTimeoutSec: { option: 'startup-timeout', kind: 'integer', since: '4.5.6', min: 1, max: DAY, default: 15 },
  deadlockTimeoutSec: { option: 'deadlock-timeout', kind: 'integer', since: '2.0.0', min: 1, max: DAY, default: 60 },
  gracefulTimeoutSec: { option: 'graceful-timeout', kind: 'integer', since: '4.1.0', min: 1, max: DAY, default: 15 },
  shutdownTimeoutSec: { option: 'shutdown-timeout', kind: 'integer', since: '2.0.0', min: 1, max: DAY, default: 5 },
  inactivityTimeoutSec: { option: 'inactivity-timeout', kind: 'integer', since: '2.0.0', min: 1, max: DAY },
  evictionTimeoutSec: { option: 'eviction-timeout', kind: 'integer', since: '4.4.7', min: 1, max: DAY },
  restartIntervalSec: { option: 'restart-interval', kind: 'integer', since: '4.5.12', min: 1, max: 365 * DAY },
  responseSocketTimeoutSec: { option: 'response-socket-timeout', kind: 'integer', since: '4.5.13', min: 1, max: DAY },
  interruptTimeoutSec: { option: 'interrupt-timeout', kind: 'integer', since: '6.0.0', min: 1, max: DAY },
  maximumRequests: { option: 'maximum-requests', kind: 'integer', since: '1.0.0', min: 1, max: 1_000_000_000 },

  // Resource limits (setrlimit / setpriority in each daemon process).
  cpuTimeLimitSec: { option: 'cpu-time-limit', kind: 'integer', since: '3.0', min: 1, max: 365 * DAY },
  // Linux nice values; a negative one (more CPU than other processes) needs Apache started as root.
  cpuPriority: { option: 'cpu-priority', kind: 'integer', since: '3.0', min: -20, max: 19 },
  // Below a few tens of MiB a Python interpreter cannot even start.
  memoryLimitBytes: { option: 'memory-limit', kind: 'integer', since: '3.4', min: 32 * MIB, max: 2 ** 50 },
  virtualMemoryLimitBytes: { option: 'virtual-memory-limit', kind: 'integer', since: '3.4', min: 64 * MIB, max: 2 ** 50 },
  stackSizeBytes: { option: 'stack-size', kind: 'integer', since: '3.0', min: 64 * KIB, max: 256 * MIB },

  // Buffers between Apache's children and the daemon processes; mod_wsgi's own minimums.
  sendBufferSizeBytes: { option: 'send-buffer-size', kind: 'integer', since: '3.0', min: 512, max: 64 * MIB },
  receiveBufferSizeBytes: { option: 'receive-buffer-size', kind: 'integer', since: '3.0', min: 512, max: 64 * MIB },
  headerBufferSizeBytes: { option: 'header-buffer-size', kind: 'integer', since: '4.1.0', min: 8 * KIB, max: 64 * MIB },
  responseBufferSizeBytes: { option: 'response-buffer-size', kind: 'integer', since: '4.4.7', min: 64 * KIB, max: Math.min(GIB, INT_MAX) },
  // Milliseconds; 0 is meaningful here (flush on every stall), so the range starts at 0.
  responseFlushDelayMs: { option: 'response-flush-delay', kind: 'integer', since: '6.0.2', min: 0, max: 10_000 },

  // Python interpreter.
  switchIntervalSec: { option: 'switch-interval', kind: 'decimal', since: '6.0.0', min: 0.000_001, max: 10 },

  // Process identity and files.
  umask: { option: 'umask', kind: 'string', since: '3.0' },
  supplementaryGroups: { option: 'supplementary-groups', kind: 'list', since: '3.4' },
  serverMetrics: { option: 'server-metrics', kind: 'bool', since: '4.2.0' },

  // Owned: the library sets these from its model.
  user: { option: 'user', kind: 'owned', since: '1.0.0', reason: 'the user prop (a dedicated non-root user)', ownProp: true },
  group: { option: 'group', kind: 'owned', since: '1.0.0', reason: 'the group prop', ownProp: true },
  processes: { option: 'processes', kind: 'owned', since: '1.0.0', reason: 'the processes prop', ownProp: true },
  threads: { option: 'threads', kind: 'owned', since: '1.0.0', reason: 'the threads prop', ownProp: true },
  displayName: { option: 'display-name', kind: 'owned', since: '1.0.0', reason: 'the displayName prop', ownProp: true },
  lang: { option: 'lang', kind: 'owned', since: '3.4', reason: 'the lang prop', ownProp: true },
  locale: { option: 'locale', kind: 'owned', since: '3.4', reason: 'the locale prop', ownProp: true },
  home: { option: 'home', kind: 'owned', since: '2.0.0', reason: 'no value: the library sets home= to the site\'s working directory, which it creates for the daemon user' },
  pythonHome: { option: 'python-home', kind: 'owned', since: '3.4', reason: 'no value: python-home= is the root of the group\'s virtualEnv, built with the Python mod_wsgi is linked against' },
  pythonPath: { option: 'python-path', kind: 'owned', since: '2.0.0', reason: 'no value: use WsgiApp.pythonPaths; the app\'s source directory is always on sys.path (and a venv\'s site-packages comes from python-home)' },

  // Refused: each would break the library's model.
  chroot: { option: 'chroot', kind: 'refused', since: '2.0.0', reason: 'no value: chroot= needs Apache started as root and a root holding the venv, its Python, the app code and the socket directory, none of which the library provisions (and a non-root local run cannot start)' },
  socketUser: { option: 'socket-user', kind: 'refused', since: '4.4.1', reason: 'no value: mod_wsgi creates the daemon socket with mode 0700 owned by the Apache user its children connect as (the default); another owner is only for PrivilegesMode SECURE, mod_ruid2 or the ITK MPM, which the library does not configure, and Apache then answers every request 503 (Permission denied on the socket)' },
  scriptUser: { option: 'script-user', kind: 'refused', since: '3.0', reason: 'no value: the library installs app code owned by root (read-only to the daemon user), so a script-user check could only say root and any other value answers every request 403' },
  scriptGroup: { option: 'script-group', kind: 'refused', since: '3.0', reason: 'no value: the library installs app code owned by root (read-only to the daemon user), so a script-group check could only say root and any other value answers every request 403' },
  pythonEggs: { option: 'python-eggs', kind: 'refused', since: '3.0', reason: 'no value: python-eggs= is the cache for zipped eggs, which pip never installs into a venv, and must be a directory writable by the daemon user that the library does not create' },
  newrelicConfigFile: { option: 'newrelic-config-file', kind: 'refused', since: '4.1.0', until: '5.0.2', reason: 'no value: mod_wsgi 6.0 removed the New Relic options; configure the agent in the app' },
  newrelicEnvironment: { option: 'newrelic-environment', kind: 'refused', since: '4.1.0', until: '5.0.2', reason: 'no value: mod_wsgi 6.0 removed the New Relic options; configure the agent in the app' },
} satisfies Record<string, DaemonOptionSpec>;

export type DaemonOptionProp = keyof typeof DAEMON_OPTIONS;

/**
 * Unix groups that hand a process root-equivalent or system-wide rights:
 * reading password hashes (shadow), raw disks (disk), kernel memory (kmem),
 * every log (adm, systemd-journal), sudo rights (sudo, wheel, admin), a root
 * container daemon (docker, lxd, libvirt), hardware (kvm, input, video...).
 * A web app's daemon process must not run with any of them.
 */
export const PRIVILEGED_GROUPS: ReadonlySet<string> = new Set([
  'root', 'wheel', 'sudo', 'admin', 'adm', 'shadow', 'disk', 'kmem', 'mem', 'sys', 'bin', 'staff', 'operator',
  'docker', 'lxd', 'incus-admin', 'libvirt', 'kvm', 'systemd-journal', 'utmp', 'tty', 'input', 'video', 'dialout',
]);

/** Range limits for the sizing options. */
export const PROCESSES_RANGE = { min: 1, max: 256 } as const;
export const THREADS_RANGE = { min: 1, max: 512 } as const;
