import * as path from 'path';
import { runCommand } from '../support/run-command';

// scripts/jsii.js from the tests: the jsii compile, API.md and the Python sources.
export const ROOT = path.join(__dirname, '..', '..');
export const JSII_TIMEOUT_MS = 240_000;

/** Runs scripts/jsii.js; returns its output, or throws with it. */
export function jsiiBuild(args: string[]): string {
  return runCommand('node', [path.join(ROOT, 'scripts', 'jsii.js'), ...args], { cwd: ROOT, timeoutMs: JSII_TIMEOUT_MS });
}
