import * as fs from 'fs';
import * as os from 'os';

/**
 * Where the CPU time of a served request goes: CPU seconds (user + system, from
 * /proc/<pid>/stat) that each kind of process on the machine spent during a load
 * run, divided by the requests served. Groups processes by name, e.g. the Apache
 * workers (apache2), the mod_wsgi daemons (display-name %{GROUP} -> "(wsgi:app)"),
 * nginx, uWSGI, gunicorn (python), the load generator (wrk).
 */

export type CpuSample = ReadonlyMap<number, { readonly name: string; readonly ticks: number }>;

/** Parses /proc/<pid>/stat: the name between the parentheses, utime and stime (fields 14 and 15). */
export function parseProcStat(text: string): { name: string; ticks: number } {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) {
    throw new Error(`not a /proc/<pid>/stat line: ${JSON.stringify(text.slice(0, 80))}`);
  }
  const fields = text.slice(close + 2).trim().split(/\s+/);
  // fields[0] is field 3 (state): utime is field 14, stime field 15.
  return { name: text.slice(open + 1, close), ticks: Number(fields[11]) + Number(fields[12]) };
}

/** Every process's name and CPU ticks now. */
export function sampleCpu(): CpuSample {
  const out = new Map<number, { name: string; ticks: number }>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      out.set(Number(entry), parseProcStat(fs.readFileSync(`/proc/${entry}/stat`, 'utf8')));
    } catch {
      // exited between readdir and read
    }
  }
  return out;
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

export const CPUS = os.availableParallelism();
