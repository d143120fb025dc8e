import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { freePort } from '../lib';

/**
 * The peer stacks the library is measured against, each configured as its own
 * documentation recommends for production: nginx in front (buffering slow
 * clients, keep-alive to the client) and gunicorn or uWSGI behind it on a Unix
 * socket. Every process is a child of this one, in its own process group, on
 * loopback only.
 */

export interface RunningServer {
  readonly url: string;
  stop(): Promise<void>;
}

export interface PeerApp {
  /** Directory holding wsgi.py (module `wsgi`, callable `application`). */
  readonly appDir: string;
  /** A venv (Python 3.11) with gunicorn and the app's packages. */
  readonly venv: string;
}

export interface GunicornConfig {
  readonly workerClass: 'sync' | 'gthread';
  readonly workers: number;
  /** Threads per worker (gthread only). */
  readonly threads?: number;
}

export interface UwsgiConfig {
  readonly processes: number;
  readonly threads: number;
  /** Listen queue; uWSGI's default of 100 overflows under a few hundred clients. */
  readonly listen: number;
}

const NGINX = '/usr/sbin/nginx';
const UWSGI = '/usr/bin/uwsgi';

/** Which peers can run here; the bench prints what is missing instead of failing. */
export function peersAvailable(venv: string): { gunicorn: boolean; uwsgi: boolean; nginx: boolean } {
  const works = (cmd: string, args: string[]) => {
    try {
      execFileSync(cmd, args, { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  return {
    nginx: fs.existsSync(NGINX),
    gunicorn: works(path.join(venv, 'bin', 'python'), ['-m', 'gunicorn', '--version']),
    uwsgi: works(UWSGI, ['--plugin', 'python3', '--version']),
  };
}

/**
 * nginx in front of an upstream on a Unix socket, as gunicorn's and uWSGI's
 * deployment docs show it: `proxy_pass` (gunicorn) or `uwsgi_pass` (uWSGI).
 */
export function nginxConf(opts: { dir: string; port: number; socket: string; protocol: 'http' | 'uwsgi'; user?: string }): string {
  const pass = opts.protocol === 'http'
    ? ['      proxy_set_header Host $http_host;', '      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;', '      proxy_redirect off;', '      proxy_pass http://app_server;']
    : ['      include /etc/nginx/uwsgi_params;', '      uwsgi_pass app_server;'];
  return [
    ...(opts.user ? [`user ${opts.user};`] : []),
    'worker_processes auto;',
    `pid ${opts.dir}/nginx.pid;`,
    `error_log ${opts.dir}/nginx-error.log warn;`,
    'events { worker_connections 4096; }',
    'http {',
    `  access_log ${opts.dir}/nginx-access.log combined;`,
    `  client_body_temp_path ${opts.dir}/body;`,
    `  proxy_temp_path ${opts.dir}/proxy;`,
    `  uwsgi_temp_path ${opts.dir}/uwsgi;`,
    `  fastcgi_temp_path ${opts.dir}/fastcgi;`,
    `  scgi_temp_path ${opts.dir}/scgi;`,
    '  keepalive_timeout 2;',
    `  upstream app_server { server unix:${opts.socket} fail_timeout=0; }`,
    '  server {',
    `    listen 127.0.0.1:${opts.port} backlog=4096;`,
    '    location / {',
    ...pass,
    '    }',
    '  }',
    '}',
    '',
  ].join('\n');
}

/** nginx + gunicorn (gunicorn's docs: (2 x cores) + 1 workers, nginx in front). */
export function startGunicornPeer(app: PeerApp, config: GunicornConfig): Promise<RunningServer> {
  return startBehindNginx('http', (socket) => [path.join(app.venv, 'bin', 'python'), [
    '-m', 'gunicorn', '--bind', `unix:${socket}`, '--umask', '0', '--workers', String(config.workers),
    '--worker-class', config.workerClass, ...(config.workerClass === 'gthread' ? ['--threads', String(config.threads ?? 1)] : []),
    '--chdir', app.appDir, '--log-level', 'warning', 'wsgi:application',
  ]]);
}

/** nginx + uWSGI (Debian's uwsgi with its python3 plugin, the venv as home). */
export function startUwsgiPeer(app: PeerApp, config: UwsgiConfig): Promise<RunningServer> {
  return startBehindNginx('uwsgi', (socket) => [UWSGI, [
    '--plugin', 'python3', '--master', '--uwsgi-socket', socket, '--chmod-socket=666', '--processes', String(config.processes),
    '--threads', String(config.threads), '--listen', String(config.listen), '--virtualenv', app.venv, '--chdir', app.appDir,
    '--module', 'wsgi:application', '--disable-logging', '--die-on-term', '--need-app', '--lazy-apps',
  ]]);
}

async function startBehindNginx(protocol: 'http' | 'uwsgi', backend: (socket: string) => [string, string[]]): Promise<RunningServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-peer-'));
  fs.chmodSync(dir, 0o755);
  const socket = path.join(dir, 'app.sock');
  const port = await freePort();
  const root = process.getuid?.() === 0;
  fs.writeFileSync(path.join(dir, 'nginx.conf'), nginxConf({ dir, port, socket, protocol, user: root ? 'nobody nogroup' : undefined }));
  const [cmd, args] = backend(socket);
  const children: ChildProcess[] = [];
  const logs: string[] = [];
  const run = (c: string, a: string[]) => {
    const child = spawn(c, a, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (d) => { logs.push(String(d)); });
    children.push(child);
    return child;
  };
  run(cmd, args);
  run(NGINX, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'nginx-error.log'), '-g', 'daemon off;']);
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    for (const child of children) {
      await stopChild(child);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    const dead = children.find((c) => c.exitCode !== null);
    if (dead) {
      await stop();
      throw new Error(`${dead.spawnfile} exited before the peer answered: ${logs.join('')}`);
    }
    if (await answers(url)) {
      return { url, stop };
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`peer did not answer within 30 s: ${logs.join('')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** SIGTERM to the child (gunicorn, uWSGI with --die-on-term and nginx all stop on it), SIGKILL to its group after 10 s. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } }, 10_000);
  await exited;
  clearTimeout(timer);
}

/** True once the URL answers 200. */
export function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 2_000, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}
