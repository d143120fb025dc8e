import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing, TerraformStack } from 'cdktf';
import { ApacheSite, AppProfile, DaemonGroup, Platform, PROCESSES_PER_CPU, startLocalSite, VirtualEnv, WsgiApp } from '../lib';
import { cpuPerRequest, sampleCpu, sampleSystem, sampleTreeIo, treeCpuByName, treeCpuPerRequest } from './cpu-profile';
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
export function apacheTarget(app: AppName, label: string, kind: TargetKind, sizing: SiteSizing): Target {
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
      let source: string = APPS[app].dir;
      if (sizing.embedded) {
        source = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-embedded-'));
        fs.cpSync(APPS[app].dir, source, { recursive: true });
        fs.writeFileSync(path.join(source, 'embedded-site-packages.txt'), path.join(sizing.embedded.venv, 'lib', 'python3.11', 'site-packages'));
        fs.chmodSync(source, 0o755);
      }
      new WsgiApp(site, 'Wsgi', { mountPath: '/', source, scriptFile: 'wsgi.py', daemonGroup });
      const run = await startLocalSite(site);
      return { url: run.url, stop: async () => { await run.stop(); if (source !== APPS[app].dir) { fs.rmSync(source, { recursive: true, force: true }); } } };
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
  const targets: Target[] = [apacheTarget(app, `library default (${PROCESSES_PER_CPU * cpus} x ${AppProfile.IO_BOUND.threadsPerProcess})`, 'default', {})];
  for (const p of quick ? [1, 2, 4] : [1, 2, 4]) {
    for (const t of quick ? [5, 32] : [5, 32, 64]) {
      targets.push(apacheTarget(app, `library p=${p} t=${t}`, 'library', { processes: p, threads: t }));
    }
  }
  if (!quick) {
    // The default's 128 threads spread over twice the processes: fewer threads per GIL
    targets.push(apacheTarget(app, `library p=${4 * cpus} t=16`, 'library', { processes: 4 * cpus, threads: 16 }));
  }
  targets.push(apacheTarget(app, `library profile CPU_BOUND (${PROCESSES_PER_CPU * cpus} x ${AppProfile.CPU_BOUND.threadsPerProcess})`, 'library', { profile: AppProfile.CPU_BOUND }));
  targets.push(apacheTarget(app, 'mod_wsgi embedded mode (same Apache)', 'embedded', { embedded: { venv: peer.venv } }));
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
 * Where a Django request's CPU time goes, on the library default, the CPU_BOUND
 * profile, embedded mode and the peers: CPU ms per request of the target's own
 * processes by name during one wrk run of each at 128 clients, the machine's
 * iowait and disk traffic meanwhile (a target waiting on the disk shows there),
 * and what the other jobs on the machine took.
 */
export async function runDjangoProfile(quick: boolean, print: (l: string) => void = (l) => console.log(l)): Promise<void> {
  const venv = benchVenv(print);
  const available = peersAvailable(venv);
  const peer: PeerApp = { appDir: APPS.django.dir, venv };
  const targets = targetsFor('django', true, peer, available)
    .filter((t) => t.kind !== 'library' || t.label.includes('CPU_BOUND'));
  const durationSec = quick ? 3 : 5;
  print('');
  print(`## Where the CPU goes: django, wrk -t2 -c128 -d${durationSec}s; CPU ms per request of the target's processes (user + system, /proc/<pid>/stat), `
    + `machine iowait and disk traffic during the run, CPU the other jobs on the machine took (load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')})`);
  for (const t of targets) {
    const server = await t.start();
    try {
      await runWrk(`${server.url}/`, { threads: 2, connections: 128, durationSec: 1 });
      const [before, sysBefore] = [sampleCpu(), sampleSystem()];
      const ioBefore = sampleTreeIo(process.pid, before);
      const r = await runWrk(`${server.url}/`, { threads: 2, connections: 128, durationSec });
      const [after, sysAfter] = [sampleCpu(), sampleSystem()];
      const ioAfter = sampleTreeIo(process.pid, after);
      const ownDiskBytes = [...ioAfter].reduce((s, [pid, bytes]) => s + bytes - (ioBefore.get(pid) ?? 0), 0);
      const own = [...treeCpuByName(before, after, r.requests, process.pid)].filter(([, ms]) => ms >= 0.005);
      const ownTotal = own.reduce((s, [, ms]) => s + ms, 0);
      const all = [...cpuPerRequest(before, after, r.requests)].reduce((s, [, ms]) => s + ms, 0);
      const cpuTicks = sysAfter.total - sysBefore.total;
      print(`- ${t.label}: ${fmt(r.requestsPerSec)} req/s; ${fmt(ownTotal, 2)} CPU ms/request: ${own.map(([name, ms]) => `${name} ${fmt(ms, 2)}`).join(', ')}; `
        + `target's disk I/O ${fmt(ownDiskBytes / 1024)} KB; machine: iowait ${fmt((100 * (sysAfter.iowait - sysBefore.iowait)) / cpuTicks, 1)}% of CPU time, disk ${fmt(((sysAfter.sectorsRead - sysBefore.sectorsRead) * 512) / 1024)} KB read / `
        + `${fmt(((sysAfter.sectorsWritten - sysBefore.sectorsWritten) * 512) / 1024)} KB written, `
        + `other jobs ${fmt((Math.max(0, all - ownTotal) * r.requestsPerSec) / 10, 0)}% of one CPU`);
    } finally {
      await server.stop();
    }
  }
}
