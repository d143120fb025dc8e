import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { venvBuildCommands } from '../provision/recipe';
import type { VirtualEnv } from '../virtual-env';

/**
 * Builds a venv on this machine with the given interpreter, cached by a hash of
 * everything that goes into it, and checks its Python X.Y before use.
 */
export function buildLocalVenv(venv: VirtualEnv, pythonBinary: string, pythonVersion: string, cacheDir: string, log: (line: string) => void = () => {}): string {
  const key = venvKey(venv, pythonVersion);
  const dir = path.join(cacheDir, `${venv.venvName}-${key}`);
  const done = path.join(dir, '.cdktf-apache-wsgi-complete');
  if (!fs.existsSync(done)) {
    fs.mkdirSync(cacheDir, { recursive: true, mode: 0o755 });
    // Parallel runs (jest workers) may want the same venv: one builds, the others wait.
    withLock(`${dir}.lock`, () => {
      if (!fs.existsSync(done)) {
        log(`building venv ${venv.venvName} with ${pythonBinary}`);
        fs.rmSync(dir, { recursive: true, force: true });
        const commands = venvBuildCommands({
          python: pythonBinary, dir, systemSitePackages: venv.systemSitePackages, withPip: venv.needsPip,
          requirementsFile: venv.requirementsFile, requirements: venv.requirements, localPackages: venv.localPackages, requireHashes: venv.requireHashes,
        });
        for (const [cmd, ...args] of commands) {
          run(cmd, args);
        }
        fs.writeFileSync(done, key);
      }
    });
  }
  const built = venvPythonVersion(dir);
  if (built !== pythonVersion) {
    throw new Error(`${venv.node.path}: venv ${dir} was built with Python ${built} but mod_wsgi links Python ${pythonVersion}; it would fail at request time`);
  }
  return dir;
}

/** Python X.Y recorded in a venv's pyvenv.cfg. */
export function venvPythonVersion(venvDir: string): string {
  const cfg = fs.readFileSync(path.join(venvDir, 'pyvenv.cfg'), 'utf8');
  const match = /^version(?:_info)?\s*=\s*(\d+\.\d+)/m.exec(cfg);
  if (!match) {
    throw new Error(`${venvDir}/pyvenv.cfg has no version line`);
  }
  return match[1];
}

function venvKey(venv: VirtualEnv, pythonVersion: string): string {
  const hash = crypto.createHash('sha256');
  hash.update(JSON.stringify({ pythonVersion, system: venv.systemSitePackages, requirements: venv.requirements, hashes: venv.requireHashes }));
  if (venv.requirementsFile) {
    hash.update(fs.readFileSync(venv.requirementsFile));
  }
  for (const p of venv.localPackages) {
    hashPath(hash, p);
  }
  return hash.digest('hex').slice(0, 16);
}

function hashPath(hash: crypto.Hash, p: string): void {
  const stat = fs.statSync(p);
  hash.update(p);
  if (stat.isDirectory()) {
    for (const entry of fs.readdirSync(p).sort()) {
      hashPath(hash, path.join(p, entry));
    }
  } else {
    hash.update(fs.readFileSync(p));
  }
}

const LOCK_WAIT_MS = 600_000;

/** Runs `fn` holding a lock directory (mkdir is atomic); a lock older than the wait limit is stale. */
function withLock(lock: string, fn: () => void): void {
  const start = Date.now();
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (e: any) {
      if (e.code !== 'EEXIST') {
        throw e;
      }
      if (Date.now() - fs.statSync(lock).mtimeMs > LOCK_WAIT_MS) {
        fs.rmSync(lock, { recursive: true, force: true });
      } else if (Date.now() - start > LOCK_WAIT_MS) {
        throw new Error(`gave up waiting for ${lock}`);
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
  }
  try {
    fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

function run(cmd: string, args: string[]): void {
  try {
    execFileSync(cmd, args, { stdio: 'pipe', encoding: 'utf8' });
  } catch (e: any) {
    throw new Error(`${cmd} ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}
