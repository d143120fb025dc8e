import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import type { ApacheSite } from '../apache-site';
import { directive } from '../conf/model';
import { renderConf } from '../conf/render';
import { SiteLayout } from '../conf/site-spec';
import { STANDALONE_MODULES, standaloneConf } from '../conf/standalone-conf';
import { detectLocalApache, LocalApache } from './detect';
import { wsgiScriptName } from '../provision/boot';
import { installAppRuntime, LocalAppRuntime, localSecretValues, runBuildCommands, runReleaseCommands, writeLocalSecrets } from './app-runtime';
import { ImportErrorWatch, SourceMap } from './import-errors';
import { processes, processGroupMembers } from './proc';
import { checkReadableBy, copyAppSource } from './readable';
import { buildLocalVenv } from './venv-builder';

/** Response header carrying a per-run token: an answer without it came from another server. */
export const RUN_TOKEN_HEADER = 'x-cdktf-apache-wsgi-run';

export interface LocalRunOptions {
  /** TCP port on 127.0.0.1. @default 0 - a free port */
  readonly port?: number;
  /** Where built venvs are cached between runs. @default <os tmpdir>/cdktf-apache-wsgi-venvs-<uid> */
  readonly venvCacheDir?: string;
  /** Progress and error-log lines. @default - discarded */
  readonly log?: (line: string) => void;
  /** Forward new error-log lines to `log` while running. @default false */
  readonly streamErrorLog?: boolean;
  /** How long to wait for every app to answer. @default 30000 */
  readonly readyTimeoutMs?: number;
  /** The Apache to use. @default - detectLocalApache() */
  readonly apache?: LocalApache;
  /** Keep the private directory (config, logs, app copies) after stop(). @default false */
  readonly keepWorkDir?: boolean;
  /**
   * Where the daemon groups' data directories live; kept between runs.
   * @default <os tmpdir>/cdktf-apache-wsgi-data-<uid>/<site name>
   */
  readonly dataDir?: string;
  /** `NAME=value` file with secret values not in the environment. @default - the environment only */
  readonly envFile?: string;
  /** Where secret values are looked up first. @default process.env */
  readonly environment?: Readonly<Record<string, string | undefined>>;
}

/** A site served by a real Apache child process. */
export interface RunningSite {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly port: number;
  /** PID of Apache's parent process (its own process group). */
  readonly pid: number;
  /** Private directory with the config, logs, sockets and copied app code. */
  readonly workDir: string;
  readonly configFile: string;
  readonly errorLog: string;
  readonly accessLog: string;
  readonly apache: LocalApache;
  /** URL of each app by app name. */
  readonly appUrls: Readonly<Record<string, string>>;
  /** Value of the RUN_TOKEN_HEADER this Apache sets on every response. */
  readonly runToken: string;
  /** PIDs of the mod_wsgi daemon processes of one group (or all groups). */
  daemonPids(groupName?: string): number[];
  /** Touch the app's WSGI script: its daemon processes restart gracefully (no `apache2 -k graceful`). */
  reloadApp(appName: string): void;
  /** SIGTERM to Apache, then SIGKILL to its process group if it has not exited; removes workDir unless kept. */
  stop(): Promise<void>;
  /**
   * Resolves with Apache's exit code or signal once Apache has exited and no
   * process of its group is left. If it exits on its own (not by stop()), the
   * work directory is removed too (unless kept) before this resolves.
   */
  readonly exited: Promise<string>;
}

const ROOT = process.getuid?.() === 0;

/**
 * Runs the same virtual host and server settings the site synthesizes, on the
 * local Apache + mod_wsgi: builds the venvs with the Python mod_wsgi links,
 * renders a self-contained config, checks it with `-t`, starts Apache in the
 * foreground as a child and waits until every app answers.
 */
export async function startLocalSite(site: ApacheSite, options: LocalRunOptions = {}): Promise<RunningSite> {
  const log = options.log ?? (() => {});
  const apache = options.apache ?? detectLocalApache();
  checkPython(site, apache, log);
  if (options.port) {
    await assertPortFree(options.port);
  }

  // Short private dir: mod_wsgi socket paths must stay under ~100 characters.
  const workDir = fs.mkdtempSync(path.join('/tmp', 'caw-'));
  const removeWorkDir = () => {
    if (!options.keepWorkDir) {
      fs.rmSync(workDir, { recursive: true, force: true });
    }
  };
  try {
    return await startIn(workDir, site, apache, options, log, removeWorkDir);
  } catch (e) {
    removeWorkDir();
    throw e;
  }
}

