import * as path from 'path';
import { Testing, TerraformStack } from 'cdktf';
import { ApacheSite, DaemonGroup, Platform, RunningSite, startLocalSite, VirtualEnv, WsgiApp } from '../../lib';
import { getJson } from './http';

const LIMITS = path.join(__dirname, 'fixtures', 'limits');
const MIB = 1024 * 1024;

// What the resource-limit options do to a daemon process on this Linux, measured on real mod_wsgi 4.9.4.
describe('daemon resource limits on real Apache', () => {
  let run: RunningSite;

  beforeAll(async () => {
    const stack = new TerraformStack(Testing.app(), 'limits');
    const site = new ApacheSite(stack, 'Site', { platform: Platform.DEBIAN_12, serverName: 'limits.example' });
    const env = new VirtualEnv(stack, 'Env');
    const mount = (id: string, group: DaemonGroup) =>
      new WsgiApp(site, `${id}App`, { mountPath: `/${group.name}`, source: LIMITS, scriptFile: 'wsgi.py', daemonGroup: group });
    mount('Data', new DaemonGroup(site, 'Data', { virtualEnv: env, processes: 1, threads: 2, memoryLimitBytes: 256 * MIB, umask: '0027', cpuPriority: 5 }));
    mount('Vm', new DaemonGroup(site, 'Vm', { virtualEnv: env, processes: 1, threads: 2, virtualMemoryLimitBytes: 2048 * MIB }));
    mount('Cpu', new DaemonGroup(site, 'Cpu', { virtualEnv: env, processes: 1, threads: 1, cpuTimeLimitSec: 2, gracefulTimeoutSec: 5 }));
    run = await startLocalSite(site);
  }, 120_000);

  afterAll(async () => {
    await run?.stop();
  });

  test('memoryLimitBytes sets RLIMIT_DATA; umask and cpuPriority apply too', async () => {
    const limits = await getJson(`${run.url}/data/limits`);
    expect([limits.data, limits.as, limits.umask, limits.nice]).toEqual([256 * MIB, -1, '0027', 5]);
  });

  test('memoryLimitBytes: an allocation beyond it raises MemoryError, and the process lives on', async () => {
    // GIVEN the daemon's pid
    const before = (await getJson(`${run.url}/data/limits`)).pid;
    // WHEN the app allocates 64 MiB (under the limit), then 512 MiB (over it)
    expect((await getJson(`${run.url}/data/alloc?64`)).alloc).toBe('ok');
    const over = await getJson(`${run.url}/data/alloc?512`);
    // THEN Linux refuses the memory: Python raises MemoryError in the request
    expect(over.alloc).toBe('MemoryError');
    // AND mod_wsgi does not kill or replace the process
    expect(over.pid).toBe(before);
    expect((await getJson(`${run.url}/data/alloc?64`)).pid).toBe(before);
  });

  test('virtualMemoryLimitBytes sets RLIMIT_AS; beyond it allocations raise MemoryError', async () => {
    const limits = await getJson(`${run.url}/vm/limits`);
    expect([limits.as, limits.data]).toEqual([2048 * MIB, -1]);
    const over = await getJson(`${run.url}/vm/alloc?3072`);
    expect([over.alloc, over.pid]).toEqual(['MemoryError', limits.pid]);
  });

  test('cpuTimeLimitSec: a process that used its CPU seconds is replaced by a new one', async () => {
    // GIVEN the daemon's pid and its RLIMIT_CPU
    const limits = await getJson(`${run.url}/cpu/limits`);
    expect(limits.cpu).toBe(2);
    // WHEN a request burns 2.5 CPU seconds (SIGXCPU at 2 s; the request still completes)
    expect((await getJson(`${run.url}/cpu/burn?2.5`)).pid).toBe(limits.pid);
    // THEN within the graceful timeout another process serves the group
    const deadline = Date.now() + 15_000;
    let pid = limits.pid;
    while (pid === limits.pid && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      pid = (await getJson(`${run.url}/cpu/limits`).catch(() => ({ pid }))).pid;
    }
    expect(pid).not.toBe(limits.pid);
    expect(run.daemonPids('cpu')).toEqual([pid]);
  }, 30_000);
});
