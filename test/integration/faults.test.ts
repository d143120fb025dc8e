import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { Testing, TerraformStack } from 'cdktf';
import { ApacheSite, DaemonGroup, LogLevel, Platform, RunningSite, startLocalSite, VirtualEnv, WsgiApp } from '../../lib';
import { getJson, request, sleep } from './http';

const FAULTS = path.join(__dirname, 'fixtures', 'faults');

/** One request's outcome, stamped relative to the load's start. */
interface Outcome { readonly atMs: number; readonly ok: boolean; readonly status: string }

/**
 * Bounded loopback load that keeps every outcome with its time, so a test can
 * say when failures happened relative to the fault it injected.
 */
async function timedLoad(url: string, opts: { concurrency: number; maxRequests: number; maxMs: number; fault?: (t0: number) => Promise<void> }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency });
  const t0 = Date.now();
  const outcomes: Outcome[] = [];
  let sent = 0;
  const worker = async () => {
    while (sent < opts.maxRequests && Date.now() - t0 < opts.maxMs) {
      sent++;
      let status: string;
      try {
        status = String((await request(url, { agent, timeoutMs: 20_000 })).status);
      } catch (e) {
        status = `error: ${(e as Error).message.slice(0, 60)}`;
      }
      outcomes.push({ atMs: Date.now() - t0, ok: status === '200', status });
    }
  };
  const workers = Array.from({ length: opts.concurrency }, worker);
  await opts.fault?.(t0);
  await Promise.all(workers);
  agent.destroy();
  const statuses: Record<string, number> = {};
  for (const o of outcomes) {
    statuses[o.status] = (statuses[o.status] ?? 0) + 1;
  }
  const failed = outcomes.filter((o) => !o.ok);
  return { t0, sent: outcomes.length, failed: failed.length, failures: failed, statuses };
}

/** Polls until `check` holds, or gives up after `limitMs`; returns how long it took. */
async function waitFor(check: () => boolean | Promise<boolean>, limitMs: number, stepMs = 10): Promise<number> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > limitMs) {
      throw new Error(`condition not met within ${limitMs} ms`);
    }
    await sleep(stepMs);
  }
  return Date.now() - start;
}

const errorLogOf = (run: RunningSite) => fs.readFileSync(run.errorLog, 'utf8');

