import * as fs from 'fs';
import * as os from 'os';

/**
 * Where the CPU time of a served request goes: CPU seconds (user + system, from
 * /proc/<pid>/stat) that each kind of process on the machine spent during a load
 * run, divided by the requests served. Groups processes by name, e.g. the Apache
 * workers (apache2), the mod_wsgi daemons (display-name %{GROUP} -> "(wsgi:app)"),
 * nginx, uWSGI, gunicorn (python), the load generator (wrk).
 */

export interface ProcCpu {
  readonly name: string;
  /** Parent pid (field 4): the process tree tells a target's processes from other jobs' with the same name. */
  readonly ppid: number;
  readonly ticks: number;
}

export type CpuSample = ReadonlyMap<number, ProcCpu>;

/** Parses /proc/<pid>/stat: the name between the parentheses, the parent pid, utime and stime (fields 4, 14 and 15). */
export function parseProcStat(text: string): ProcCpu {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) {
    throw new Error(`not a /proc/<pid>/stat line: ${JSON.stringify(text.slice(0, 80))}`);
  }
  const fields = text.slice(close + 2).trim().split(/\s+/);
  // fields[0] is field 3 (state): ppid is field 4, utime field 14, stime field 15.
  return { name: text.slice(open + 1, close), ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
}

/** Every process's name and CPU ticks now. */
export function sampleCpu(): CpuSample {
  const out = new Map<number, ProcCpu>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      const proc = parseProcStat(fs.readFileSync(`/proc/${entry}/stat`, 'utf8'));
      out.set(Number(entry), proc.name === 'apache2' ? { ...proc, name: apacheRole(fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8')) } : proc);
    } catch {
      // exited between readdir and read
    }
  }
  return out;
}

/** An apache2 process by what it does: a mod_wsgi daemon shows its display-name ("(wsgi:app)") as argv[0]. */
export function apacheRole(cmdline: string): string {
  const argv0 = cmdline.split('\0')[0];
  return argv0.startsWith('(wsgi:') ? `mod_wsgi daemon ${argv0.trim()}` : 'apache2';
}

/** CPU milliseconds per request by process name between two samples (processes started in between count from 0). */
export function cpuPerRequest(before: CpuSample, after: CpuSample, requests: number, hz = 100): Map<string, number> {
  const byName = new Map<string, number>();
  for (const [pid, a] of after) {
    const b = before.get(pid);
    const ticks = a.ticks - (b && b.name === a.name ? b.ticks : 0);
    if (ticks > 0) {
      byName.set(a.name, (byName.get(a.name) ?? 0) + ticks);
    }
  }
  const perRequest = [...byName].map(([name, ticks]): [string, number] => [name, (ticks * 1000) / hz / requests]);
  return new Map(perRequest.sort((x, y) => y[1] - x[1]));
}

/**
 * CPU milliseconds per request spent by the descendants of `root` (this process:
 * every target's servers are its children), leaving out the processes named in
 * `exclude` (the load generator). Robust to other jobs on a shared machine, which
 * change how much CPU a target gets but not how much it spends per request.
 */
export function treeCpuPerRequest(before: CpuSample, after: CpuSample, requests: number, root: number, exclude: readonly string[] = ['wrk'], hz = 100): number {
  return [...treeCpuByName(before, after, requests, root, exclude, hz).values()].reduce((a, b) => a + b, 0);
}

/** The pids descending from `root` (every target's servers are this process's children), leaving out the names in `exclude`. */
export function treePids(root: number, procs: CpuSample, exclude: readonly string[] = []): number[] {
  const inTree = (pid: number) => {
    for (let p = pid, hops = 0; p > 1 && hops < 64; hops++) {
      const proc = procs.get(p);
      if (!proc) {
        return false;
      }
      if (proc.ppid === root) {
        return true;
      }
      p = proc.ppid;
    }
    return false;
  };
  return [...procs].filter(([pid, proc]) => !exclude.includes(proc.name) && inTree(pid)).map(([pid]) => pid);
}

/** treeCpuPerRequest by process name, largest first. */
export function treeCpuByName(before: CpuSample, after: CpuSample, requests: number, root: number, exclude: readonly string[] = ['wrk'], hz = 100): Map<string, number> {
  const ticks = new Map<string, number>();
  for (const pid of treePids(root, new Map([...before, ...after]), exclude)) {
    const a = after.get(pid);
    if (!a) {
      continue;
    }
    const b = before.get(pid);
    ticks.set(a.name, (ticks.get(a.name) ?? 0) + a.ticks - (b && b.name === a.name ? b.ticks : 0));
  }
  return new Map([...ticks].map(([name, t]): [string, number] => [name, (t * 1000) / hz / requests]).sort((x, y) => y[1] - x[1]));
}

/** Storage bytes (read_bytes + write_bytes of /proc/<pid>/io: what reached the block layer) by pid, for the descendants of root. */
export function sampleTreeIo(root: number, procs: CpuSample = sampleCpu()): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of treePids(root, procs)) {
    try {
      const io = fs.readFileSync(`/proc/${pid}/io`, 'utf8');
      const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(io)?.[1] ?? 0);
      out.set(pid, field('read_bytes') + field('write_bytes'));
    } catch {
      // exited, or not ours to read
    }
  }
  return out;
}