async function startIn(workDir: string, site: ApacheSite, apache: LocalApache, options: LocalRunOptions, log: (line: string) => void,
  removeWorkDir: () => void): Promise<RunningSite> {
  fs.chmodSync(workDir, 0o755);
  for (const dir of ['apps', 'htdocs', 'logs', 'run']) {
    fs.mkdirSync(path.join(workDir, dir), { mode: 0o755 });
  }
  // Per user: a cache left by root is not writable by anyone else.
  const venvCacheDir = options.venvCacheDir ?? path.join(os.tmpdir(), `cdktf-apache-wsgi-venvs-${os.userInfo().uid}`);
  const venvDirs: Record<string, string> = {};
  for (const venv of site.virtualEnvs) {
    venvDirs[venv.venvName] = buildLocalVenv(venv, apache.pythonBinary, apache.pythonVersion, venvCacheDir, log);
  }
  // Copies, so a reload touches our script and never the user's checkout.
  const appDirs: Record<string, string> = {};
  const sources = new SourceMap();
  for (const app of site.apps) {
    appDirs[app.appName] = path.join(workDir, 'apps', app.appName);
    copyAppSource(app.node.path, app.source, appDirs[app.appName]);
    sources.add(app.node.path, appDirs[app.appName], path.resolve(app.source));
    // Apache runs a generated entry script per app; it is gone with the work directory.
    sources.add(app.node.path, path.join(workDir, 'boot', wsgiScriptName(app.appName)), `<entry script generated for ${app.appName}>`);
  }
  sources.add('', path.join(workDir, 'boot'), '<cdktf-apache-wsgi boot>');
  const user = ROOT ? unprivilegedUser() : undefined;
  const layout: SiteLayout = {
    appDirs,
    venvDirs,
    home: workDir,
    documentRoot: path.join(workDir, 'htdocs'),
    socketPrefix: path.join(workDir, 'run', 'wsgi'),
    bootDir: path.join(workDir, 'boot'),
    secretsDir: path.join(workDir, 'secrets'),
    dataDir: options.dataDir ?? path.join(os.tmpdir(), `cdktf-apache-wsgi-data-${os.userInfo().uid}`, site.siteName),
    errorLog: path.join(workDir, 'logs', 'error.log'),
    accessLog: path.join(workDir, 'logs', 'access.log'),
    // As root the daemons run as Apache's User; the per-group users exist only on provisioned hosts.
    daemonUsers: false,
    listen: false,
  };
  // The same steps a host's recipe runs: boot files and data directories, build
  // commands in the copy, then (code readable) secrets and release commands.
  const spec = site.toSpec();
  const runtime: LocalAppRuntime = { runAs: user, secretValues: localSecretValues(spec, options.environment ?? process.env, options.envFile), log };
  installAppRuntime(spec, layout, runtime);
  runBuildCommands(spec, layout, runtime);
  makeReadable(workDir);
  writeLocalSecrets(spec, layout, runtime);
  runReleaseCommands(spec, layout, runtime);
  if (user) {
    // The children (user) connect to the daemon sockets the parent creates here.
    execFileSync('chown', [user, path.join(workDir, 'run')]);
    // Children and daemons run as `user`: code or venvs it cannot read fail only at import.
    checkReadableBy(user, [
      ...site.apps.map((app) => ({ path: appDirs[app.appName], what: `${app.node.path} code (copied from ${path.resolve(app.source)})`, display: sources.toSource })),
      ...site.virtualEnvs.map((venv) => ({ path: venvDirs[venv.venvName], what: `${venv.node.path} virtualenv` })),
    ]);
  }
  const configFile = path.join(workDir, 'httpd.conf');
  const runToken = crypto.randomBytes(12).toString('hex');

  // A free port can be taken again before Apache binds it (other servers, client
  // sockets of a load test): pick another one, unless the caller chose the port.
  for (let attempt = 1; ; attempt++) {
    const port = options.port || await freePort();
    const nodes = standaloneConf(spec, layout, {
      serverRoot: workDir,
      pidFile: path.join(workDir, 'run', 'httpd.pid'),
      listenAddress: '127.0.0.1',
      port,
      modules: Object.fromEntries(STANDALONE_MODULES.map((m) => [m, path.join(apache.modulesDir, `mod_${m}.so`)])),
      mimeTypesFile: apache.mimeTypesFile,
      errorLog: layout.errorLog,
      user,
    });
    // Proof that an answer on this port comes from this Apache, not whatever else listens there.
    nodes.push(directive('Header', 'always', 'set', RUN_TOKEN_HEADER, runToken));
    fs.writeFileSync(configFile, renderConf(nodes, { header: [`Local run of ${site.node.path} generated by cdktf-apache-wsgi.`] }));
    checkConfigSyntax(apache.binary, configFile);
    fs.rmSync(layout.errorLog, { force: true });

    const child = spawn(apache.binary, ['-f', configFile, '-DFOREGROUND'], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => { stderr += d; });
    const state = { started: false, stopping: false, tail: undefined as { stop(): void } | undefined };
    const pid = child.pid!;
    const exited = new Promise<string>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? String(code))))
      .then(async (how) => {
        // Daemons and children share Apache's process group: none may outlive it.
        const survivors = await killProcessGroup(pid);
        if (survivors.length > 0) {
          log(`warning: processes ${survivors.join(', ')} of Apache's process group ${pid} survived SIGKILL for 5 s`);
        }
        state.tail?.stop();
        if (state.started && !state.stopping) {
          removeWorkDir();
          log(`Apache (pid ${pid}) exited on its own (${how}); stopped what was left of its process group${options.keepWorkDir ? '' : ` and removed ${workDir}`}`);
        }
        return how;
      });
    const url = `http://127.0.0.1:${port}`;
    const appUrls = Object.fromEntries(site.apps.map((a) => [a.appName, url + (a.mountPath === '/' ? '/' : a.mountPath)]));
    const running = makeRunning(child, state, { url, port, workDir, configFile, errorLog: layout.errorLog, accessLog: layout.accessLog, apache, appUrls, exited, runToken }, site, removeWorkDir);
    const importErrors = new ImportErrorWatch(layout.errorLog, sources);
    try {
      await waitReady(Object.values(appUrls), runToken, exited, options.readyTimeoutMs ?? 30_000, importErrors);
    } catch (e) {
      state.stopping = true;
      const errors = fs.existsSync(layout.errorLog) ? fs.readFileSync(layout.errorLog, 'utf8') : '';
      await stopApache(child, pid, exited);
      if (e instanceof AppImportError) {
        throw new Error(`${site.node.path}: ${e.message}`);
      }
      if (/Address already in use/.test(stderr + errors)) {
        if (!options.port && attempt < 3) {
          log(`port ${port} was taken before Apache bound it; trying another`);
          continue;
        }
        throw new Error(`${site.node.path}: port ${port} on 127.0.0.1 is in use by another process: Apache could not bind it. Stop that server or choose another port.`);
      }
      throw new Error(`${site.node.path}: Apache did not serve every app: ${(e as Error).message}\n${stderr}${tailLines(sources.toSource(errors), 40)}`);
    }
    state.started = true;
    if (options.streamErrorLog) {
      state.tail = tailFile(layout.errorLog, (line) => log(sources.toSource(line)));
    }
    log(`serving ${site.node.path} at ${url}`);
    return running;
  }
}

