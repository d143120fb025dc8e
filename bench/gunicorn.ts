import { spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import { freePort } from '../lib';

export interface GunicornOptions {
  /** Directory holding the WSGI module. */
  readonly appDir: string;
  /** e.g. 'wsgi:application' */
  readonly module: string;
  readonly workers: number;
  /** 'sync' or 'gthread' */
  readonly workerClass: 'sync' | 'gthread';
  /** Threads per worker (gthread only). */
  readonly threads?: number;
  /** @default '/usr/bin/python3.11' (Debian's python3-gunicorn) */
  readonly python?: string;
}

export interface RunningServer {
  readonly url: string;
  stop(): Promise<void>;
}

/** True when `python -m gunicorn` works on this machine. */
export function gunicornAvailable(python = '/usr/bin/python3.11'): boolean {
  if (!fs.existsSync(python)) {
    return false;
  }
  const { status } = require('child_process').spawnSync(python, ['-m', 'gunicorn', '--version'], { stdio: 'ignore' });
  return status === 0;
}

/** Starts gunicorn on a free loopback port as a child in its own process group; resolves once it answers. */
export async function startGunicorn(opts: GunicornOptions): Promise<RunningServer> {
  const port = await freePort();
  const args = ['-m', 'gunicorn', '--bind', `127.0.0.1:${port}`, '--workers', String(opts.workers), '--worker-class', opts.workerClass,
    '--chdir', opts.appDir, '--log-level', 'warning'];
  if (opts.workerClass === 'gthread') {
    args.push('--threads', String(opts.threads ?? 1));
  }
  args.push(opts.module);
  const child = spawn(opts.python ?? '/usr/bin/python3.11', args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += d; });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) {
      return;
    }
    child.kill('SIGTERM');
    const timer = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } }, 10_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`gunicorn exited before answering: ${stderr}`);
    }
    if (await answers(url)) {
      return { url, stop };
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`gunicorn did not answer within 20 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 1_000, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}
