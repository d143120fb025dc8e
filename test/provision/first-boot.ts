import { ChildProcess, execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { bootableDebianRootTarball } from './debian-root';

const STANDIN = path.join(__dirname, '..', 'support', 'aws-standin.py');
const INSTANCE_ID = 'i-0123456789abcdef0';

/** A process of this test and what it printed. */
export interface Started {
  readonly child: ChildProcess;
  output(): string;
}

/** Starts a process and waits until it prints `ready` (or fails). */
export async function startReady(argv: string[], timeoutMs = 10_000): Promise<Started> {
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  const deadline = Date.now() + timeoutMs;
  while (!out.includes('ready')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${argv.join(' ')} did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, output: () => out };
}

/** The credentials the S3 stand-in accepts (what its IMDS hands out), for a client given them directly. */
export const STANDIN_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'ASIASTANDINEXAMPLE00',
  AWS_SECRET_ACCESS_KEY: 'standin/secret/key/for/tests/only/000000',
  AWS_SESSION_TOKEN: 'standin-session-token',
  AWS_REGION: 'us-east-1',
};

export function standin(mode: 'imds' | 's3' | 'proxy', address: string, port: number, ...rest: string[]): string[] {
  return ['python3', STANDIN, mode, address, String(port), ...rest];
}

/**
 * A network namespace joined to this machine by a veth pair: the machine side
 * is 10.213.N.1, the namespace side (eth0) 10.213.N.2 with its default route
 * back. Nothing is routed beyond: the namespace reaches only what listens on 10.213.N.1.
 */
export class TestNetns {
  public readonly name: string;
  public readonly hostAddress: string;
  public readonly address: string;
  private readonly hostIf: string;

  /**
   * A namespace under the first free index from a start derived from this process:
   * other checkouts may run these tests at the same time, and `ip netns add`
   * fails on a name in use, so each run claims its own names and addresses.
   */
  public static allocate(): TestNetns {
    const start = 16 + (process.pid % 200);
    for (let k = 0; k < 230; k++) {
      const index = 16 + ((start - 16 + k) % 230);
      if (spawnSync('ip', ['netns', 'add', `caw-ns${index}`], { stdio: 'ignore' }).status === 0) {
        return new TestNetns(index);
      }
    }
    throw new Error('no free test network namespace index');
  }

  private constructor(index: number) {
    this.name = `caw-ns${index}`;
    this.hostIf = `caw-h${index}`;
    this.hostAddress = `10.213.${index}.1`;
    this.address = `10.213.${index}.2`;
    const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
    const inNs = (...args: string[]) => execFileSync('ip', ['netns', 'exec', this.name, 'ip', ...args], { stdio: 'pipe' });
    ip('link', 'add', this.hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', this.name);
    ip('addr', 'add', `${this.hostAddress}/30`, 'dev', this.hostIf);
    ip('link', 'set', this.hostIf, 'up');
    inNs('link', 'set', 'lo', 'up');
    inNs('addr', 'add', `${this.address}/30`, 'dev', 'eth0');
    inNs('link', 'set', 'eth0', 'up');
    inNs('route', 'add', 'default', 'via', this.hostAddress);
  }

  /** Adds an address to the namespace's loopback (e.g. the metadata service's). */
  public addLocalAddress(address: string): void {
    execFileSync('ip', ['netns', 'exec', this.name, 'ip', 'addr', 'add', `${address}/32`, 'dev', 'lo'], { stdio: 'pipe' });
  }

  public exec(argv: string[]): string[] {
    return ['ip', 'netns', 'exec', this.name, ...argv];
  }

  public get path(): string {
    return `/run/netns/${this.name}`;
  }

  public remove(): void {
    // Deleting the namespace deletes its end of the veth pair, and so the pair.
    spawnSync('ip', ['netns', 'del', this.name], { stdio: 'ignore' });
    spawnSync('ip', ['link', 'del', this.hostIf], { stdio: 'ignore' });
  }
}

export interface BootOptions {
  readonly root: string;
  readonly netns: TestNetns;
  /** The exact #cloud-config user data. */
  readonly userData: string;
  /** Lines for a systemd drop-in of cloud-final.service (where runcmd runs), e.g. an endpoint override. */
  readonly cloudFinalEnvironment: Record<string, string>;
  /** HTTP proxy apt uses inside the root (the namespace has no other way out). */
  readonly aptProxy: string;
  /** More systemd-nspawn arguments, e.g. --bind of a directory several roots share. @default [] */
  readonly nspawnArgs?: readonly string[];
}

/**
 * A Debian 12 root booted by systemd-nspawn in its own network namespace, with
 * the user data as a NoCloud seed: cloud-init runs it as on EC2's first boot.
 */
export class BootedRoot {
  public readonly nspawn: ChildProcess;
  private console = '';

