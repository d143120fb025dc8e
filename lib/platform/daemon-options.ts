/**
 * WSGIDaemonProcess options that take a number, keyed by the typed prop name
 * DaemonGroup exposes. `since` is the first mod_wsgi release that accepts the
 * option: Apache rejects an unknown one only when it starts, so the library
 * rejects it at construct time instead.
 */
export interface DaemonOptionSpec {
  readonly option: string;
  readonly since: string;
  readonly min: number;
  readonly max: number;
  /** mod_wsgi-express production default; undefined leaves the option out. */
  readonly default?: number;
}

const DAY = 86_400;

export const DAEMON_NUMERIC_OPTIONS = {
  listenBacklog: { option: 'listen-backlog', since: '4.1.0', min: 1, max: 65_535, default: 100 },
  queueTimeoutSec: { option: 'queue-timeout', since: '4.1.0', min: 1, max: DAY, default: 45 },
  socketTimeoutSec: { option: 'socket-timeout', since: '4.1.0', min: 1, max: DAY, default: 60 },
  connectTimeoutSec: { option: 'connect-timeout', since: '4.1.0', min: 1, max: DAY, default: 15 },
  requestTimeoutSec: { option: 'request-timeout', since: '4.1.0', min: 1, max: DAY, default: 60 },
  startupTimeoutSec: { option: 'startup-timeout', since: '4.5.6', min: 1, max: DAY, default: 15 },
  deadlockTimeoutSec: { option: 'deadlock-timeout', since: '2.0.0', min: 1, max: DAY, default: 60 },
  gracefulTimeoutSec: { option: 'graceful-timeout', since: '4.1.0', min: 1, max: DAY, default: 15 },
  shutdownTimeoutSec: { option: 'shutdown-timeout', since: '2.0.0', min: 1, max: DAY, default: 5 },
  inactivityTimeoutSec: { option: 'inactivity-timeout', since: '2.0.0', min: 1, max: DAY },
  evictionTimeoutSec: { option: 'eviction-timeout', since: '4.4.7', min: 1, max: DAY },
  restartIntervalSec: { option: 'restart-interval', since: '4.5.12', min: 1, max: 365 * DAY },
  responseSocketTimeoutSec: { option: 'response-socket-timeout', since: '4.5.13', min: 1, max: DAY },
  interruptTimeoutSec: { option: 'interrupt-timeout', since: '6.0.0', min: 1, max: DAY },
  maximumRequests: { option: 'maximum-requests', since: '1.0.0', min: 1, max: 1_000_000_000 },
} satisfies Record<string, DaemonOptionSpec>;

export type DaemonNumericOption = keyof typeof DAEMON_NUMERIC_OPTIONS;

/** Range limits for the sizing options. */
export const PROCESSES_RANGE = { min: 1, max: 256 } as const;
export const THREADS_RANGE = { min: 1, max: 512 } as const;
