import * as fs from 'fs';

/** One process as /proc shows it. */
export interface ProcessInfo {
  readonly pid: number;
  /** R, S, Z... */
  readonly state: string;
  readonly ppid: number;
  readonly pgrp: number;
  /** argv[0], as the process may have rewritten it (mod_wsgi's display-name). */
  readonly argv0: string;
}

/** Every process visible in /proc; ones that end while being read are left out. */
export function processes(): ProcessInfo[] {
  const list: ProcessInfo[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // fields after "(comm)": state ppid pgrp ...
      const [state, ppid, pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const argv0 = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')[0];
      list.push({ pid: Number(entry), state, ppid: Number(ppid), pgrp: Number(pgrp), argv0 });
    } catch {
      // the process ended while we looked
    }
  }
  return list;
}

/** Live (not zombie) processes whose process group is `pgid`. */
export function processGroupMembers(pgid: number): number[] {
  return processes().filter((p) => p.pgrp === pgid && p.state !== 'Z').map((p) => p.pid);
}
