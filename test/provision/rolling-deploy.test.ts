import { ChildProcess, execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';
import { Testing, TerraformStack } from 'cdktf';
import { ApacheSite, DaemonGroup, freePort, Platform, siteBundle, StartMode, VirtualEnv, writeBundle, WsgiApp } from '../../lib';
import { provisionInputOf } from '../../lib/private/provision-input';
import { request, sleep } from '../integration/http';
import { bootableDebianRootTarball } from './debian-root';
import { TestNetns } from './first-boot';

const BUNDLE_DIR = '/opt/cdktf-apache-wsgi/site';
/** The load balancer's deregistration delay in this test: longer than any request here takes. */
const DEREGISTRATION_DELAY_MS = 3_000;

/**
 * A rolling deploy on real parts, in the order an instance refresh with
 * minHealthyPercentage 100 / maxHealthyPercentage 200 uses: for each old
 * instance, a new one boots and passes its health checks before it takes
 * traffic, the old one is deregistered (drained) for the deregistration delay,
 * then stopped through systemd (apache2.service's graceful-stop), while a
 * bounded load runs through HAProxy. Instances are Debian 12 roots provisioned
 * by the recipe and booted by systemd-nspawn, each in its own network namespace.
 */
describe('rolling deploy behind HAProxy', () => {
  const work = fs.mkdtempSync('/var/tmp/caw-roll-');
  const instances: { name: string; netns: TestNetns; version: string; nspawn?: ChildProcess }[] = [];
  let haproxy: ChildProcess;
  let haproxyPort: number;
  const adminSocket = path.join(work, 'haproxy.sock');

  /** A root with the site of one version provisioned by the recipe (no start: it boots with systemd). */
  function provisionedRoot(version: string): string {
    const source = path.join(work, `app-${version}`);
    fs.mkdirSync(source);
    fs.writeFileSync(path.join(source, 'wsgi.py'), [
      'import time',
      'def application(environ, start_response):',
      '    if environ["PATH_INFO"] == "/slow":',
      '        time.sleep(1)',
      '    start_response("200 OK", [("Content-Type", "text/plain")])',
      `    return [b"${version}"]`,
      '',
    ].join('\n'));
    const stack = new TerraformStack(Testing.app(), 's');
    const site = new ApacheSite(stack, 'Site', { platform: Platform.DEBIAN_12, serverName: 'www.example.com' });
    new WsgiApp(site, 'App', { mountPath: '/', source, scriptFile: 'wsgi.py', daemonGroup: new DaemonGroup(site, 'Web', { processes: 2, threads: 5, virtualEnv: new VirtualEnv(stack, 'Env') }) });
    const root = path.join(work, `root-${version}`);
    fs.mkdirSync(root);
    execFileSync('tar', ['-C', root, '-xf', bootableDebianRootTarball()]);
    writeBundle(siteBundle(provisionInputOf(site), { port: 80, startMode: StartMode.NONE, bundleDir: BUNDLE_DIR }), path.join(root, BUNDLE_DIR));
    fs.copyFileSync('/etc/resolv.conf', path.join(root, 'etc/resolv.conf'));
    fs.writeFileSync(path.join(root, 'usr/sbin/policy-rc.d'), '#!/bin/sh\nexit 101\n', { mode: 0o755 });
    execFileSync('mount', ['-t', 'proc', 'proc', path.join(root, 'proc')]);
    try {
      const run = spawnSync('chroot', [root, '/bin/sh', `${BUNDLE_DIR}/provision.sh`], { encoding: 'utf8', timeout: 300_000 });
      if (run.status !== 0) {
        throw new Error(`recipe failed for ${version}:\n${run.stdout}\n${run.stderr}`);
      }
      // Debian enables apache2.service on install; policy-rc.d only kept it from starting in the chroot.
      expect(fs.existsSync(path.join(root, 'etc/systemd/system/multi-user.target.wants/apache2.service'))).toBe(true);
    } finally {
      execFileSync('umount', ['-l', path.join(root, 'proc')]);
      fs.rmSync(path.join(root, 'usr/sbin/policy-rc.d'));
      fs.writeFileSync(path.join(root, 'etc/resolv.conf'), '');
    }
    return root;
  }

  function boot(instance: typeof instances[number], root: string): void {
    // --volatile=overlay: every instance boots the same provisioned image with its own writable layer, like an AMI.
    instance.nspawn = spawn('systemd-nspawn', ['-q', '-b', '-D', root, '--volatile=overlay', `--network-namespace-path=${instance.netns.path}`,
      '--register=no', '--keep-unit', '--console=pipe', `--machine=${instance.name}`], { stdio: 'ignore' });
  }

  async function stopThroughSystemd(instance: typeof instances[number]): Promise<number> {
    const started = Date.now();
    // nspawn turns SIGTERM into the container's poweroff: systemd stops apache2.service (apachectl graceful-stop).
    instance.nspawn!.kill('SIGTERM');
    while (instance.nspawn!.exitCode === null) {
      if (Date.now() - started > 60_000) {
        instance.nspawn!.kill('SIGKILL');
        throw new Error(`${instance.name} did not power off`);
      }
      await sleep(100);
    }
    return Date.now() - started;
  }

  function admin(command: string): Promise<string> {
    return new Promise((resolve, reject) => {
      let out = '';
      const sock = net.connect(adminSocket, () => sock.end(`${command}\n`));
      sock.on('data', (d) => { out += d; });
      sock.on('end', () => resolve(out));
      sock.on('error', reject);
    });
  }

  async function serverState(name: string): Promise<string> {
    const stat = await admin('show stat');
    const line = stat.split('\n').find((l) => l.startsWith(`site,${name},`));
    return line ? line.split(',')[17] : 'missing';
  }

  async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}`);
      }
      await sleep(250);
    }
  }

  let v1Root: string;
  let v2Root: string;

  /** Keep-alive clients sending GETs through HAProxy (every 50th takes 1 s) until stopped or 20000 were sent. */
  function startLoad(): { stop(): Promise<{ sent: number; statuses: Record<string, number>; bodies: Record<string, number> }> } {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    const statuses: Record<string, number> = {};
    const bodies: Record<string, number> = {};
    let running = true;
    let sent = 0;
    const worker = async (n: number) => {
      while (running && sent < 20_000) {
        sent++;
        const slow = sent % 50 === n;
        let key: string;
        try {
          const res = await request(`http://127.0.0.1:${haproxyPort}/${slow ? 'slow' : ''}`, { agent, timeoutMs: 20_000 });
          key = String(res.status);
          bodies[res.body] = (bodies[res.body] ?? 0) + 1;
        } catch (e) {
          key = `error: ${(e as Error).message}`;
        }
        statuses[key] = (statuses[key] ?? 0) + 1;
      }
    };
    const workers = Array.from({ length: 8 }, (_, n) => worker(n));
    return {
      stop: async () => {
        running = false;
        await Promise.all(workers);
        agent.destroy();
        return { sent, statuses, bodies };
      },
    };
  }

  beforeAll(async () => {
    // GIVEN two provisioned images, v1 and v2 of the same site
    v1Root = provisionedRoot('v1');
    v2Root = provisionedRoot('v2');
    for (const [i, version] of [[1, 'v1'], [2, 'v1'], [3, 'v2'], [4, 'v2']] as const) {
      const netns = TestNetns.allocate();
      instances.push({ name: `caw-roll-${netns.name.slice('caw-ns'.length)}-${i}`, netns, version });
    }
    // AND HAProxy with health checks in front of the two v1 instances; the v2 slots wait in maintenance
    haproxyPort = await freePort();
    const config = [
      'global', `  stats socket ${adminSocket} mode 600 level admin`,
      'defaults', '  mode http', '  timeout connect 2s', '  timeout client 30s', '  timeout server 30s',
      // No retries or redispatch: a request a leaving instance drops counts as failed, as it would on an ALB.
      '  retries 0',
      'frontend web', `  bind 127.0.0.1:${haproxyPort}`, '  default_backend site',
      'backend site', '  balance roundrobin',
      '  option httpchk', '  http-check send meth GET uri / hdr Host www.example.com', '  http-check expect rstatus ^[23]',
      ...instances.map((inst) => `  server ${inst.name} ${inst.netns.address}:80 check inter 500 rise 2 fall 2${inst.version === 'v2' ? ' disabled' : ''}`),
      '',
    ].join('\n');
    fs.writeFileSync(path.join(work, 'haproxy.cfg'), config);
    for (const inst of instances.filter((i) => i.version === 'v1')) {
      boot(inst, v1Root);
    }
    haproxy = spawn('haproxy', ['-f', path.join(work, 'haproxy.cfg'), '-db'], { stdio: 'ignore' });
    await waitFor('HAProxy', async () => fs.existsSync(adminSocket), 10_000);
    for (const inst of instances.filter((i) => i.version === 'v1')) {
      await waitFor(`${inst.name} UP`, async () => (await serverState(inst.name)) === 'UP', 60_000);
    }
  }, 600_000);

  afterAll(async () => {
    for (const inst of instances) {
      if (inst.nspawn && inst.nspawn.exitCode === null) {
        await stopThroughSystemd(inst).catch(() => undefined);
      }
      inst.netns.remove();
    }
    haproxy?.kill('SIGTERM');
    fs.rmSync(work, { recursive: true, force: true });
  }, 120_000);

  test('replaces every instance one at a time with no failed request', async () => {
    // GIVEN a bounded load through HAProxy: 8 keep-alive clients, at most 20000 requests, some of them 1 s long
    const load = startLoad();
    const steps: string[] = [];

    // WHEN each v1 instance is replaced in instance refresh's order
    const olds = instances.filter((i) => i.version === 'v1');
    const news = instances.filter((i) => i.version === 'v2');
    for (const [k, old] of olds.entries()) {
      const fresh = news[k];
      boot(fresh, v2Root);
      // New capacity first: it must answer its health check before the load balancer sends it requests.
      await waitFor(`${fresh.name} healthy`, async () => (await request(`http://${fresh.netns.address}/`, { timeoutMs: 2_000 }).catch(() => ({ status: 0 }))).status === 200, 90_000);
      await admin(`enable server site/${fresh.name}`);
      await waitFor(`${fresh.name} UP`, async () => (await serverState(fresh.name)) === 'UP', 30_000);
      steps.push(`${fresh.name} in service`);
      // Deregister the old one: no new requests; those in flight finish during the delay.
      await admin(`disable server site/${old.name}`);
      await sleep(DEREGISTRATION_DELAY_MS);
      const stopMs = await stopThroughSystemd(old);
      steps.push(`${old.name} drained ${DEREGISTRATION_DELAY_MS} ms, stopped through systemd in ${stopMs} ms`);
    }
    await sleep(2_000);
    const { sent, statuses, bodies } = await load.stop();

    // THEN no request failed, and the fleet serves v2 only
    const failed = sent - (statuses['200'] ?? 0);
    // The measured figure the README quotes.
    console.log(`rolling deploy: ${sent} requests, ${failed} failed, statuses ${JSON.stringify(statuses)}, bodies ${JSON.stringify(bodies)}\n  ${steps.join('\n  ')}`);
    expect(failed).toBe(0);
    expect(sent).toBeGreaterThan(500);
    expect(bodies.v1).toBeGreaterThan(0);
    expect(bodies.v2).toBeGreaterThan(0);
    const last = await request(`http://127.0.0.1:${haproxyPort}/`);
    expect(last.body).toBe('v2');
    expect(await Promise.all(olds.map((o) => serverState(o.name)))).toEqual(['MAINT', 'MAINT']);
  }, 300_000);

  test('fails requests when an instance in service is stopped without draining (the control)', async () => {
    // GIVEN the v2 fleet under the same load
    const load = startLoad();
    await sleep(1_000);
    // WHEN one instance is stopped while the load balancer still sends it requests
    await stopThroughSystemd(instances.find((i) => i.version === 'v2')!);
    await sleep(3_000);
    const { sent, statuses } = await load.stop();
    // THEN some requests fail: the measurement above can see failures
    const failed = sent - (statuses['200'] ?? 0);
    console.log(`stop without draining: ${sent} requests, ${failed} failed, statuses ${JSON.stringify(statuses)}`);
    expect(failed).toBeGreaterThan(0);
  }, 120_000);
});