interface RunState { started: boolean; stopping: boolean }

function makeRunning(child: ChildProcess, state: RunState, base: Omit<RunningSite, 'pid' | 'daemonPids' | 'reloadApp' | 'stop'>, site: ApacheSite,
  removeWorkDir: () => void): RunningSite {
  const pid = child.pid!;
  return {
    ...base,
    pid,
    daemonPids: (groupName?: string) => daemonPids(pid, groupName),
    reloadApp: (appName: string) => {
      const app = site.apps.find((a) => a.appName === appName);
      if (!app) {
        throw new Error(`${site.node.path} has no app named ${appName}`);
      }
      const script = path.join(base.workDir, 'boot', wsgiScriptName(appName));
      const now = new Date();
      fs.utimesSync(script, now, now);
    },
    stop: async () => {
      state.stopping = true;
      await stopApache(child, pid, base.exited);
      removeWorkDir();
    },
  };
}

async function stopApache(child: ChildProcess, pid: number, exited: Promise<string>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const timeout = new Promise<string>((resolve) => setTimeout(() => resolve('timeout'), 10_000).unref());
    if (await Promise.race([exited, timeout]) === 'timeout') {
      signalGroup(pid, 'SIGKILL');
    }
  }
  await exited;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // no process left in the group
  }
}

/** SIGKILL to a process group until none of its processes is left (at most 5 s); returns survivors. */
async function killProcessGroup(pgid: number): Promise<number[]> {
  const deadline = Date.now() + 5_000;
  let members = processGroupMembers(pgid);
  while (members.length > 0 && Date.now() < deadline) {
    signalGroup(pgid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 20));
    members = processGroupMembers(pgid);
  }
  return members;
}

