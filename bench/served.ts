import * as os from 'os';
import * as path from 'path';
import { Testing, TerraformStack } from 'cdktf';
import { ApacheSite, DaemonGroup, DaemonGroupProps, Platform, startLocalSite, VirtualEnv, WsgiApp } from '../lib';
import { gunicornAvailable, RunningServer, startGunicorn } from './gunicorn';
import { runWrk, WrkResult } from './wrk';

/**
 * Served throughput: the library's default daemon group vs a mod_wsgi-express-like
 * one vs gunicorn, then a processes x threads sweep, all on this machine's real
 * Apache + mod_wsgi (through startLocalSite) with wrk on loopback. Targets run
 * side by side and are measured in interleaved rounds, so the ratios hold even
 * on a noisy machine where the absolute numbers drift.
 */

export interface ServedOptions {
  /** One short round instead of three longer ones. */
  readonly quick: boolean;
  /** wrk connections. @default 32 */
  readonly connections?: number;
  readonly print?: (line: string) => void;
}

const APPS = {
  hello: { dir: path.join(__dirname, '..', 'examples', 'apps', 'hello'), path: '/' },
  json: { dir: path.join(__dirname, '..', 'examples', 'apps', 'api'), path: '/items' },
} as const;
type AppName = keyof typeof APPS;

interface Target {
  readonly app: AppName;
  readonly label: string;
  start(): Promise<RunningServer>;
}

/** Median, the statistic every table uses: robust to one disturbed round. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** An Apache target: a one-app site built with the library's constructs, served by startLocalSite. */
function apacheTarget(app: AppName, label: string, group: Omit<DaemonGroupProps, 'virtualEnv'>, siteProps: { maxRequestWorkers?: number } = {}): Target {
  return {
    app,
    label,
    start: async () => {
      const stack = new TerraformStack(Testing.app(), 'bench');
      const site = new ApacheSite(stack, 'Site', { platform: Platform.DEBIAN_12, serverName: 'bench.example', ...siteProps });
      const daemonGroup = new DaemonGroup(site, 'App', { ...group, virtualEnv: new VirtualEnv(stack, 'Env') });
      new WsgiApp(site, 'Wsgi', { mountPath: '/', source: APPS[app].dir, scriptFile: 'wsgi.py', daemonGroup });
      const run = await startLocalSite(site);
      return { url: run.url, stop: () => run.stop() };
    },
  };
}

function gunicornTarget(app: AppName, label: string, workerClass: 'sync' | 'gthread', workers: number, threads?: number): Target {
  return { app, label, start: () => startGunicorn({ appDir: APPS[app].dir, module: 'wsgi:application', workers, workerClass, threads }) };
}

interface Measured {
  readonly target: Target;
  readonly runs: WrkResult[];
}

