import { ChildProcess, execFileSync, spawn, spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

// scripts/install-terraform.sh, the part of `npm test`'s system-deps.sh that installs
// terraform on a fresh Debian: its download served from a loopback HTTP server
// (HashiCorp's site is not reachable from CI), its install directory a temporary one.
const SCRIPT = path.join(__dirname, '..', '..', 'scripts', 'install-terraform.sh');
const PINNED = /^sha256_linux_amd64=([0-9a-f]{64})$/m.exec(fs.readFileSync(SCRIPT, 'utf8'))![1];

let scratch: string;
let server: ChildProcess;
let baseUrl: string;
let tamperedSha: string;
/** This machine's terraform, whose zip is served. */
let terraform: string;

const sha256 = (data: Buffer) => crypto.createHash('sha256').update(data).digest('hex');

/** A zip with one member, `terraform`, as HashiCorp's release zips have it (python3: no zip package needed). */
function writeZip(file: string, member: string): void {
  execFileSync('python3', ['-c', [
    'import sys, zipfile',
    'with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:',
    '    z.write(sys.argv[2], "terraform")',
  ].join('\n'), file, member]);
}

/** Runs the installer into a fresh directory; returns its exit status, stderr and that directory. */
function install(url: string): { status: number | null; stderr: string; binDir: string } {
  const binDir = fs.mkdtempSync(path.join(scratch, 'bin-'));
  const result = spawnSync('sh', [SCRIPT], {
    env: { ...process.env, CAW_TERRAFORM_BIN_DIR: binDir, CAW_TERRAFORM_ZIP_URL: url },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stderr: result.stderr, binDir };
}

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

beforeAll(async () => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'caw-terraform-install-'));
  const served = path.join(scratch, 'served');
  fs.mkdirSync(served);
  // The real zip holds this machine's terraform (the pinned build, checked in its test);
  // the tampered one the same binary with one byte appended.
  terraform = execFileSync('sh', ['-c', 'command -v terraform'], { encoding: 'utf8' }).trim();
  writeZip(path.join(served, 'real.zip'), terraform);
  const tampered = Buffer.concat([fs.readFileSync(terraform), Buffer.from([0])]);
  tamperedSha = sha256(tampered);
  fs.writeFileSync(path.join(scratch, 'terraform'), tampered);
  writeZip(path.join(served, 'tampered.zip'), path.join(scratch, 'terraform'));
  fs.writeFileSync(path.join(served, 'page.zip'), '<html>a captive portal, not a zip</html>\n');

  server = spawn('python3', ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', served], { stdio: ['ignore', 'pipe', 'ignore'] });
  const port = await new Promise<string>((resolve, reject) => {
    let out = '';
    server.stdout!.on('data', (chunk) => {
      out += chunk;
      const m = / port (\d+) /.exec(out);
      if (m) resolve(m[1]);
    });
    server.on('exit', (code) => reject(new Error(`python3 -m http.server exited ${code}: ${out}`)));
  });
  baseUrl = `http://127.0.0.1:${port}`;
}, 60_000);

afterAll(() => {
  server?.kill();
  fs.rmSync(scratch, { recursive: true, force: true });
});

test('installs the pinned terraform from the release zip, which runs', () => {
  // GIVEN the zip of this machine's terraform, which must be the pinned official build
  const localSha = sha256(fs.readFileSync(terraform));
  if (localSha !== PINNED) {
    throw new Error(`${terraform} (sha256 ${localSha}) is not the pinned terraform 1.11.4 linux_amd64 build (${PINNED})`);
  }

  // WHEN the installer downloads it
  const { status, stderr, binDir } = install(`${baseUrl}/real.zip`);

  // THEN an executable terraform 1.11.4 is in the install directory, and nothing else
  expect({ status, stderr }).toMatchObject({ status: 0, stderr: expect.stringContaining(`installed terraform 1.11.4 at ${binDir}/terraform`) });
  expect(fs.readdirSync(binDir)).toEqual(['terraform']);
  expect(fs.statSync(path.join(binDir, 'terraform')).mode & 0o777).toBe(0o755);
  const version = JSON.parse(execFileSync(path.join(binDir, 'terraform'), ['version', '-json'], {
    encoding: 'utf8', env: { ...process.env, CHECKPOINT_DISABLE: '1' }, stdio: ['ignore', 'pipe', 'ignore'],
  }));
  expect(version.terraform_version).toBe('1.11.4');
});

test('fails on a tampered binary, naming both hashes, and installs nothing', () => {
  // GIVEN a zip whose terraform differs from the pinned build by one byte
  const url = `${baseUrl}/tampered.zip`;

  // WHEN the installer downloads it
  const { status, stderr, binDir } = install(url);

  // THEN it refuses, saying what it expected and what it got
  expect(status).toBe(1);
  expect(stderr).toContain(`SHA-256 mismatch for terraform from ${url}: expected ${PINNED}, got ${tamperedSha} (nothing installed)`);
  expect(fs.readdirSync(binDir)).toEqual([]);
});

test('fails on a download that is not a zip and installs nothing', () => {
  // GIVEN a URL that answers with an HTML page
  const url = `${baseUrl}/page.zip`;

  // WHEN the installer downloads it
  const { status, stderr, binDir } = install(url);

  // THEN it says it could not unpack it
  expect(status).toBe(1);
  expect(stderr).toContain('not a terraform release zip');
  expect(stderr).toContain(`could not unpack ${url} (nothing installed)`);
  expect(fs.readdirSync(binDir)).toEqual([]);
});

test('fails on an unreachable URL and installs nothing', async () => {
  // GIVEN a loopback port nothing listens on
  const url = `http://127.0.0.1:${await closedPort()}/terraform_1.11.4_linux_amd64.zip`;

  // WHEN the installer tries to download from it
  const { status, stderr, binDir } = install(url);

  // THEN it says the download failed, and where from
  expect(status).toBe(1);
  expect(stderr).toContain(`download failed: ${url} (nothing installed)`);
  expect(fs.readdirSync(binDir)).toEqual([]);
});
