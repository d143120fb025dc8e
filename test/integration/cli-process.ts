import { ChildProcess, execFileSync, spawn, spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const ROOT_DIR = path.join(__dirname, '..', '..');
// Absolute paths: nothing depends on the working directory (which nobody may not be allowed to enter).
const CLI = ['-r', path.join(ROOT_DIR, 'node_modules', 'ts-node', 'register', 'transpile-only'), path.join(ROOT_DIR, 'lib', 'cli.ts')];
const NOBODY = ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups'];

/** The command line that runs the CLI, as nobody when asked and this process is root. */
function command(args: string[], asNobody: boolean): [string, string[]] {
  if (asNobody && process.getuid?.() === 0) {
    // As root, setpriv drops to nobody so the runner's non-root path is exercised too.
    const [cmd, ...argv] = NOBODY;
    if (spawnSync(cmd, [...argv, 'test', '-r', CLI[2]]).status !== 0) {
      throw new Error(`user nobody cannot read ${CLI[2]}: the non-root CLI tests need a checkout that every user can read (no 0700 parent directory)`);
    }
    return [cmd, [...argv, 'env', 'HOME=/tmp', process.execPath, ...CLI, ...args]];
  }
  return [process.execPath, [...CLI, ...args]];
}

/** Runs the CLI to its end (at most 100 s). */
export function cli(args: string[], options: { asNobody?: boolean; env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<string> {
  const [cmd, argv] = command(args, options.asNobody ?? false);
  return spawnSync(cmd, argv, { cwd: ROOT_DIR, encoding: 'utf8', timeout: 100_000, env: { ...process.env, ...options.env } });
}

/** A running CLI whose output is collected as it comes. */
export class CliProcess {
  public stdout = '';
  public stderr = '';
  public readonly child: ChildProcess;
  public readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>;

  constructor(args: string[], options: { env?: NodeJS.ProcessEnv } = {}) {
    const [cmd, argv] = command(args, false);
    this.child = spawn(cmd, argv, { cwd: ROOT_DIR, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d) => { this.stdout += d; });
    this.child.stderr!.on('data', (d) => { this.stderr += d; });
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal, atMs: Date.now() })));
  }

  /** Resolves once stdout matches, fails after `limitMs` or if the CLI exits first. */
  public async waitFor(pattern: RegExp, limitMs: number): Promise<RegExpExecArray> {
    const deadline = Date.now() + limitMs;
    for (;;) {
      const match = pattern.exec(this.stdout);
      if (match) {
        return match;
      }
      if (this.child.exitCode !== null || this.child.signalCode !== null || Date.now() > deadline) {
        throw new Error(`CLI output did not match ${pattern} (exit ${this.child.exitCode ?? this.child.signalCode})\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Kills the CLI if it is still running (test cleanup). */
  public kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
    }
  }
}

/**
 * lib/ transpiled to JavaScript under out/ (inside the checkout, so `cdktf` still
 * resolves), as an installed package runs: no TypeScript loader is registered
 * unless the CLI registers one for the user's program.
 */
export function transpileLib(): { dir: string; cli: string; cleanup(): void } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ts = require('typescript');
  fs.mkdirSync(path.join(ROOT_DIR, 'out'), { recursive: true });
  const dir = fs.mkdtempSync(path.join(ROOT_DIR, 'out', 'cli-'));
  const walk = (from: string) => {
    for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
      const full = path.join(from, entry.name);
      if (entry.isDirectory()) {
        walk(full);
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        const target = path.join(dir, path.relative(ROOT_DIR, full)).replace(/\.ts$/, '.js');
        fs.mkdirSync(path.dirname(target), { recursive: true });
        const out = ts.transpileModule(fs.readFileSync(full, 'utf8'), { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } });
        fs.writeFileSync(target, out.outputText);
      }
    }
  };
  walk(path.join(ROOT_DIR, 'lib'));
  execFileSync('chmod', ['-R', 'a+rX', path.join(ROOT_DIR, 'out')]);
  return { dir: path.join(dir, 'lib'), cli: path.join(dir, 'lib', 'cli.js'), cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Runs a JavaScript CLI file to its end (at most 100 s), as nobody when this process is root. */
export function nodeCli(cliFile: string, args: string[], env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  const [cmd, ...argv] = process.getuid?.() === 0 ? [...NOBODY, 'env', 'HOME=/tmp', process.execPath] : [process.execPath];
  return spawnSync(cmd, [...argv, cliFile, ...args], { cwd: '/', encoding: 'utf8', timeout: 100_000, env: { ...process.env, ...env } });
}
