import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';

/** Copies an app's source for a local run; an unreadable file is named with the user that cannot read it. */
export function copyAppSource(constructPath: string, source: string, copy: string): void {
  try {
    fs.cpSync(source, copy, { recursive: true });
  } catch (e: any) {
    if (e.code === 'EACCES' || e.code === 'EPERM') {
      const me = os.userInfo();
      throw new Error(`${constructPath}: source ${e.path ?? source} is not readable by user ${me.username} (uid ${me.uid}), who runs the local Apache: `
        + 'make it readable (chmod a+rX, also on the parent directories) or run as a user who can read it');
    }
    throw e;
  }
}

export interface ReadableCheck {
  readonly path: string;
  /** What the path is, e.g. "Stack/Site/App code". */
  readonly what: string;
  /** Maps a path found in `path` to the one to print. @default identity */
  readonly display?: (p: string) => string;
}

/**
 * Fails, naming the first unreadable path and the user, when `user` cannot
 * read every file (following symbolic links) and enter every directory under
 * each path: Apache's children and mod_wsgi daemons run as that user.
 */
export function checkReadableBy(user: string, checks: readonly ReadableCheck[]): void {
  for (const check of checks) {
    let out: string;
    try {
      out = execFileSync('setpriv', [`--reuid=${user}`, `--regid=${user}`, '--clear-groups',
        'find', '-L', check.path, '(', '!', '-readable', '-o', '-type', 'd', '!', '-executable', ')', '-print', '-quit'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e: any) {
      // find exits non-zero when it cannot read a directory or follow a link; it names the path on stderr
      out = `${e.stdout ?? ''}${e.stderr ?? ''}`;
      if (e.code === 'ENOENT') {
        throw new Error('setpriv (util-linux) is needed to check that Apache\'s user can read the app code');
      }
    }
    const first = out.split('\n').find((l) => l.trim() !== '');
    if (first) {
      const display = check.display ?? ((p: string) => p);
      throw new Error(`${check.what}: ${display(first.replace(/^find: /, '').trim())} is not readable by user ${user}, `
        + `which runs Apache's children and the mod_wsgi daemons here: make it readable by ${user} (e.g. chmod a+rX, no symbolic links into private directories)`);
    }
  }
}
