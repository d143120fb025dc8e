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
  if (!isComplete(dir, key)) {
    fs.mkdirSync(cacheDir, { recursive: true, mode: 0o755 });
    // Parallel runs (jest workers) may want the same venv: one builds, the others wait.
    withLock(`${dir}.lock`, `venv ${venv.venvName}`, log, () => {
      if (isComplete(dir, key)) {
        return;
      }
      // Whatever a killed builder left (a half-built dir, an unpublished build) is never used.
      for (const entry of fs.readdirSync(cacheDir)) {
        const builder = new RegExp(`^${escapeRegExp(path.basename(dir))}\\.build-(\\d+)-`).exec(entry);
        if (builder && ownerId(Number(builder[1])) === undefined) {
          fs.rmSync(path.join(cacheDir, entry), { recursive: true, force: true });
        }
      }
      fs.rmSync(dir, { recursive: true, force: true });
      // Built where it stays (a venv's scripts name their own path), then published
      // under `dir` by an atomic symlink rename once complete.
      const build = `${dir}.build-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
      log(`building venv ${venv.venvName} with ${pythonBinary}`);
      const commands = venvBuildCommands({
        python: pythonBinary, dir: build, systemSitePackages: venv.systemSitePackages, withPip: venv.needsPip,
        requirementsFile: venv.requirementsFile, requirements: venv.requirements, localPackages: venv.localPackages, requireHashes: venv.requireHashes,
      });
      for (const [cmd, ...args] of commands) {
        run(cmd, args);
      }
      fs.writeFileSync(path.join(build, COMPLETE), key);
      const link = `${build}.link`;
      fs.symlinkSync(path.basename(build), link);
      fs.renameSync(link, dir);
    });
  }
  const built = venvPythonVersion(dir);
  if (built !== pythonVersion) {
    throw new Error(`${venv.node.path}: venv ${dir} was built with Python ${built} but mod_wsgi links Python ${pythonVersion}; it would fail at request time`);
  }
  return dir;
}

const COMPLETE = '.cdktf-apache-wsgi-complete';

function isComplete(dir: string, key: string): boolean {
  try {
    return fs.readFileSync(path.join(dir, COMPLETE), 'utf8') === key;
  } catch {
    return false;
  }
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

/**
 * Runs `fn` holding a lock directory that names its holder (pid and process
 * start time). A lock whose holder is gone - killed mid-build - is stale and
 * taken over at once; a live holder is waited for (logged), at most 10 minutes.
 */
function withLock(lock: string, what: string, log: (line: string) => void, fn: () => void): void {
  const start = Date.now();
  let logged = false;
  for (;;) {
    // The lock appears with its owner file in one rename: never ownerless.
    const tmp = `${lock}.${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
    fs.mkdirSync(tmp);
    fs.writeFileSync(path.join(tmp, 'owner'), ownerId(process.pid) ?? String(process.pid));
    try {
      fs.renameSync(tmp, lock);
      break;
    } catch (e: any) {
      fs.rmSync(tmp, { recursive: true, force: true });
      if (e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST') {
        throw e;
      }
    }
    const owner = readOwner(lock);
    // A lock without an owner file was left by an older version of this builder.
    if (owner === undefined || ownerId(Number(owner.split(' ')[0])) !== owner) {
      log(`${what}: a build by pid ${owner?.split(' ')[0] ?? '?'} was interrupted (that process is gone); removing its lock and partial build`);
      fs.rmSync(lock, { recursive: true, force: true });
      continue;
    }
    if (!logged) {
      log(`${what}: waiting for pid ${owner?.split(' ')[0] ?? '?'}, which is building it (lock ${lock})`);
      logged = true;
    }
    if (Date.now() - start > LOCK_WAIT_MS) {
      throw new Error(`${what}: gave up after ${LOCK_WAIT_MS / 1000} s waiting for pid ${owner?.split(' ')[0] ?? '?'} to finish building it (lock ${lock}); remove the lock if that process is stuck`);
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
  }
  try {
    fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

function readOwner(lock: string): string | undefined {
  try {
    return fs.readFileSync(path.join(lock, 'owner'), 'utf8');
  } catch {
    return undefined;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** "pid starttime" of a live process (starttime tells a reused pid apart); undefined if gone or a zombie. */
function ownerId(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is the state, fields[19] the start time (field 22 of proc(5))
    return fields[0] === 'Z' ? undefined : `${pid} ${fields[19]}`;
  } catch {
    return undefined;
  }
}

function run(cmd: string, args: string[]): void {
  try {
    execFileSync(cmd, args, { stdio: 'pipe', encoding: 'utf8' });
  } catch (e: any) {
    throw new Error(`${cmd} ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}
