import { execFile } from 'child_process';

/** One wrk run, parsed from its text output. */
export interface WrkResult {
  readonly requests: number;
  readonly durationSec: number;
  readonly requestsPerSec: number;
  /** Latency percentiles in milliseconds (from --latency). */
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number };
  /** Connect/read/write/timeout socket errors. */
  readonly socketErrors: number;
  /** Responses outside 2xx/3xx. */
  readonly non2xx: number;
}

export interface WrkOptions {
  readonly connections: number;
  readonly threads: number;
  readonly durationSec: number;
  /** @default '/usr/bin/wrk' */
  readonly binary?: string;
}

const LOOPBACK = /^http:\/\/(127\.\d+\.\d+\.\d+|localhost)(:\d+)?(\/|$)/;

/** Runs wrk against a loopback URL (never anything else: the load must stay on this machine). */
export function runWrk(url: string, opts: WrkOptions): Promise<WrkResult> {
  if (!LOOPBACK.test(url)) {
    return Promise.reject(new Error(`benchmarks only target loopback, not ${url}`));
  }
  const args = ['-t', String(opts.threads), '-c', String(opts.connections), '-d', `${opts.durationSec}s`, '--latency', url];
  return new Promise((resolve, reject) => {
    execFile(opts.binary ?? '/usr/bin/wrk', args, { timeout: (opts.durationSec + 30) * 1000 }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`wrk ${args.join(' ')} failed: ${err.message}\n${stderr}`));
        return;
      }
      try {
        resolve(parseWrk(stdout));
      } catch (e) {
        reject(e);
      }
    });
  });
}

/** Converts a wrk duration such as '812.00us', '2.81ms' or '1.02s' to milliseconds. */
export function wrkDurationMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!m) {
    throw new Error(`not a wrk duration: ${JSON.stringify(text)}`);
  }
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
}

/** Parses wrk 4.x output (run with --latency). Throws when a required line is missing. */
export function parseWrk(out: string): WrkResult {
  const total = /(\d+) requests in ([\d.]+)(us|ms|s|m),/.exec(out);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  if (!total || !rps) {
    throw new Error(`unexpected wrk output:\n${out}`);
  }
  const pct = (p: string) => {
    const m = new RegExp(`^\\s+${p}%\\s+(\\S+)\\s*$`, 'm').exec(out);
    if (!m) {
      throw new Error(`wrk output has no ${p}% latency line (run with --latency):\n${out}`);
    }
    return wrkDurationMs(m[1]);
  };
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  return {
    requests: Number(total[1]),
    durationSec: wrkDurationMs(`${total[2]}${total[3]}`) / 1000,
    requestsPerSec: Number(rps[1]),
    latencyMs: { p50: pct('50'), p90: pct('90'), p99: pct('99') },
    socketErrors: sock ? sock.slice(1).reduce((s, n) => s + Number(n), 0) : 0,
    non2xx: non2xx ? Number(non2xx[1]) : 0,
  };
}
