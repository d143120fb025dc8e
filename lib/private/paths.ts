import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { IConstruct } from 'constructs';
import { checkLiteral, checkType, propError } from './validate';

/** An absolute path that exists on the synth machine. */
export function checkExistingPath(scope: IConstruct, prop: string, value: string, kind: 'file' | 'directory' | 'any'): string {
  checkType(scope, prop, value, 'string', 'an absolute path');
  checkLiteral(scope, prop, value);
  if (!path.isAbsolute(value)) {
    throw propError(scope, prop, value, 'an absolute path (build it with path.join(__dirname, ...))');
  }
  let stat: fs.Stats;
  try {
    stat = fs.statSync(value);
  } catch (e: any) {
    throw propError(scope, prop, value, e.code === 'EACCES'
      ? `a path that ${currentUser()} can reach; a parent directory denies access`
      : `an existing ${kind === 'any' ? 'file or directory' : kind}`);
  }
  if ((kind === 'file' && !stat.isFile()) || (kind === 'directory' && !stat.isDirectory())) {
    throw propError(scope, prop, value, `an existing ${kind}`);
  }
  try {
    fs.accessSync(value, stat.isDirectory() ? fs.constants.R_OK | fs.constants.X_OK : fs.constants.R_OK);
  } catch {
    throw propError(scope, prop, value, `a ${stat.isDirectory() ? 'directory' : 'file'} readable by ${currentUser()}, who runs this program; it is not`);
  }
  return value;
}

function currentUser(): string {
  const me = os.userInfo();
  return `user ${me.username} (uid ${me.uid})`;
}

/** True when `p` is `base` or a path below it, segment-wise. */
export function isAtOrUnder(p: string, base: string): boolean {
  return base === '/' || p === base || p.startsWith(base.endsWith('/') ? base : `${base}/`);
}
