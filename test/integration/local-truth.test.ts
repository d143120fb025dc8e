import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';
import { Testing, TerraformStack } from 'cdktf';
import { ApacheSite, DaemonGroup, detectLocalApache, freePort, LocalRunOptions, Platform, RUN_TOKEN_HEADER, startLocalSite, VirtualEnv, WsgiApp } from '../../lib';
import { processGroupMembers } from '../../lib/local/proc';
import { registerTsNode, resolveTsNode } from '../../lib/local/ts-node';
import { cli, CliProcess, nodeCli, ROOT_DIR, transpileLib } from './cli-process';
import { request } from './http';

const FIXTURES = path.join(__dirname, 'fixtures');
const PROGRAM_TS = 'test/integration/fixtures/programs/site.ts';
const PROGRAM_JS = 'test/integration/fixtures/programs/site.js';
const IMPORT_ERROR = path.join(FIXTURES, 'import-error');

function siteWithApp(id: string, source: string): ApacheSite {
  const stack = new TerraformStack(Testing.app(), id);
  const site = new ApacheSite(stack, 'Site', { platform: Platform.DEBIAN_12, serverName: `${id}.example` });
  new WsgiApp(site, 'App', {
    mountPath: '/', source, scriptFile: 'wsgi.py',
    daemonGroup: new DaemonGroup(site, 'Group', { virtualEnv: new VirtualEnv(stack, 'Env') }),
  });
  return site;
}

/** The error a start failed with; a start that succeeded is stopped (nothing left running) and reported as such. */
function startError(site: ApacheSite, options: LocalRunOptions = {}): Promise<Error> {
  return startLocalSite(site, options).then(async (run) => {
    await run.stop();
    return new Error('the site started');
  }, (e: Error) => e);
}

/** An HTTP server that is not Apache, answering 200 to everything. */
async function foreignServer(port: number): Promise<http.Server> {
  const server = http.createServer((_req, res) => res.end('not apache'));
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

/** True when something accepts a TCP connection on 127.0.0.1:port. */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setTimeout(2_000, () => { socket.destroy(); resolve(false); });
    socket.on('connect', () => { socket.destroy(); resolve(true); });
    socket.on('error', () => resolve(false));
  });
}

/** A directory only root can enter (0700), with the given files. */
function privateDir(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join('/tmp', 'caw-private-'));
  for (const [name, text] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, name), text);
  }
  fs.chmodSync(dir, 0o700);
  return dir;
}

const WORK_DIRS = () => fs.readdirSync('/tmp').filter((e) => /^caw-[^-]+$/.test(e)).sort();

