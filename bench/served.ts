import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing, TerraformStack } from 'cdktf';
import { ApacheSite, AppProfile, DaemonGroup, Platform, PROCESSES_PER_CPU, startLocalSite, VirtualEnv, WsgiApp } from '../lib';
import { appCpuMsPerRequest, counterDelta, CPUS, cpuPerRequest, readAppStats, sampleCpu, sampleSystem, sampleTreeIo, sampleTreeSwitches, treeCpuByName, treeCpuPerRequest } from './cpu-profile';
import { PeerApp, peersAvailable, RunningServer, startGunicornPeer, startUwsgiPeer } from './peers';
import { runWrk, WrkResult } from './wrk';

/**
 * Served throughput on this machine's real Apache + mod_wsgi (through
 * startLocalSite) against the peer stacks, with wrk on loopback. For each app
 * every target runs side by side and is measured in alternating rounds (each
 * round visits every target once, in a rotated order), so the ratios to the
 * library default hold on a noisy machine where absolute numbers drift.
 */

export interface ServedOptions {
  /** One short round and a smaller sweep instead of five longer rounds. */
  readonly quick: boolean;
  /** wrk connection counts. @default [32, 128] */
  readonly connections?: readonly number[];
  /** Apps to measure. @default every app */
  readonly apps?: readonly AppName[];
  readonly print?: (line: string) => void;
}

const PYTHON = '/usr/bin/python3.11';
const BENCH_DIR = __dirname;
const DJANGO_REQUIREMENTS = path.join(BENCH_DIR, 'apps', 'django', 'requirements.txt');

export const APPS = {
  hello: { dir: path.join(BENCH_DIR, '..', 'examples', 'apps', 'hello'), requirementsFile: undefined, what: 'hello world (no wait, no framework)' },
  django: { dir: path.join(BENCH_DIR, 'apps', 'django'), requirementsFile: DJANGO_REQUIREMENTS, what: 'Django 5.2 view: one sqlite query + a template' },
  io: { dir: path.join(BENCH_DIR, 'apps', 'io'), requirementsFile: undefined, what: 'waits 20 ms per request (a database call)' },
} as const;
export type AppName = keyof typeof APPS;

export type TargetKind = 'default' | 'library' | 'embedded' | 'peer';

export interface Target {
  readonly label: string;
  readonly kind: TargetKind;
  start(): Promise<RunningServer>;
}

/** Median, the statistic every table uses: robust to one disturbed round. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export interface SiteSizing {
  readonly processes?: number;
  readonly threads?: number;
  readonly profile?: AppProfile;
  /** No daemon group: the app runs inside Apache's own processes, importing packages from this venv. */
  readonly embedded?: { readonly venv: string };
}

/** An Apache target: a one-app site built with the library's constructs, served by startLocalSite. */
export function apacheTarget(app: AppName, label: string, kind: TargetKind, sizing: SiteSizing, appDir: string = APPS[app].dir): Target {
  return {
    label,
    kind,
    start: async () => {
      const stack = new TerraformStack(Testing.app(), 'bench');
      const site = new ApacheSite(stack, 'Site', { platform: Platform.DEBIAN_12, serverName: 'bench.example', restrictEmbedded: !sizing.embedded });
      const daemonGroup = sizing.embedded ? undefined : new DaemonGroup(site, 'App', {
        virtualEnv: new VirtualEnv(stack, 'Env', { requirementsFile: APPS[app].requirementsFile }),
        processes: sizing.processes, threads: sizing.threads, profile: sizing.profile,
      });
      let source = appDir;
      if (sizing.embedded) {
        source = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-embedded-'));
        fs.cpSync(appDir, source, { recursive: true });
        fs.writeFileSync(path.join(source, 'embedded-site-packages.txt'), path.join(sizing.embedded.venv, 'lib', 'python3.11', 'site-packages'));
        fs.chmodSync(source, 0o755);
      }
      new WsgiApp(site, 'Wsgi', { mountPath: '/', source, scriptFile: 'wsgi.py', daemonGroup });
      const run = await startLocalSite(site);
      return { url: run.url, stop: async () => { await run.stop(); if (source !== appDir) { fs.rmSync(source, { recursive: true, force: true }); } } };
    },
  };
}

