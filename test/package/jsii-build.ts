import { execFileSync } from 'child_process';
import * as path from 'path';

// scripts/jsii.js from the tests: the jsii compile, API.md and the Python sources.
export const ROOT = path.join(__dirname, '..', '..');
export const JSII_TIMEOUT_MS = 240_000;

/** Runs scripts/jsii.js; returns its output, or throws with it. */
export function jsiiBuild(args: string[]): string {
  try {
    return execFileSync('node', [path.join(ROOT, 'scripts', 'jsii.js'), ...args], {
      cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: JSII_TIMEOUT_MS,
    });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`scripts/jsii.js ${args.join(' ')} failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
  }
}