/**
 * Context switches (voluntary + involuntary) of every thread of every process
 * descending from root, wrk left out, by thread id: a thread that gives up the
 * GIL or waits on a socket shows here.
 */
export function sampleTreeSwitches(root: number, procs: CpuSample = sampleCpu()): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of treePids(root, procs, ['wrk'])) {
    let tids: string[];
    try {
      tids = fs.readdirSync(`/proc/${pid}/task`);
    } catch {
      continue; // exited
    }
    for (const tid of tids) {
      try {
        out.set(Number(tid), parseContextSwitches(fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8')));
      } catch {
        // exited between readdir and read
      }
    }
  }
  return out;
}

/** voluntary_ctxt_switches + nonvoluntary_ctxt_switches of a /proc/<pid>/status text. */
export function parseContextSwitches(status: string): number {
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)$`, 'm').exec(status)?.[1] ?? 0);
  return field('voluntary_ctxt_switches') + field('nonvoluntary_ctxt_switches');
}

/**
 * How much counters keyed by id (a thread's context switches, a process's storage
 * bytes) grew between two samples, summed; an id new in `after` counts from 0.
 */
export function counterDelta(before: ReadonlyMap<number, number>, after: ReadonlyMap<number, number>): number {
  return [...after].reduce((sum, [tid, n]) => sum + n - (before.get(tid) ?? 0), 0);
}

/** One process's running totals from bench/apps/app_stats.py: requests served and CPU seconds inside the app. */
export interface AppStats {
  readonly requests: number;
  readonly cpuSec: number;
}

/** The files app_stats.py writes, by pid ("<requests> <cpu seconds>"). */
export function readAppStats(dir: string): Map<number, AppStats> {
  const out = new Map<number, AppStats>();
  for (const name of fs.readdirSync(dir).filter((n) => /^\d+$/.test(n))) {
    out.set(Number(name), parseAppStats(fs.readFileSync(`${dir}/${name}`, 'utf8')));
  }
  return out;
}

export function parseAppStats(text: string): AppStats {
  const m = /^(\d+) (\d+(?:\.\d+)?)$/.exec(text.trim());
  if (!m) {
    throw new Error(`not an app_stats line: ${JSON.stringify(text.slice(0, 80))}`);
  }
  return { requests: Number(m[1]), cpuSec: Number(m[2]) };
}

/** The app's own CPU milliseconds per request between two readings, over every process; undefined when none served. */
export function appCpuMsPerRequest(before: ReadonlyMap<number, AppStats>, after: ReadonlyMap<number, AppStats>): number | undefined {
  let requests = 0;
  let cpuSec = 0;
  for (const [pid, a] of after) {
    const b = before.get(pid) ?? { requests: 0, cpuSec: 0 };
    requests += a.requests - b.requests;
    cpuSec += a.cpuSec - b.cpuSec;
  }
  return requests > 0 ? (cpuSec * 1000) / requests : undefined;
}

/** Machine-wide counters: CPU time by state (/proc/stat) and disk sectors read and written (/proc/diskstats, whole disks). */
export interface SystemSample {
  readonly busy: number;
  readonly iowait: number;
  readonly total: number;
  readonly sectorsRead: number;
  readonly sectorsWritten: number;
}

export function sampleSystem(): SystemSample {
  // cpu user nice system idle iowait irq softirq steal ...
  const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  let sectorsRead = 0;
  let sectorsWritten = 0;
  for (const line of fs.readFileSync('/proc/diskstats', 'utf8').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (/^(sd[a-z]+|vd[a-z]+|xvd[a-z]+|nvme\d+n\d+)$/.test(f[2] ?? '')) {
      sectorsRead += Number(f[5]);
      sectorsWritten += Number(f[9]);
    }
  }
  const total = cpu.reduce((a, b) => a + b, 0);
  return { busy: total - cpu[3] - cpu[4], iowait: cpu[4], total, sectorsRead, sectorsWritten };
}

export const CPUS = os.availableParallelism();
