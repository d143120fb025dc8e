import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing, TerraformStack } from 'cdktf';
import { buildLocalVenv, detectLocalApache, VirtualEnv } from '../../lib';

const apache = detectLocalApache();

/** A pid that belonged to a process which has exited (and was reaped). */
function deadPid(): number {
  const child = spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' });
  return Number(child.stdout.trim());
}

function startTime(pid: number): string {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

describe('buildLocalVenv after an interrupted build', () => {
  let cacheDir: string;
  let venv: VirtualEnv;

  beforeEach(() => {
    cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'caw-venv-cache-'));
    // a private cache directory per test: nothing shared with other runs
    venv = new VirtualEnv(new TerraformStack(Testing.app(), `venv-${path.basename(cacheDir)}`), 'Env');
  });

  afterEach(() => {
    fs.rmSync(cacheDir, { recursive: true, force: true });
  });

  /** What a builder killed mid-build leaves: its lock (naming it) and a half-built venv. */
  function leaveInterruptedBuild(ownerPid: number, owner: string): { lock: string; partial: string; dir: string } {
    const logged: string[] = [];
    const dir = buildLocalVenv(venv, apache.pythonBinary, apache.pythonVersion, cacheDir, (l) => logged.push(l));
    // the path the venv is published under; throw the built one away and leave the debris of a killed build
    fs.rmSync(dir, { recursive: true, force: true });
    for (const entry of fs.readdirSync(cacheDir)) {
      fs.rmSync(path.join(cacheDir, entry), { recursive: true, force: true });
    }
    const lock = `${dir}.lock`;
    fs.mkdirSync(lock);
    fs.writeFileSync(path.join(lock, 'owner'), owner);
    const partial = `${dir}.build-${ownerPid}-dead0000`;
    fs.mkdirSync(path.join(partial, 'bin'), { recursive: true });
    fs.writeFileSync(path.join(partial, 'pyvenv.cfg'), 'home = /usr/bin\n');
    // a half-built venv published by an older builder, without the completion marker
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'pyvenv.cfg'), 'home = /usr/bin\n');
    return { lock, partial, dir };
  }

  test('a lock whose builder was killed is taken over at once and the half-built venv is never used', () => {
    // GIVEN the lock and partial directories of a builder that was killed (its pid no longer runs)
    const pid = deadPid();
    const { lock, partial, dir } = leaveInterruptedBuild(pid, `${pid} 12345`);
    // WHEN the next run builds the venv
    const logged: { atMs: number; line: string }[] = [];
    const start = Date.now();
    const built = buildLocalVenv(venv, apache.pythonBinary, apache.pythonVersion, cacheDir, (line) => logged.push({ atMs: Date.now() - start, line }));
    // THEN it said the previous build was interrupted and started building within a second (not after 10 minutes)
    expect(logged[0].line).toContain(`a build by pid ${pid} was interrupted (that process is gone); removing its lock and partial build`);
    const building = logged.find((l) => l.line.startsWith('building venv'));
    expect(building!.atMs).toBeLessThan(1_000);
    // AND the venv is complete, published as a link to a fresh build; the debris and the lock are gone
    expect(built).toBe(dir);
    expect(fs.lstatSync(dir).isSymbolicLink()).toBe(true);
    expect(fs.existsSync(path.join(dir, '.cdktf-apache-wsgi-complete'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'bin', 'python'))).toBe(true);
    expect(fs.existsSync(partial)).toBe(false);
    expect(fs.existsSync(lock)).toBe(false);
  });

  test('a lock held by a live builder is waited for, with a log line, then the build proceeds when that builder dies', async () => {
    // GIVEN a lock held by a live process that dies after 1.5 s (it cannot end sooner
    // than 1.5 s after this clock reading, however slowly the machine starts it)
    const start = performance.now();
    const holder = spawn('sleep', ['1.5']);
    await new Promise((r) => holder.on('spawn', r));
    const { lock } = leaveInterruptedBuild(holder.pid!, `${holder.pid} ${startTime(holder.pid!)}`);
    // WHEN the next run builds the venv
    const logged: { atMs: number; line: string }[] = [];
    buildLocalVenv(venv, apache.pythonBinary, apache.pythonVersion, cacheDir, (line) => logged.push({ atMs: performance.now() - start, line }));
    // THEN it said whom it waits for, and took the lock over once that process had ended
    expect(logged[0].line).toContain(`waiting for pid ${holder.pid}, which is building it (lock ${lock})`);
    const takeover = logged.find((l) => l.line.includes(`a build by pid ${holder.pid} was interrupted`));
    expect(takeover!.atMs).toBeGreaterThanOrEqual(1_500);
    expect(takeover!.atMs).toBeLessThan(10_000);
    expect(fs.existsSync(lock)).toBe(false);
  });

  test('a built venv is reused without rebuilding', () => {
    // GIVEN a built venv
    const first = buildLocalVenv(venv, apache.pythonBinary, apache.pythonVersion, cacheDir);
    // WHEN it is asked for again
    const logged: string[] = [];
    const second = buildLocalVenv(venv, apache.pythonBinary, apache.pythonVersion, cacheDir, (l) => logged.push(l));
    // THEN the same directory comes back and nothing was built
    expect(second).toBe(first);
    expect(logged).toEqual([]);
  });
});