/** The venv the peers run (gunicorn + Django), built once per requirements file content. */
export function benchVenv(print: (l: string) => void): string {
  const key = crypto.createHash('sha256').update(fs.readFileSync(DJANGO_REQUIREMENTS)).digest('hex').slice(0, 12);
  const dir = path.join(os.tmpdir(), `cdktf-apache-wsgi-bench-venv-${key}`);
  const done = path.join(dir, '.complete');
  if (!fs.existsSync(done)) {
    print(`building the peers' venv ${dir}`);
    fs.rmSync(dir, { recursive: true, force: true });
    execFileSync(PYTHON, ['-m', 'venv', dir], { stdio: 'pipe' });
    execFileSync(path.join(dir, 'bin', 'pip'), ['install', '--quiet', '-r', DJANGO_REQUIREMENTS], { stdio: 'pipe' });
    fs.writeFileSync(done, key);
  }
  return dir;
}

/** Every target for one app: the default, the sweep, the CPU-bound profile, embedded mode and the peers. */
function targetsFor(app: AppName, quick: boolean, peer: PeerApp, available: ReturnType<typeof peersAvailable>): Target[] {
  const cpus = os.availableParallelism();
  const library = (label: string, kind: TargetKind, sizing: SiteSizing) => apacheTarget(app, label, kind, sizing, peer.appDir);
  const targets: Target[] = [library(`library default (${PROCESSES_PER_CPU * cpus} x ${AppProfile.IO_BOUND.threadsPerProcess})`, 'default', {})];
  for (const p of [1, 2, 4]) {
    for (const t of quick ? [5, 32] : [5, 32, 64]) {
      targets.push(library(`library p=${p} t=${t}`, 'library', { processes: p, threads: t }));
    }
  }
  if (!quick) {
    // The default's 128 threads spread over twice the processes: fewer threads per GIL
    targets.push(library(`library p=${4 * cpus} t=16`, 'library', { processes: 4 * cpus, threads: 16 }));
  }
  targets.push(library(`library profile CPU_BOUND (${PROCESSES_PER_CPU * cpus} x ${AppProfile.CPU_BOUND.threadsPerProcess})`, 'library', { profile: AppProfile.CPU_BOUND }));
  targets.push(library('mod_wsgi embedded mode (same Apache)', 'embedded', { embedded: { venv: peer.venv } }));
  const workers = 2 * cpus + 1;
  if (available.nginx && available.gunicorn) {
    targets.push({ label: `nginx + gunicorn sync -w ${workers}`, kind: 'peer', start: () => startGunicornPeer(peer, { workerClass: 'sync', workers }) });
    targets.push({ label: `nginx + gunicorn gthread -w ${workers} --threads 4`, kind: 'peer', start: () => startGunicornPeer(peer, { workerClass: 'gthread', workers, threads: 4 }) });
  }
  if (available.nginx && available.uwsgi) {
    targets.push({ label: `nginx + uWSGI ${cpus} x 4, listen 1024`, kind: 'peer', start: () => startUwsgiPeer(peer, { processes: cpus, threads: 4, listen: 1024 }) });
  }
  return targets;
}

export interface Cell {
  readonly app: AppName;
  readonly label: string;
  readonly kind: TargetKind;
  readonly connections: number;
  readonly runs: readonly WrkResult[];
  /** Per run, CPU ms per request of the target's own processes (apache2 + daemons, nginx + gunicorn/uWSGI). */
  readonly cpuMs: readonly number[];
}

