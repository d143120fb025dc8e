import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing, TerraformStack } from 'cdktf';
import { ApacheSite, DaemonGroup, detectLocalApache, Platform, RunningSite, startLocalSite, VirtualEnv, WsgiApp } from '../../lib';
import { getJson, request } from './http';
import { buildMarkerWheel } from './wheel';

const PROBE = path.join(__dirname, 'fixtures', 'probe');
const apache = detectLocalApache();

// Targeted sites that pin down how each setting behaves on real mod_wsgi.
describe('mod_wsgi behaviour on real Apache', () => {
  let wheelDir: string;
  let run: RunningSite;
  let site: ApacheSite;

  beforeAll(async () => {
    wheelDir = fs.mkdtempSync(path.join(os.tmpdir(), 'caw-wheels-'));
    const stack = new TerraformStack(Testing.app(), 'fixtures');
    site = new ApacheSite(stack, 'Site', { platform: Platform.DEBIAN_12, serverName: 'fixtures.example', limitRequestBodyBytes: 1024 });
    const mount = (id: string, mountPath: string, group: DaemonGroup) =>
      new WsgiApp(site, `${id}App`, { mountPath, source: PROBE, scriptFile: 'wsgi.py', daemonGroup: group });
    const envA = new VirtualEnv(stack, 'EnvA', { localPackages: [buildMarkerWheel(wheelDir, 'a', apache.pythonBinary)] });
    const envB = new VirtualEnv(stack, 'EnvB', { localPackages: [buildMarkerWheel(wheelDir, 'b', apache.pythonBinary)] });
    const bare = new VirtualEnv(stack, 'Bare');
    mount('Omitted', '/omitted', new DaemonGroup(site, 'Omitted', { virtualEnv: envA }));
    mount('One', '/one', new DaemonGroup(site, 'One', { processes: 1, virtualEnv: envB }));
    mount('Single', '/single', new DaemonGroup(site, 'Single', { processes: 2, threads: 1, virtualEnv: bare }));
    mount('Solo', '/solo', new DaemonGroup(site, 'Solo', { singleProcess: true, threads: 2, virtualEnv: bare }));
    mount('Hung', '/hung', new DaemonGroup(site, 'Hung', { processes: 1, threads: 1, requestTimeoutSec: 2, virtualEnv: bare }));
    run = await startLocalSite(site);
  });

  afterAll(async () => {
    await run?.stop();
    fs.rmSync(wheelDir, { recursive: true, force: true });
  });

  test('processes left out: two processes per CPU of this machine, read at Apache start; wsgi.multiprocess is True', async () => {
    expect((await getJson(`${run.url}/omitted/`)).multiprocess).toBe(true);
    expect(run.daemonPids('omitted')).toHaveLength(2 * os.availableParallelism());
  });

  test('processes=1 given: wsgi.multiprocess is True (seed 002)', async () => {
    expect((await getJson(`${run.url}/one/`)).multiprocess).toBe(true);
  });

  test('singleProcess: processes= left out, one process, wsgi.multiprocess is False', async () => {
    // GIVEN a group with singleProcess: true WHEN probed THEN mod_wsgi reports a single process
    expect((await getJson(`${run.url}/solo/`)).multiprocess).toBe(false);
    expect(run.daemonPids('solo')).toHaveLength(1);
  });

  test('threads=1: wsgi.multithread is False', async () => {
    const env = await getJson(`${run.url}/single/`);
    expect([env.multiprocess, env.multithread]).toEqual([true, false]);
  });

  test('each group runs the requested number of daemon processes', () => {
    expect(run.daemonPids('single')).toHaveLength(2);
    expect(run.daemonPids('one')).toHaveLength(1);
  });

  test('each app sees only the package installed in its own venv', async () => {
    const a = await getJson(`${run.url}/omitted/`);
    const b = await getJson(`${run.url}/one/`);
    const none = await getJson(`${run.url}/single/`);
    expect([a.marker, b.marker, none.marker]).toEqual(['a', 'b', null]);
    expect(new Set([a.prefix, b.prefix, none.prefix]).size).toBe(3);
  });

  test('LimitRequestBody rejects a larger body with 413', async () => {
    expect((await request(`${run.url}/one/`, { method: 'POST', body: Buffer.alloc(1025) })).status).toBe(413);
  });

  test('a hung request is cut off by request-timeout and the group recovers', async () => {
    // GIVEN a one-thread group with request-timeout=2 and a request that sleeps 60 s
    const before = run.daemonPids('hung');
    // WHEN the request hangs
    const hung = await request(`${run.url}/hung/sleep?60`, { timeoutMs: 30_000 });
    // THEN mod_wsgi restarts the process: the client gets an error well before 60 s
    expect(hung.status).toBeGreaterThanOrEqual(500);
    // AND the group answers again, from a new process
    const after = await getJson(`${run.url}/hung/`);
    expect(before).not.toContain(after.pid);
  });

  test('requests with a path below a mount leave no error in the log, even with nothing mounted at /', async () => {
    // GIVEN no app at '/': mod_wsgi's PATH_TRANSLATED lookup of PATH_INFO falls outside every mount
    await getJson(`${run.url}/one/some/path/info`);
    // THEN it does not trip the deny-all root (AH01630 at error level on every request)
    const errors = fs.readFileSync(run.errorLog, 'utf8').split('\n').filter((l) => /\[(\w+:)?(error|crit|alert|emerg)\]/.test(l) && !/hung/.test(l));
    expect(errors).toEqual([]);
  });

  test('fails to start a site whose venv pins another Python than the local mod_wsgi', async () => {
    const stack = new TerraformStack(Testing.app(), 'mismatch');
    const other = new ApacheSite(stack, 'Site', { platform: Platform.UBUNTU_24_04, serverName: 'x.example' });
    const env = new VirtualEnv(stack, 'Env', { pythonVersion: '3.12' });
    new WsgiApp(other, 'App', { mountPath: '/', source: PROBE, scriptFile: 'wsgi.py', daemonGroup: new DaemonGroup(other, 'G', { virtualEnv: env }) });
    await expect(startLocalSite(other)).rejects.toThrow(/mismatch\/Env: pythonVersion 3.12 cannot run here: the local mod_wsgi .* links Python 3.11/);
  });
});