describe('the local runner never reports a pass from another server', () => {
  test('fails naming the port when another server already listens on the chosen port', async () => {
    // GIVEN a non-Apache HTTP server answering 200 on a port
    const port = await freePort();
    const server = await foreignServer(port);
    try {
      // WHEN a site is started on that port
      // THEN the start fails and names the port; nothing was left behind
      const before = WORK_DIRS();
      const error = await startError(siteWithApp('foreign', path.join(FIXTURES, 'probe')), { port });
      expect(error.message).toContain(`port ${port} on 127.0.0.1 is already in use by another process`);
      expect(WORK_DIRS()).toEqual(before);
    } finally {
      server.close();
    }
  });

  test('fails `serve --check` with exit 1 naming the port, never "local check passed"', async () => {
    // GIVEN a non-Apache HTTP server answering 200 on a port
    const port = await freePort();
    const server = await foreignServer(port);
    try {
      // WHEN the CLI checks a site on that port
      const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const p = new CliProcess(['serve', PROGRAM_TS, '--port', String(port), '--check']);
        p.exited.then(({ code }) => resolve({ code, stdout: p.stdout, stderr: p.stderr }));
      });
      // THEN it fails, naming the port
      expect(result.stderr).toContain(`port ${port} on 127.0.0.1 is already in use by another process`);
      expect(result.stdout).not.toContain('local check passed');
      expect(result.code).toBe(1);
    } finally {
      server.close();
    }
  });

  test('fails naming the port when another server takes the port between the check and Apache\'s bind', async () => {
    // GIVEN an Apache whose start is preceded by another HTTP server grabbing the port and
    // answering 200 for a second before Apache tries to bind it (the race a free-port check cannot close)
    const real = detectLocalApache();
    const port = await freePort();
    const bin = fs.mkdtempSync(path.join('/tmp', 'caw-race-'));
    const wrapper = path.join(bin, 'apache2');
    fs.writeFileSync(wrapper, [
      '#!/bin/sh',
      `[ "$1" = -t ] && exec ${real.binary} "$@"`,
      `${real.pythonBinary} -c 'import http.server as h; h.HTTPServer(("127.0.0.1", ${port}), h.SimpleHTTPRequestHandler).serve_forever()' >/dev/null 2>&1 &`,
      'sleep 1',
      `exec ${real.binary} "$@"`,
      '',
    ].join('\n'), { mode: 0o755 });
    try {
      // WHEN the site is started on that port
      const error = await startError(siteWithApp('race', path.join(FIXTURES, 'probe')), { port, apache: { ...real, binary: wrapper } });
      // THEN the answers of the other server are not taken for Apache's: the start fails naming the port
      expect(error.message).toContain(`port ${port} on 127.0.0.1 is in use by another process: Apache could not bind it`);
      // AND the other server, started in Apache's process group, was stopped with it
      expect(await answers(port)).toBe(false);
    } finally {
      fs.rmSync(bin, { recursive: true, force: true });
    }
  });

  test('every answer of our Apache carries this run\'s token', async () => {
    // GIVEN a running site
    const run = await startLocalSite(siteWithApp('token', path.join(FIXTURES, 'probe')));
    try {
      // WHEN an app is requested
      const res = await request(`${run.url}/`);
      // THEN the response carries the per-run token the readiness check and `--check` require
      expect(res.status).toBe(200);
      expect(run.runToken).toMatch(/^[0-9a-f]{24}$/);
      expect(res.headers[RUN_TOKEN_HEADER]).toBe(run.runToken);
    } finally {
      await run.stop();
    }
  });
});

describe('serve when Apache\'s parent dies', () => {
  test('kill -9 of Apache\'s parent: serve exits 1 at once, no process, socket or work dir is left', async () => {
    // GIVEN `serve` running a site
    const cliProcess = new CliProcess(['serve', PROGRAM_TS]);
    try {
      await cliProcess.waitFor(/Press Ctrl-C to stop/, 90_000);
      const [, pid, workDir] = /apache pid (\d+), work dir (\S+)/.exec(cliProcess.stdout)!;
      const port = Number(/http:\/\/127\.0\.0\.1:(\d+)\//.exec(cliProcess.stdout)![1]);
      expect((await request(`http://127.0.0.1:${port}/`)).status).toBe(200);
      expect(processGroupMembers(Number(pid)).length).toBeGreaterThan(1);
      // WHEN Apache's parent process is killed with SIGKILL
      const killedAt = Date.now();
      process.kill(Number(pid), 'SIGKILL');
      const exit = await Promise.race([cliProcess.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 10_000))]);
      // THEN serve exits non-zero within a few seconds, saying why
      expect(exit).toBeDefined();
      console.log(`kill -9 of Apache's parent: serve exited ${exit!.code} after ${exit!.atMs - killedAt} ms`);
      expect(exit!.code).toBe(1);
      expect(exit!.atMs - killedAt).toBeLessThan(5_000);
      expect(cliProcess.stderr).toContain('exited unexpectedly (SIGKILL)');
      // AND nothing answers on the port, no process of Apache's group remains, the work dir (with the sockets) is gone
      expect(await answers(port)).toBe(false);
      expect(processGroupMembers(Number(pid))).toEqual([]);
      expect(fs.existsSync(workDir)).toBe(false);
    } finally {
      cliProcess.kill();
    }
  });
});