/** Starts every target, warms each up, then runs `rounds` rounds; each round visits every target once, in a rotated order. */
async function measure(targets: Target[], opts: { rounds: number; durationSec: number; connections: number; print: (l: string) => void }): Promise<Measured[]> {
  const servers: RunningServer[] = [];
  try {
    for (const t of targets) {
      servers.push(await t.start());
    }
    const wrk = (i: number, durationSec: number) => runWrk(servers[i].url + APPS[targets[i].app].path, { threads: 2, connections: opts.connections, durationSec });
    for (let i = 0; i < targets.length; i++) {
      await wrk(i, 1); // warm-up: imports, keep-alive pools, first daemon spawn
    }
    const runs: WrkResult[][] = targets.map(() => []);
    for (let r = 0; r < opts.rounds; r++) {
      for (let k = 0; k < targets.length; k++) {
        const i = (k + r) % targets.length;
        runs[i].push(await wrk(i, opts.durationSec));
      }
      opts.print(`  round ${r + 1}/${opts.rounds} done`);
    }
    return targets.map((target, i) => ({ target, runs: runs[i] }));
  } finally {
    for (const s of servers) {
      await s.stop();
    }
  }
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function row(m: Measured, baseline: number): { rps: number; cells: string[] } {
  const rps = median(m.runs.map((r) => r.requestsPerSec));
  const socketErrors = m.runs.reduce((s, r) => s + r.socketErrors, 0);
  const non2xx = m.runs.reduce((s, r) => s + r.non2xx, 0);
  return {
    rps,
    cells: [m.target.app, m.target.label, fmt(rps), fmt(rps / baseline, 2),
      `${fmt(Math.min(...m.runs.map((r) => r.requestsPerSec)))}-${fmt(Math.max(...m.runs.map((r) => r.requestsPerSec)))}`,
      fmt(median(m.runs.map((r) => r.latencyMs.p99)), 1), String(socketErrors), String(non2xx)],
  };
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  return [line(header), `|${widths.map((w, i) => (i < 2 ? ` ${'-'.repeat(w)} ` : ` ${'-'.repeat(w - 1)}: `)).join('|')}|`, ...rows.map(line)];
}

const HEADER = ['app', 'config', 'req/s (median)', 'ratio', 'min-max', 'p99 ms', 'socket errors', 'non-2xx'];

/** Sweep results: the best config and how the library's default compares with it. */
export interface SweepVerdict {
  readonly best: string;
  readonly bestRps: number;
  readonly defaultRps: number;
  readonly defaultShare: number;
}

export async function runServedBench(options: ServedOptions): Promise<SweepVerdict> {
  const print = options.print ?? ((l: string) => console.log(l));
  const connections = options.connections ?? 32;
  const rounds = options.quick ? 1 : 3;
  const durationSec = options.quick ? 2 : 5;
  const haveGunicorn = gunicornAvailable();
  const setup = `wrk -t2 -c${connections} -d${durationSec}s on loopback, ${rounds} interleaved round(s), ${os.cpus().length} CPUs, `
    + `${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}`;

  // 1. Library default vs mod_wsgi-express-like vs gunicorn, per app.
  const compare: Target[] = [];
  for (const app of Object.keys(APPS) as AppName[]) {
    compare.push(apacheTarget(app, 'library default (processes left out, threads=5)', {}));
    compare.push(apacheTarget(app, 'mod_wsgi-express-like (processes=1 threads=5)', { processes: 1, threads: 5 }));
    // The default MaxRequestWorkers (10 + max(10, 1.5 x 5) = 20) is below wrk's 32 connections:
    // the event MPM then closes keep-alive connections (wrk counts read errors).
    compare.push(apacheTarget(app, 'library default + maxRequestWorkers=64', {}, { maxRequestWorkers: 64 }));
    if (haveGunicorn) {
      compare.push(gunicornTarget(app, 'gunicorn sync -w2', 'sync', 2));
      compare.push(gunicornTarget(app, 'gunicorn gthread -w2 --threads 5', 'gthread', 2, 5));
    }
  }
  print('');
  print(`## Served throughput: library default vs mod_wsgi-express-like vs gunicorn (${setup})`);
  if (!haveGunicorn) {
    print('gunicorn is not installed (/usr/bin/python3.11 -m gunicorn failed): its rows are left out');
  }
  const compared = await measure(compare, { rounds, durationSec, connections, print });
  const rows: string[][] = [];
  for (const app of Object.keys(APPS) as AppName[]) {
    const mine = compared.filter((m) => m.target.app === app);
    const base = median(mine[0].runs.map((r) => r.requestsPerSec));
    rows.push(...mine.map((m) => row(m, base).cells));
  }
  print('ratio = median req/s / median req/s of the library default for the same app; socket errors are summed over rounds '
    + '(read errors = connections the server closed, e.g. the event MPM dropping keep-alive connections above MaxRequestWorkers)');
  table(HEADER, rows).forEach((l) => print(l));

  // 2. processes x threads sweep on the hello app.
  const sweep: Target[] = [apacheTarget('hello', 'default (p left out, t=5)', {})];
  const ps = options.quick ? [1, 2, 4] : [1, 2, 4];
  const ts = options.quick ? [1, 5, 15] : [1, 5, 15];
  for (const p of ps) {
    for (const t of ts) {
      sweep.push(apacheTarget('hello', `p=${p} t=${t}`, { processes: p, threads: t }));
    }
  }
  print('');
  print(`## processes x threads sweep, hello app (${setup})`);
  const swept = await measure(sweep, { rounds, durationSec, connections, print });
  const medians = swept.map((m) => median(m.runs.map((r) => r.requestsPerSec)));
  const bestIndex = medians.indexOf(Math.max(...medians));
  print(`ratio = median req/s / median req/s of the best config (${swept[bestIndex].target.label})`);
  table(HEADER, swept.map((m) => row(m, medians[bestIndex]).cells)).forEach((l) => print(l));
  const verdict: SweepVerdict = {
    best: swept[bestIndex].target.label,
    bestRps: medians[bestIndex],
    defaultRps: medians[0],
    defaultShare: medians[0] / medians[bestIndex],
  };
  print(`library default reaches ${fmt(100 * verdict.defaultShare)}% of the best (${verdict.best}): `
    + (verdict.defaultShare >= 0.9 ? 'meets the 90% target' : 'BELOW the 90% target'));
  return verdict;
}

/** bench/index.ts entry: true when the library default reaches 90% of the best swept config. */
export async function runServed(quick: boolean): Promise<boolean> {
  return (await runServedBench({ quick })).defaultShare >= 0.9;
}