  constructor(private readonly options: BootOptions) {
    const { root } = options;
    execFileSync('tar', ['-C', root, '-xf', bootableDebianRootTarball()]);
    const write = (rel: string, text: string) => {
      fs.mkdirSync(path.join(root, path.dirname(rel)), { recursive: true });
      fs.writeFileSync(path.join(root, rel), text);
    };
    write('var/lib/cloud/seed/nocloud/user-data', options.userData);
    write('var/lib/cloud/seed/nocloud/meta-data', `instance-id: ${INSTANCE_ID}\nlocal-hostname: caw-first-boot\n`);
    write('etc/cloud/cloud.cfg.d/90-caw-test.cfg', 'datasource_list: [NoCloud]\nnetwork: {config: disabled}\n');
    write('etc/apt/apt.conf.d/90caw-proxy', `Acquire::http::Proxy "${options.aptProxy}";\n`);
    write('etc/systemd/system/cloud-final.service.d/90-caw-test.conf',
      `[Service]\n${Object.entries(options.cloudFinalEnvironment).map(([k, v]) => `Environment=${k}=${v}`).join('\n')}\n`);
    write('etc/resolv.conf', '');
    this.nspawn = spawn('systemd-nspawn', ['-q', '-b', '-D', root, `--network-namespace-path=${options.netns.path}`,
      // Root on a VM may change its firewall; the namespace is the container's own, so this touches nothing else.
      '--capability=CAP_NET_ADMIN',
      '--register=no', '--keep-unit', '--console=pipe', `--machine=${options.netns.name}`, ...(options.nspawnArgs ?? [])], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.nspawn.stdout!.on('data', (d) => { this.console += d; });
    this.nspawn.stderr!.on('data', (d) => { this.console += d; });
  }

  public get consoleOutput(): string {
    return this.console;
  }

  /** Waits until cloud-init's final stage is done; returns the log of its output. */
  public async waitForCloudInit(timeoutMs: number): Promise<string> {
    // Not instance/boot-finished: that is an absolute symlink, meaningful only inside the root.
    // result.json is written after boot-finished, when the final stage has ended: wait for both.
    const done = [path.join(this.options.root, 'var/lib/cloud/instances', INSTANCE_ID, 'boot-finished'), path.join(this.options.root, 'var/lib/cloud/data/result.json')];
    const deadline = Date.now() + timeoutMs;
    while (!done.every((f) => fs.existsSync(f))) {
      if (this.nspawn.exitCode !== null || Date.now() > deadline) {
        throw new Error(`cloud-init did not finish; console:\n${this.console.slice(-2000)}\ncloud-init-output.log:\n${this.cloudInitLog().slice(-6000)}`);
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    return this.cloudInitLog();
  }

  public cloudInitLog(): string {
    const log = path.join(this.options.root, 'var/log/cloud-init-output.log');
    return fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '';
  }

  /** PID (on this machine) of the container's init. */
  public get leader(): number {
    const out = spawnSync('pgrep', ['-P', String(this.nspawn.pid)], { encoding: 'utf8' }).stdout.trim().split('\n')[0];
    return Number(out);
  }

  /** Runs a command inside the container (its mounts, PIDs and network). */
  public run(argv: string[], env: Record<string, string> = {}): ReturnType<typeof spawnSync> {
    return spawnSync('nsenter', ['-t', String(this.leader), '-m', '-u', '-i', '-n', '-p', '-r', '-w', '--', 'env', '-i', 'PATH=/usr/sbin:/usr/bin:/sbin:/bin',
      ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...argv], { encoding: 'utf8', timeout: 120_000 });
  }

  /** Powers the container off (nspawn turns SIGTERM into a clean shutdown), killing it if that hangs. */
  public async stop(): Promise<void> {
    if (this.nspawn.exitCode !== null) {
      return;
    }
    this.nspawn.kill('SIGTERM');
    const deadline = Date.now() + 30_000;
    while (this.nspawn.exitCode === null && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
    }
    if (this.nspawn.exitCode === null) {
      this.nspawn.kill('SIGKILL');
    }
  }
}

/** What a boot test leaves behind: the booted roots, the stand-ins, the namespaces, the work directory. */
export async function tearDownBoot(booted: readonly (BootedRoot | undefined)[], procs: readonly Started[], netns: readonly TestNetns[], work: string): Promise<void> {
  await Promise.all(booted.map((b) => b?.stop()));
  for (const p of procs) {
    p.child.kill('SIGTERM');
  }
  for (const n of netns) {
    n.remove();
  }
  fs.rmSync(work, { recursive: true, force: true });
}