/** Starts every target of an app, warms each up, then runs the rounds: each visits every (target, connections) cell once, rotated. */
export async function measureApp(app: AppName, targets: Target[],
  opts: { rounds: number; durationSec: number; connections: readonly number[]; print: (l: string) => void }): Promise<Cell[]> {
  const servers: RunningServer[] = [];
  try {
    for (const t of targets) {
      servers.push(await t.start());
    }
    const cells = targets.flatMap((_, i) => opts.connections.map((c) => ({ i, c })));
    const wrk = (i: number, c: number, durationSec: number) => runWrk(`${servers[i].url}/`, { threads: 2, connections: c, durationSec });
    for (let i = 0; i < targets.length; i++) {
      await wrk(i, Math.max(...opts.connections), 1); // warm-up: imports, lazy processes, keep-alive pools
    }
    const runs: WrkResult[][] = cells.map(() => []);
    const cpuMs: number[][] = cells.map(() => []);
    for (let r = 0; r < opts.rounds; r++) {
      for (let k = 0; k < cells.length; k++) {
        const j = (k + r * Math.ceil(cells.length / opts.rounds)) % cells.length;
        const before = sampleCpu();
        const result = await wrk(cells[j].i, cells[j].c, opts.durationSec);
        cpuMs[j].push(treeCpuPerRequest(before, sampleCpu(), result.requests, process.pid));
        runs[j].push(result);
      }
      opts.print(`  ${app}: round ${r + 1}/${opts.rounds} done`);
    }
    return cells.map(({ i, c }, j) => ({ app, label: targets[i].label, kind: targets[i].kind, connections: c, runs: runs[j], cpuMs: cpuMs[j] }));
  } finally {
    for (const s of servers) {
      await s.stop();
    }
  }
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export const rps = (cell: Cell) => median(cell.runs.map((r) => r.requestsPerSec));
export const errors = (cell: Cell) => cell.runs.reduce((s, r) => s + r.socketErrors + r.non2xx, 0);

/**
 * One Markdown table per app: a row per target, per connection count req/s, ratio to the default, p50, p99,
 * errors and CPU ms per request (the target's processes only: what a dedicated machine would pay per request).
 */
export function appTable(cells: readonly Cell[], connections: readonly number[]): string[] {
  const labels = [...new Set(cells.map((c) => c.label))];
  const header = ['config', ...connections.flatMap((c) => [`c${c} req/s`, 'ratio', 'p50 ms', 'p99 ms', 'errors', 'CPU ms/req'])];
  const rows = labels.map((label) => [label, ...connections.flatMap((c) => {
    const cell = cells.find((x) => x.label === label && x.connections === c)!;
    const base = cells.find((x) => x.kind === 'default' && x.connections === c)!;
    return [fmt(rps(cell)), fmt(rps(cell) / rps(base), 2), fmt(median(cell.runs.map((r) => r.latencyMs.p50)), 1),
      fmt(median(cell.runs.map((r) => r.latencyMs.p99)), 1), String(errors(cell)), fmt(median(cell.cpuMs), 2)];
  })]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells_: string[]) => `| ${cells_.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  return [line(header), `|${widths.map((w, i) => (i === 0 ? ` ${'-'.repeat(w)} ` : ` ${'-'.repeat(w - 1)}: `)).join('|')}|`, ...rows.map(line)];
}

export interface Verdict {
  readonly app: AppName;
  readonly connections: number;
  /** Default req/s over the best library config's (the default itself included). */
  readonly vsBestLibrary: number;
  readonly bestLibrary: string;
  /** Default req/s over the best peer's; undefined when no peer ran. */
  readonly vsBestPeer?: number;
  readonly bestPeer?: string;
  readonly defaultErrors: number;
  /** Errors summed over every cell of this app and connection count. */
  readonly allErrors: number;
  /** Median CPU ms per request: the default's, and the least any library config / peer spent (not part of the target). */
  readonly cpu: { readonly default: number; readonly cheapestLibrary: number; readonly cheapestLibraryLabel: string; readonly cheapestPeer?: number; readonly cheapestPeerLabel?: string };
}

export const cpuMs = (cell: Cell) => median(cell.cpuMs);

/** How the default compares with the best library config and the best peer, per app and connection count. */
export function verdicts(cells: readonly Cell[]): Verdict[] {
  const out: Verdict[] = [];
  const keys = [...new Set(cells.map((c) => `${c.app} ${c.connections}`))];
  for (const key of keys) {
    const group = cells.filter((c) => `${c.app} ${c.connections}` === key);
    const def = group.find((c) => c.kind === 'default')!;
    const best = (kinds: TargetKind[]) => group.filter((c) => kinds.includes(c.kind)).sort((a, b) => rps(b) - rps(a))[0];
    const lib = best(['default', 'library']);
    const peer = best(['peer']);
    const cheapest = (kinds: TargetKind[]) => group.filter((c) => kinds.includes(c.kind)).sort((a, b) => cpuMs(a) - cpuMs(b))[0];
    const cheapLib = cheapest(['default', 'library']);
    const cheapPeer = cheapest(['peer']);
    out.push({
      app: def.app, connections: def.connections, vsBestLibrary: rps(def) / rps(lib), bestLibrary: lib.label,
      vsBestPeer: peer ? rps(def) / rps(peer) : undefined, bestPeer: peer?.label, defaultErrors: errors(def),
      allErrors: group.reduce((s, c) => s + errors(c), 0),
      cpu: {
        default: cpuMs(def), cheapestLibrary: cpuMs(cheapLib), cheapestLibraryLabel: cheapLib.label,
        cheapestPeer: cheapPeer ? cpuMs(cheapPeer) : undefined, cheapestPeerLabel: cheapPeer?.label,
      },
    });
  }
  return out;
}

/**
 * The targets: the default >= 0.9x the best library config, >= 1.0x the best peer
 * (on hello the README explains the daemon hop instead), with 0 errors.
 */
export function targetMet(v: Verdict): boolean {
  const peerOk = v.app === 'hello' || v.vsBestPeer === undefined || v.vsBestPeer >= 1.0;
  return v.vsBestLibrary >= 0.9 && peerOk && v.defaultErrors === 0;
}

export async function runServedBench(options: ServedOptions): Promise<Verdict[]> {
  const print = options.print ?? ((l: string) => console.log(l));
  const connections = options.connections ?? [32, 128];
  const rounds = options.quick ? 1 : 5;
  const durationSec = options.quick ? 2 : 3;
  const venv = benchVenv(print);
  const available = peersAvailable(venv);
  const missing = Object.entries(available).filter(([, ok]) => !ok).map(([name]) => name);
  print('');
  print(`## Served throughput (wrk -t2 -c${connections.join('/-c')} -d${durationSec}s on loopback, ${rounds} alternating round(s); `
    + `${os.availableParallelism()} CPUs, ${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}; Node ${process.version})`);
  if (missing.length > 0) {
    print(`not installed here, rows left out: ${missing.join(', ')}`);
  }
  print('ratio = median req/s / median req/s of the library default for the same app and connections, measured in the same rounds; '
    + 'errors = wrk socket errors (connect/read/write/timeout) + non-2xx responses, summed over rounds; '
    + 'CPU ms/req = median CPU (user + system) of the target\'s processes per request');
  print(`load average before: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const all: Cell[] = [];
  for (const app of options.apps ?? (Object.keys(APPS) as AppName[])) {
    const peer: PeerApp = { appDir: APPS[app].dir, venv };
    const cells = await measureApp(app, targetsFor(app, options.quick, peer, available), { rounds, durationSec, connections, print });
    print('');
    print(`### ${app}: ${APPS[app].what}`);
    appTable(cells, connections).forEach((l) => print(l));
    all.push(...cells);
  }
  print('');
  print(`load average after: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const result = verdicts(all);
  for (const v of result) {
    print(`${v.app} c${v.connections}: default = ${fmt(v.vsBestLibrary, 2)}x the best library config (${v.bestLibrary})`
      + (v.vsBestPeer !== undefined ? `, ${fmt(v.vsBestPeer, 2)}x the best peer (${v.bestPeer})` : '')
      + `, default errors ${v.defaultErrors} (all configs: ${v.allErrors}): ${targetMet(v) ? 'target met' : 'TARGET MISSED'}`
      + `; CPU ms/req: default ${fmt(v.cpu.default, 2)}, cheapest library config ${fmt(v.cpu.cheapestLibrary, 2)} (${v.cpu.cheapestLibraryLabel})`
      + (v.cpu.cheapestPeer !== undefined ? `, cheapest peer ${fmt(v.cpu.cheapestPeer, 2)} (${v.cpu.cheapestPeerLabel})` : ''));
  }
  return result;
}

/** bench/index.ts entry: true when every app and connection count meets its target. */
export async function runServed(quick: boolean, apps?: readonly AppName[]): Promise<boolean> {
  return (await runServedBench({ quick, apps })).every(targetMet);
}

/**
 * A copy of an app whose callable is wrapped by bench/apps/app_stats.py, writing
 * per-process totals to `statsDir` (world-writable: the daemons run as their own user).
 */
export function withAppStats(appDir: string): { readonly appDir: string; readonly statsDir: string; remove(): void } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-app-stats-'));
  const copy = path.join(root, 'app');
  const statsDir = path.join(root, 'stats');
  fs.cpSync(appDir, copy, { recursive: true });
  fs.copyFileSync(path.join(BENCH_DIR, 'apps', 'app_stats.py'), path.join(copy, 'app_stats.py'));
  // A JSON string of a mkdtemp path is a valid Python string literal.
  fs.appendFileSync(path.join(copy, 'wsgi.py'), `\n# Added by the bench's profile (bench/apps/app_stats.py).\nimport app_stats  # noqa: E402\napplication = app_stats.wrap(application, ${JSON.stringify(statsDir)})\n`);
  fs.mkdirSync(statsDir);
  fs.chmodSync(root, 0o755);
  fs.chmodSync(statsDir, 0o1777);
  execFileSync('chmod', ['-R', 'a+rX', copy]);
  return { appDir: copy, statsDir, remove: () => fs.rmSync(root, { recursive: true, force: true }) };
}

/**
 * Where a Django request's CPU time goes, on the library default, the CPU_BOUND
 * profile, embedded mode and the peers, at each connection count: CPU ms per
 * request of the target's own processes by name; of that, the app's own code
 * (thread CPU inside the WSGI callable, from app_stats.py) and the server's
 * (the rest: the front end, the hop to the worker, building environ, thread
 * handoffs); context switches per request; how many CPUs the machine kept busy,
 * its iowait and disk traffic (a target waiting on the disk shows there), and
 * what the other jobs on the machine took.
 */
export async function runDjangoProfile(quick: boolean, print: (l: string) => void = (l) => console.log(l), connections: readonly number[] = [32, 128]): Promise<void> {
  const venv = benchVenv(print);
  const available = peersAvailable(venv);
  const stats = withAppStats(APPS.django.dir);
  const peer: PeerApp = { appDir: stats.appDir, venv };
  const targets = targetsFor('django', true, peer, available)
    .filter((t) => t.kind !== 'library' || t.label.includes('CPU_BOUND'));
  const durationSec = quick ? 3 : 5;
  print('');
  print(`## Where the CPU goes: django, wrk -t2 -c${connections.join('/-c')} -d${durationSec}s (load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')})`);
  print('CPU ms per request of the target\'s processes (user + system, /proc/<pid>/stat); of which the app (thread CPU inside the WSGI callable, '
    + 'bench/apps/app_stats.py) and the server (the rest); context switches of the target\'s threads per request; machine: CPUs busy, iowait, disk traffic, '
    + 'CPU the other jobs took');
  try {
    for (const t of targets) {
      const server = await t.start();
      try {
        await runWrk(`${server.url}/`, { threads: 2, connections: Math.max(...connections), durationSec: 1 });
        for (const c of connections) {
          const [before, sysBefore, appBefore] = [sampleCpu(), sampleSystem(), readAppStats(stats.statsDir)];
          const [ioBefore, switchesBefore] = [sampleTreeIo(process.pid, before), sampleTreeSwitches(process.pid, before)];
          const r = await runWrk(`${server.url}/`, { threads: 2, connections: c, durationSec });
          const [after, sysAfter] = [sampleCpu(), sampleSystem()];
          const [ioAfter, switchesAfter] = [sampleTreeIo(process.pid, after), sampleTreeSwitches(process.pid, after)];
          await new Promise((resolve) => setTimeout(resolve, 300)); // the last snapshot of each process (written every 0.2 s)
          const appMs = appCpuMsPerRequest(appBefore, readAppStats(stats.statsDir));
          const ownDiskBytes = counterDelta(ioBefore, ioAfter);
          const own = [...treeCpuByName(before, after, r.requests, process.pid)].filter(([, ms]) => ms >= 0.005);
          const ownTotal = own.reduce((s, [, ms]) => s + ms, 0);
          const all = [...cpuPerRequest(before, after, r.requests)].reduce((s, [, ms]) => s + ms, 0);
          const cpuTicks = sysAfter.total - sysBefore.total;
          print(`- ${t.label}, c${c}: ${fmt(r.requestsPerSec)} req/s; ${fmt(ownTotal, 2)} CPU ms/request: ${own.map(([name, ms]) => `${name} ${fmt(ms, 2)}`).join(', ')}; `
            + (appMs !== undefined ? `app ${fmt(appMs, 2)}, server ${fmt(ownTotal - appMs, 2)}; ` : 'app not measured; ')
            + `${fmt(counterDelta(switchesBefore, switchesAfter) / r.requests, 1)} context switches/request; target's disk I/O ${fmt(ownDiskBytes / 1024)} KB; `
            + `machine: ${fmt((CPUS * (sysAfter.busy - sysBefore.busy)) / cpuTicks, 2)} of ${CPUS} CPUs busy, iowait ${fmt((100 * (sysAfter.iowait - sysBefore.iowait)) / cpuTicks, 1)}%, `
            + `disk ${fmt(((sysAfter.sectorsRead - sysBefore.sectorsRead) * 512) / 1024)} KB read / ${fmt(((sysAfter.sectorsWritten - sysBefore.sectorsWritten) * 512) / 1024)} KB written, `
            + `other jobs ${fmt((Math.max(0, all - ownTotal) * r.requestsPerSec) / 10, 0)}% of one CPU`);
        }
      } finally {
        await server.stop();
      }
    }
  } finally {
    stats.remove();
  }
}