// Faults injected into a site running on the machine's real Apache + mod_wsgi.
// Figures are printed (console.log) for the README; assertions stay on outcomes,
// never on timings, so a noisy machine cannot make them flake.
describe('fault recovery on real Apache', () => {
  let stack: TerraformStack;
  let site: ApacheSite;
  let run: RunningSite;

  beforeAll(async () => {
    stack = new TerraformStack(Testing.app(), 'faults');
    site = new ApacheSite(stack, 'Site', { platform: Platform.DEBIAN_12, serverName: 'faults.example', logLevel: LogLevel.INFO });
    const env = new VirtualEnv(stack, 'Env');
    const mount = (id: string, mountPath: string, group: DaemonGroup) =>
      new WsgiApp(site, `${id}App`, { mountPath, source: FAULTS, scriptFile: 'wsgi.py', daemonGroup: group });
    mount('Victim', '/victim', new DaemonGroup(site, 'Victim', { processes: 2, threads: 5, virtualEnv: env }));
    mount('Hung', '/hung', new DaemonGroup(site, 'Hung', { processes: 1, threads: 2, requestTimeoutSec: 2, virtualEnv: env }));
    mount('Broken', '/broken', new DaemonGroup(site, 'Broken', { processes: 1, threads: 2, virtualEnv: env }));
    mount('Healthy', '/healthy', new DaemonGroup(site, 'Healthy', { processes: 1, threads: 2, virtualEnv: env }));
    mount('Recycle', '/recycle', new DaemonGroup(site, 'Recycle', { processes: 2, threads: 5, maximumRequests: 150, gracefulTimeoutSec: 5, virtualEnv: env }));
    run = await startLocalSite(site);
  });

  afterAll(async () => {
    await run?.stop();
  });

  test('kill -9 of one daemon process under load: mod_wsgi starts a new one, most requests succeed', async () => {
    // GIVEN a group of 2 processes x 5 threads
    const before = run.daemonPids('victim');
    expect(before).toHaveLength(2);
    const victim = before[0];
    let killedAt = 0;
    let recoveryMs = 0;
    // WHEN one of its processes is killed with SIGKILL during a bounded load of 8 keep-alive clients
    // whose requests take 20 ms each, so some are in flight in the killed process
    const load = await timedLoad(`${run.url}/victim/sleep?0.02`, {
      concurrency: 8,
      maxRequests: 5_000,
      maxMs: 5_000,
      fault: async (t0) => {
        await sleep(1_500);
        killedAt = Date.now() - t0;
        process.kill(victim, 'SIGKILL');
        // recovery: the group is back to 2 processes, one of them new
        recoveryMs = await waitFor(() => {
          const now = run.daemonPids('victim');
          return now.length === 2 && !now.includes(victim);
        }, 20_000);
      },
    });
    const lastFailureMs = load.failures.length ? Math.max(...load.failures.map((f) => f.atMs)) - killedAt : 0;
    console.log(`kill -9 under load: ${load.sent} requests, ${load.failed} failed (${(100 * load.failed / load.sent).toFixed(2)}%), `
      + `statuses ${JSON.stringify(load.statuses)}; replacement process up ${recoveryMs} ms after the kill; `
      + `last failure ${lastFailureMs} ms after the kill`);
    // THEN a new process replaced the killed one and the group serves again
    const after = run.daemonPids('victim');
    expect(after).toHaveLength(2);
    expect(after).not.toContain(victim);
    expect(after.some((pid) => !before.includes(pid))).toBe(true);
    expect((await request(`${run.url}/victim/`)).status).toBe(200);
    // AND with the other process still serving, at most the requests in flight in the killed one failed
    expect(load.sent).toBeGreaterThan(200);
    expect(load.failed).toBeLessThanOrEqual(load.sent * 0.05);
  });

  test('a hung request is cut off by request-timeout and the group serves again from a new process', async () => {
    // GIVEN a group with request-timeout=2 and 2 threads, both hung on requests that sleep 60 s
    const before = run.daemonPids('hung');
    const start = Date.now();
    const hung = await Promise.all([1, 2].map(() => request(`${run.url}/hung/sleep?60`, { timeoutMs: 50_000 })));
    const cutOffMs = Date.now() - start;
    // THEN mod_wsgi restarts the process: both clients get a 5xx long before the app's 60 s
    expect(hung.map((r) => r.status >= 500)).toEqual([true, true]);
    // AND the error log says why, naming the group (info level) and, at warn level, the script
    const log = errorLogOf(run);
    expect(log).toMatch(/Daemon process request time limit exceeded, stopping process 'hung'/);
    expect(log).toMatch(/\[wsgi:error\].*Truncated or oversized response headers received from daemon process 'hung': \S*\/boot\/hung-app\.wsgi/);
    // AND the group answers again, from a process that is not the hung one
    const recoveryMs = await waitFor(async () => (await request(`${run.url}/hung/`)).status === 200, 20_000, 50);
    const answer = await getJson(`${run.url}/hung/`);
    expect(before).not.toContain(answer.pid);
    console.log(`hung app: requests cut off after ${cutOffMs} ms (request-timeout=2, 2 threads), group serving again ${recoveryMs} ms later`);
  });

  test('an app crashing at import: the error log names the script and the cause; other groups keep serving', async () => {
    // GIVEN the healthy group's processes
    const healthyBefore = run.daemonPids('healthy');
    // WHEN a bad deploy replaces the broken app's script with one that raises at import
    // (the app's code is imported by the generated entry script; touching that script reloads the daemons)
    const script = path.join(run.workDir, 'apps', 'broken-app', 'wsgi.py');
    fs.writeFileSync(script, 'raise RuntimeError("caw-fault: import failed on purpose")\n');
    run.reloadApp('broken-app');
    const res = await request(`${run.url}/broken/`);
    // THEN that app answers 500
    expect(res.status).toBe(500);
    // AND the error log names the script and carries the exception
    const log = errorLogOf(run);
    expect(log).toContain(`File "${script}", line 1, in <module>`);
    expect(log).toContain('RuntimeError: caw-fault: import failed on purpose');
    // AND the other group on the same site still answers 200 from the same processes
    expect((await request(`${run.url}/healthy/`)).status).toBe(200);
    expect(run.daemonPids('healthy')).toEqual(healthyBefore);
  });

  test('maximum-requests recycling under load with graceful-timeout: 0 failed requests', async () => {
    // GIVEN a group of 2 processes that each recycle after 150 requests, graceful-timeout=5
    const before = run.daemonPids('recycle');
    // WHEN 8 keep-alive clients send up to 3000 requests (about 20 recycles)
    const load = await timedLoad(`${run.url}/recycle/`, { concurrency: 8, maxRequests: 3_000, maxMs: 30_000 });
    console.log(`maximum-requests=150 recycling: ${load.sent} requests, ${load.failed} failed, statuses ${JSON.stringify(load.statuses)}`);
    // THEN every request succeeded
    expect(load.failed).toBe(0);
    expect(load.sent).toBeGreaterThanOrEqual(1_000);
    // AND the processes really were recycled
    expect(run.daemonPids('recycle').some((pid) => before.includes(pid))).toBe(false);
  });
});

describe('an app that fails at import from the first start', () => {
  test('startLocalSite fails with the error log naming the script', async () => {
    // GIVEN a site whose only app raises at import
    const dir = fs.mkdtempSync(path.join('/tmp', 'caw-crash-'));
    fs.writeFileSync(path.join(dir, 'wsgi.py'), 'import caw_no_such_module_anywhere\n');
    const stack = new TerraformStack(Testing.app(), 'crash');
    const crashSite = new ApacheSite(stack, 'Site', { platform: Platform.DEBIAN_12, serverName: 'crash.example' });
    new WsgiApp(crashSite, 'App', {
      mountPath: '/', source: dir, scriptFile: 'wsgi.py',
      daemonGroup: new DaemonGroup(crashSite, 'Crash', { virtualEnv: new VirtualEnv(stack, 'Env') }),
    });
    try {
      // WHEN it is started
      // THEN the start fails and the message carries the log line naming the user's script (not the runner's copy) and the missing module
      const error: Error = await startLocalSite(crashSite, { readyTimeoutMs: 5_000 }).then(async (r) => { await r.stop(); return new Error('started'); }, (e) => e);
      expect(error.message).toContain(`File "${dir}/wsgi.py", line 1, in <module>`);
      expect(error.message).toContain('ModuleNotFoundError: No module named \'caw_no_such_module_anywhere\'');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