describe('an app that fails at import', () => {
  test('startLocalSite reports the first traceback at once, naming the user\'s file, not the copy', async () => {
    // GIVEN a site whose app raises at import, two frames deep
    const site = siteWithApp('import-error', IMPORT_ERROR);
    // WHEN it is started (with the default 30 s readiness limit)
    const start = Date.now();
    const error = await startError(site);
    const elapsedMs = Date.now() - start;
    console.log(`import error reported after ${elapsedMs} ms, message ${error.message.length} bytes`);
    // THEN the error is the traceback, naming the user's own file and the cause
    expect(error.message).toContain('app import-error/Site/App failed while mod_wsgi loaded it');
    expect(error.message).toContain(`File "${IMPORT_ERROR}/wsgi.py", line 8, in <module>`);
    expect(error.message).toContain(`File "${IMPORT_ERROR}/wsgi.py", line 5, in load_settings`);
    expect(error.message).toContain('ModuleNotFoundError: No module named \'caw_settings_module_that_does_not_exist\'');
    expect(error.message).not.toMatch(/\/tmp\/caw-[^/]+\/apps\//);
    // AND it came within a few seconds, once, and small
    expect(elapsedMs).toBeLessThan(5_000);
    expect(error.message.match(/Traceback \(most recent call last\)/g)).toHaveLength(1);
    expect(error.message.length).toBeLessThan(2_000);
  });

  test('`serve --check` prints that traceback once on stderr and exits 1', () => {
    // GIVEN the program pointed at the failing app
    // WHEN the CLI checks it
    const start = Date.now();
    const result = cli(['serve', PROGRAM_TS, '--check'], { env: { CAW_TEST_APP_SOURCE: IMPORT_ERROR } });
    const elapsedMs = Date.now() - start;
    console.log(`CLI with an import error: exit ${result.status} after ${elapsedMs} ms (ts-node load included), stderr ${result.stderr.length} bytes`);
    // THEN stderr is the one traceback naming the user's file, and the exit code is 1
    expect(result.stderr).toContain(`File "${IMPORT_ERROR}/wsgi.py", line 8, in <module>`);
    expect(result.stderr.match(/Traceback/g)).toHaveLength(1);
    expect(result.stderr.length).toBeLessThan(2_000);
    expect(result.stdout).not.toContain('local check passed');
    expect(result.status).toBe(1);
  });
});

describe('code the runner\'s users cannot read', () => {
  test('fails naming the path and the user when the CLI user cannot read the source', () => {
    // GIVEN app code in a directory only root can enter
    const dir = privateDir({ 'wsgi.py': 'def application(e, s):\n    pass\n' });
    try {
      // WHEN the CLI runs as nobody
      const result = cli(['serve', PROGRAM_TS, '--check'], { asNobody: true, env: { CAW_TEST_APP_SOURCE: dir } });
      // THEN it names the path and the user
      expect(result.stderr).toContain(`truth-ts/Site/App: source "${dir}" is invalid; expected a directory readable by user nobody (uid 65534), who runs this program; it is not`);
      expect(result.status).toBe(1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('fails naming the path and the user when a parent directory of the source denies the CLI user', () => {
    // GIVEN readable app code inside a directory only root can enter (a checkout under /root)
    const parent = privateDir({});
    const dir = path.join(parent, 'app');
    fs.mkdirSync(dir, { mode: 0o755 });
    fs.copyFileSync(path.join(FIXTURES, 'probe', 'wsgi.py'), path.join(dir, 'wsgi.py'));
    try {
      // WHEN the CLI runs as nobody
      const result = cli(['serve', PROGRAM_TS, '--check'], { asNobody: true, env: { CAW_TEST_APP_SOURCE: dir } });
      // THEN it names the path and the user
      expect(result.stderr).toContain(`truth-ts/Site/App: source "${dir}" is invalid; expected a path that user nobody (uid 65534) can reach; a parent directory denies access`);
      expect(result.status).toBe(1);
    } finally {
      fs.rmSync(parent, { recursive: true, force: true });
    }
  });

  test('fails naming the file and the user when a file inside the source is unreadable by the CLI user', () => {
    // GIVEN readable app code with one module only root can read
    const dir = fs.mkdtempSync(path.join('/tmp', 'caw-src-'));
    fs.chmodSync(dir, 0o755);
    fs.copyFileSync(path.join(FIXTURES, 'probe', 'wsgi.py'), path.join(dir, 'wsgi.py'));
    fs.chmodSync(path.join(dir, 'wsgi.py'), 0o644);
    fs.writeFileSync(path.join(dir, 'settings.py'), 'SECRET = 1\n', { mode: 0o600 });
    try {
      // WHEN the CLI runs as nobody
      const result = cli(['serve', PROGRAM_TS, '--check'], { asNobody: true, env: { CAW_TEST_APP_SOURCE: dir } });
      // THEN it names that file and the user, and starts nothing
      expect(result.stderr).toContain(`truth-ts/Site/App: source ${dir}/settings.py is not readable by user nobody (uid 65534), who runs the local Apache`);
      expect(result.stdout).not.toContain('local check passed');
      expect(result.status).toBe(1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('as root: fails naming the file and the daemon user when Apache\'s user cannot read the copied code', async () => {
    // CI runs as root, where Apache's children and daemons switch to www-data
    expect(process.getuid?.()).toBe(0);
    // GIVEN app code whose module is a symbolic link into a directory only root can enter
    const secret = privateDir({ 'settings.py': 'NAME = "secret"\n' });
    const source = fs.mkdtempSync(path.join('/tmp', 'caw-src-'));
    fs.copyFileSync(path.join(FIXTURES, 'probe', 'wsgi.py'), path.join(source, 'wsgi.py'));
    fs.symlinkSync(path.join(secret, 'settings.py'), path.join(source, 'settings.py'));
    try {
      // WHEN the site is started
      const error = await startError(siteWithApp('unreadable', source));
      // THEN it fails, naming the user's path (not the copy) and the daemon user
      expect(error.message).toContain(`${source}/settings.py is not readable by user www-data`);
    } finally {
      fs.rmSync(secret, { recursive: true, force: true });
      fs.rmSync(source, { recursive: true, force: true });
    }
  });
});

describe('serve loads JavaScript and TypeScript programs', () => {
  // The CLI as an installed package runs it: JavaScript, no TypeScript loader registered up front.
  let lib: ReturnType<typeof transpileLib>;
  beforeAll(() => { lib = transpileLib(); });
  afterAll(() => lib?.cleanup());

  test.each([
    ['main.js', PROGRAM_JS],
    ['main.ts', PROGRAM_TS],
  ])('--check passes for a %s program, run as nobody from another working directory', (_kind, program) => {
    // WHEN the JavaScript CLI checks the program as a non-root user, from /
    const result = nodeCli(lib.cli, ['serve', path.join(ROOT_DIR, program), '--check'], { CAW_TEST_LIB: lib.dir });
    // THEN the program loaded (for .ts, with the ts-node found from the program) and its app answered from this run's Apache
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    expect(result.stdout).toMatch(/\[health\] ok   http:\/\/127\.0\.0\.1:\d+\/ -> 200 \(healthy: 200-399,401,403\)\n/);
    expect(result.stdout).toContain('local check passed');
  });

  test('fails with what to install when ts-node is found neither in the project nor beside the package', () => {
    // GIVEN a TypeScript program and ts-node looked up only where it is not installed
    // THEN the error says how to get ts-node or avoid it
    expect(() => registerTsNode('/nowhere/main.ts', ['/nowhere', '/']))
      .toThrow(/\/nowhere\/main\.ts is TypeScript.*ts-node.*npm install --save-dev ts-node.*compile the program to JavaScript/);
  });

  test('resolves ts-node from the program\'s directory, not the working directory', () => {
    // GIVEN a working directory without node_modules
    const cwd = process.cwd();
    process.chdir('/');
    try {
      // THEN ts-node is still found from the program's location
      expect(resolveTsNode([path.join(FIXTURES, 'programs')])).toBe(path.join(ROOT_DIR, 'node_modules', 'ts-node', 'dist', 'index.js'));
    } finally {
      process.chdir(cwd);
    }
  });
});