/** Fails, naming the port, when any other process listens on (or holds) 127.0.0.1:port. */
function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', (e: NodeJS.ErrnoException) => reject(new Error(e.code === 'EADDRINUSE'
      ? `port ${port} on 127.0.0.1 is already in use by another process; nothing was started. Stop that server or choose another port.`
      : `cannot use port ${port} on 127.0.0.1: ${e.message}`)));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve()));
  });
}

/** Fails early, with Apache's own message, on a config Apache rejects. */
export function checkConfigSyntax(binary: string, configFile: string): void {
  try {
    execFileSync(binary, ['-t', '-f', configFile], { stdio: 'pipe', encoding: 'utf8' });
  } catch (e: any) {
    throw new Error(`${binary} -t rejected ${configFile}:\n${e.stderr ?? e.message}`);
  }
}

function checkPython(site: ApacheSite, apache: LocalApache, log: (line: string) => void): void {
  for (const venv of site.virtualEnvs) {
    if (venv.pythonVersion !== undefined && venv.pythonVersion !== apache.pythonVersion) {
      throw new Error(`${venv.node.path}: pythonVersion ${venv.pythonVersion} cannot run here: the local mod_wsgi (${apache.modWsgiPath}) links Python ${apache.pythonVersion}`);
    }
  }
  if (site.platform.pythonVersion !== apache.pythonVersion) {
    log(`warning: ${site.node.path} targets ${site.platform.id} (Python ${site.platform.pythonVersion}); this local run uses the local mod_wsgi's Python ${apache.pythonVersion}`);
  }
}

function unprivilegedUser(): string {
  for (const name of ['www-data', 'apache', 'nobody']) {
    try {
      execFileSync('id', ['-u', name], { stdio: 'ignore' });
      return name;
    } catch {
      // try the next one
    }
  }
  throw new Error('running as root needs an unprivileged user for Apache (www-data, apache or nobody); none exists');
}

function makeReadable(dir: string): void {
  execFileSync('chmod', ['-R', 'a+rX', dir]);
}

/** A free TCP port on 127.0.0.1, found by binding port 0. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** An app raised while mod_wsgi loaded it: waiting longer only repeats the same traceback. */
class AppImportError extends Error {}

async function waitReady(urls: string[], runToken: string, exited: Promise<string>, timeoutMs: number, importErrors: ImportErrorWatch): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let gone: string | undefined;
  exited.then((how) => { gone = how; });
  for (const url of urls) {
    for (;;) {
      const failure = importErrors.poll();
      if (failure) {
        throw new AppImportError(failure);
      }
      if (gone !== undefined) {
        throw new Error(`Apache exited (${gone}) before ${url} answered`);
      }
      const answer = await httpGet(url, 1_000);
      // Only an answer carrying this run's token is ours: another server may hold the port.
      if (answer && answer.status < 500 && answer.token === runToken) {
        break;
      }
      if (Date.now() > deadline) {
        const last = answer ? `${answer.status}${answer.token === runToken ? '' : ', not from this Apache'}` : 'none';
        throw new Error(`${url} did not answer within ${timeoutMs} ms (last status ${last})`);
      }
      await new Promise((r) => setTimeout(r, 30));
    }
  }
}

function httpGet(url: string, timeoutMs: number): Promise<{ status: number; token?: string } | undefined> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      const token = res.headers[RUN_TOKEN_HEADER];
      resolve({ status: res.statusCode ?? 0, token: Array.isArray(token) ? token[0] : token });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

function tailLines(text: string, count: number): string {
  const lines = text.split('\n');
  return lines.length > count ? [`... (${lines.length - count} earlier lines)`, ...lines.slice(-count)].join('\n') : text;
}

/** Daemon processes are Apache's children named `(wsgi:<group>)` by display-name=%{GROUP}. */
function daemonPids(apachePid: number, groupName?: string): number[] {
  return processes()
    .filter((p) => {
      const match = /^\(wsgi:(.+)\)/.exec(p.argv0);
      return p.ppid === apachePid && match !== null && (groupName === undefined || match[1] === groupName);
    })
    .map((p) => p.pid)
    .sort((a, b) => a - b);
}

/** Follows a growing file and passes each new line on. */
function tailFile(file: string, onLine: (line: string) => void): { stop(): void } {
  let offset = 0;
  let rest = '';
  const timer = setInterval(() => {
    if (!fs.existsSync(file)) {
      return;
    }
    const size = fs.statSync(file).size;
    if (size <= offset) {
      return;
    }
    const fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(size - offset);
    fs.readSync(fd, buf, 0, buf.length, offset);
    fs.closeSync(fd);
    offset = size;
    const lines = (rest + buf.toString('utf8')).split('\n');
    rest = lines.pop() ?? '';
    lines.forEach(onLine);
  }, 200);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
