/**
 * The WSGIDaemonProcess options a DaemonGroup takes as typed props, units in
 * the names. Each is checked against its range and against the site
 * platform's mod_wsgi version (an option newer than the platform's mod_wsgi
 * fails at construct time, not when Apache starts).
 *
 * For the numeric options with a range starting at 1, 0 means "left out"
 * (mod_wsgi's own default): that is how a production default such as
 * requestTimeoutSec is switched off.
 *
 * The options the library sets from its own model (user, group, processes,
 * threads, display-name, lang, locale, home, python-home, python-path) have
 * their own props or none; chroot, socket-user, script-user, script-group,
 * python-eggs and the New Relic options are refused, each with the reason.
 */
export interface DaemonProcessOptions {
  /**
   * Connections waiting to be accepted on the daemon socket (listen-backlog).
   * @default 100
   */
  readonly listenBacklog?: number;
  /**
   * Seconds a request may wait for a free daemon thread before it fails with
   * 503 (queue-timeout); 0 leaves it out.
   * @default 45
   */
  readonly queueTimeoutSec?: number;
  /**
   * Seconds of silence on the socket between Apache and the daemon before the
   * request fails (socket-timeout); 0 leaves it out (Apache's Timeout).
   * @default 60
   */
  readonly socketTimeoutSec?: number;
  /**
   * Seconds Apache's child tries to connect to the daemon socket (connect-timeout).
   * @default 15
   */
  readonly connectTimeoutSec?: number;
  /**
   * Seconds a request may run before the process restarts, measured as the
   * average over the group's threads (request-timeout); 0 leaves it out.
   * @default 60
   */
  readonly requestTimeoutSec?: number;
  /**
   * Seconds the WSGI script may take to load after a start before the
   * process restarts (startup-timeout, mod_wsgi 4.5.6+); 0 leaves it out.
   * @default 15
   */
  readonly startupTimeoutSec?: number;
  /**
   * Seconds the Python GIL may stay held before the process is deemed
   * deadlocked and restarted (deadlock-timeout).
   * @default 60
   */
  readonly deadlockTimeoutSec?: number;
  /**
   * Seconds a restart waits for requests in flight to finish (graceful-timeout).
   * @default 15
   */
  readonly gracefulTimeoutSec?: number;
  /**
   * Seconds a stopping process gets before it is killed (shutdown-timeout).
   * @default 5
   */
  readonly shutdownTimeoutSec?: number;
  /**
   * Seconds without requests after which the process restarts (inactivity-timeout).
   * @default - left out: idle processes keep running
   */
  readonly inactivityTimeoutSec?: number;
  /**
   * Seconds a graceful restart signalled by the app (SIGUSR2/eviction) may
   * take (eviction-timeout, mod_wsgi 4.4.7+).
   * @default - left out: graceful-timeout applies
   */
  readonly evictionTimeoutSec?: number;
  /**
   * Seconds after which each process is restarted regardless of load
   * (restart-interval, mod_wsgi 4.5.12+).
   * @default - left out: processes live until Apache restarts
   */
  readonly restartIntervalSec?: number;
  /**
   * Seconds writing a response back to the client may block
   * (response-socket-timeout, mod_wsgi 4.5.13+).
   * @default - left out: socketTimeoutSec applies
   */
  readonly responseSocketTimeoutSec?: number;
  /**
   * Seconds a request that hit request-timeout gets to unwind from an
   * injected mod_wsgi.RequestTimeout before the process restarts
   * (interrupt-timeout, mod_wsgi 6.0+).
   * @default - left out: request-timeout restarts the process
   */
  readonly interruptTimeoutSec?: number;
  /**
   * Requests after which a process is recycled (maximum-requests). Pair it
   * with gracefulTimeoutSec so a recycle does not cut requests in flight.
   * @default - left out: processes are not recycled by count
   */
  readonly maximumRequests?: number;
  /**
   * CPU seconds a process may use, counted from its start, before it is shut
   * down and replaced (cpu-time-limit: RLIMIT_CPU; the kernel's SIGXCPU
   * triggers mod_wsgi's graceful restart). Every long-lived process reaches
   * it eventually: it is a periodic recycle by CPU use, not a per-request cap.
   * @default - left out: no CPU limit
   */
  readonly cpuTimeLimitSec?: number;
  /**
   * Scheduling priority (nice value, -20 to 19) of the processes
   * (cpu-priority). Lower is more favourable; below 0 needs Apache started as root.
   * @default - left out: the priority Apache runs at
   */
  readonly cpuPriority?: number;
  /**
   * Data-segment limit of each process in bytes (memory-limit). mod_wsgi sets
   * it with setrlimit(RLIMIT_DATA). On Linux 4.7 and later RLIMIT_DATA counts
   * the heap and private writable mappings, so Python's allocations beyond it
   * fail: the app sees MemoryError (a 500 unless it catches it) and the
   * process is NOT killed or replaced. Older kernels ignore mmap'd memory and
   * macOS ignores the limit. Minimum 32 MiB.
   * @default - left out: no limit
   */
  readonly memoryLimitBytes?: number;
  /**
   * Address-space limit of each process in bytes (virtual-memory-limit:
   * setrlimit(RLIMIT_AS) on Linux). Counts every mapping, including each
   * thread's stack reservation (8 MiB by default, see stackSizeBytes) and
   * shared libraries, so it must leave room well above the resident size.
   * Allocations beyond it fail with MemoryError; the process is not killed.
   * Minimum 64 MiB.
   * @default - left out: no limit
   */
  readonly virtualMemoryLimitBytes?: number;
  /**
   * Stack size of each request thread in bytes (stack-size), from 64 KiB.
   * @default - left out: the system's default (8 MiB on Linux)
   */
  readonly stackSizeBytes?: number;
  /**
   * Socket buffer in bytes for data the daemon sends back to Apache
   * (send-buffer-size), at least 512; the kernel caps it at net.core.wmem_max.
   * @default - left out: the system's default
   */
  readonly sendBufferSizeBytes?: number;
  /**
   * Socket buffer in bytes for data the daemon receives from Apache
   * (receive-buffer-size), at least 512; the kernel caps it at net.core.rmem_max.
   * @default - left out: the system's default
   */
  readonly receiveBufferSizeBytes?: number;
  /**
   * Largest response header name/value in bytes the app may return
   * (header-buffer-size), at least 8192.
   * @default - left out: mod_wsgi's built-in size
   */
  readonly headerBufferSizeBytes?: number;
  /**
   * Response bytes passed on without a flush before one is forced
   * (response-buffer-size, mod_wsgi 4.4.7+), at least 65536.
   * @default - left out: mod_wsgi's default (65536 before 6.0, 8 MiB in 6.0)
   */
  readonly responseBufferSizeBytes?: number;
  /**
   * Milliseconds mod_wsgi waits for more response data before flushing what
   * it has to the client (response-flush-delay, mod_wsgi 6.0.2+); 0 flushes
   * on every stall.
   * @default - left out: 5
   */
  readonly responseFlushDelayMs?: number;
  /**
   * Python's GIL switch interval in seconds, set once at process start
   * (switch-interval, mod_wsgi 6.0+).
   * @default - left out: Python's 0.005
   */
  readonly switchIntervalSec?: number;
  /**
   * File-creation mask of the processes as an octal string such as '0027'
   * (umask). It must keep the write bit for other users masked: files the app
   * creates are never world-writable.
   * @default - left out: inherited from Apache (usually '0022')
   */
  readonly umask?: string;
  /**
   * Extra Unix groups of the processes (supplementary-groups), e.g. a group
   * that may read a shared directory. Groups with system-wide rights (root,
   * shadow, disk, docker, adm, sudo, wheel, kmem, sys, staff, lxd, ...) are
   * refused. Applied only where Apache starts as root (the deployed hosts).
   * @default - none
   */
  readonly supplementaryGroups?: string[];
  /**
   * Lets the app read Apache's scoreboard through
   * mod_wsgi.server_metrics() (server-metrics, mod_wsgi 4.2+). It discloses
   * every worker's client and request: keep it off unless the app shows metrics.
   * @default false
   */
  readonly serverMetrics?: boolean;
}
