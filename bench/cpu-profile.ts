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

/** treeCpuPerRequest by process name, largest first. */
export function treeCpuByName(before: CpuSample, after: CpuSample, requests: number, root: number, exclude: readonly string[] = ['wrk'], hz = 100): Map<string, number> {
  const inTree = (pid: number) => {
    for (let p = pid, hops = 0; p > 1 && hops < 64; hops++) {
      const proc = after.get(p) ?? before.get(p);
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
  const ticks = new Map<string, number>();
  for (const [pid, a] of after) {
    if (exclude.includes(a.name) || !inTree(pid)) {
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
  for (const pid of procs.keys()) {
    let p = pid;
    for (let hops = 0; p > 1 && hops < 64 && procs.get(p)?.ppid !== root; hops++) {
      p = procs.get(p)?.ppid ?? 0;
    }
    if (procs.get(p)?.ppid !== root) {
      continue;
    }
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
