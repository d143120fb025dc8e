import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export interface RunOptions {
  /** @default - this process's working directory */
  readonly cwd?: string;
  /** Added to this process's environment. @default {} */
  readonly env?: NodeJS.ProcessEnv;
  /** @default - no limit */
  readonly timeoutMs?: number;
}

/** Runs a command with its output captured: returns stdout, or throws with the command, where it ran and both outputs. */
export function runCommand(cmd: string, args: readonly string[], options: RunOptions = {}): string {
  try {
    return execFileSync(cmd, args, {
      cwd: options.cwd, env: { ...process.env, ...options.env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: options.timeoutMs,
    });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    const where = options.cwd === undefined ? '' : ` (in ${options.cwd})`;
    throw new Error(`${cmd} ${args.join(' ')}${where} failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
  }
}

/** Every file under dir (relative paths, sorted). */
export function listFiles(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}
