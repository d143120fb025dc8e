import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { freePort } from '../../lib';
import { AWS_CLIENT_PY } from '../../lib/provision/aws-client';
import { RELEASE_PY } from '../../lib/provision/release';
import { STANDIN_CREDENTIALS, startReady, Started, standin } from './first-boot';

const BUCKET = 'caw-release-once';

interface Run { readonly status: number | null; readonly stdout: string; readonly stderr: string }

/**
 * The fleet's release program (release.py + aws_client.py) as processes on this
 * machine, several at once like instances of one deploy, against the S3
 * stand-in (conditional PutObject answered 412 as S3 does, ETag and
 * Last-Modified). Each "instance" records a run of the release command by
 * appending its name to one file.
 */
describe('release steps once per bundle (release.py against the S3 stand-in)', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'caw-release-once-'));
  const objects = path.join(work, 's3');
  let s3: Started;
  let env: Record<string, string>;
  let bundles = 0;

  beforeAll(async () => {
    fs.writeFileSync(path.join(work, 'aws_client.py'), AWS_CLIENT_PY);
    fs.writeFileSync(path.join(work, 'release.py'), RELEASE_PY);
    fs.mkdirSync(objects);
    const port = await freePort();
    s3 = await startReady(standin('s3', '127.0.0.1', port, objects));
    env = { PATH: process.env.PATH!, ...STANDIN_CREDENTIALS, AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}` };
  });

  afterAll(() => {
    s3?.child.kill('SIGTERM');
    fs.rmSync(work, { recursive: true, force: true });
  });

  /** A new bundle: its bootstrap config, the file its release command appends to, and its marker's path in the stand-in. */
  function newBundle(): { config: string; runs: string; marker: string } {
    const sha = String(++bundles).repeat(64).slice(0, 64);
    const key = `site/releases/${sha}.json`;
    const config = path.join(work, `config-${bundles}.json`);
    fs.writeFileSync(config, JSON.stringify({ bucket: BUCKET, key: `site/${sha}.tar.gz`, sha256: sha, releaseMarker: key }));
    return { config, runs: path.join(work, `runs-${bundles}`), marker: path.join(objects, BUCKET, key) };
  }

  function release(name: string, config: string, script: string, leaseSec = 60, waitSec = 60): Promise<Run> {
    const commands = [{ label: `release ${name}`, argv: ['sh', '-c', script, name] }];
    const child = spawn('python3', [path.join(work, 'release.py'), config, String(leaseSec), String(waitSec), JSON.stringify(commands)], { env, cwd: work });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
  }

  const lines = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n') : []);
  const marker = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));
  const names = (n: number) => Array.from({ length: n }, (_, i) => `i-${i}`);

  test('five instances started together: exactly one runs the release command, the others wait and skip it', async () => {
    // GIVEN a new bundle; WHEN five instances provision it at once (the command takes 2 s)
    const b = newBundle();
    const runs = await Promise.all(names(5).map((n) => release(n, b.config, `echo "$0" >> ${b.runs}; sleep 2`)));
    // THEN every instance succeeds, the command ran once, and the marker records it as done
    expect(runs.map((r) => r.status)).toEqual([0, 0, 0, 0, 0]);
    expect(lines(b.runs)).toHaveLength(1);
    expect(marker(b.marker)).toMatchObject({ state: 'done', bundleSha256: expect.stringMatching(/^1{64}$/) });
    expect(runs.filter((r) => r.stdout.includes('release steps done; recorded for the other instances'))).toHaveLength(1);
    expect(runs.filter((r) => r.stdout.includes('already done') && !r.stdout.includes('[release] release i-'))).toHaveLength(4);
    // AND the stand-in refused the losers' creates as S3 does
    expect(s3.output().match(/precondition failed: PUT/g)?.length).toBeGreaterThanOrEqual(4);

    // WHEN an instance launched later (scale-out) provisions the same bundle
    const later = await release('i-later', b.config, `echo "$0" >> ${b.runs}`);
    // THEN it skips the release command
    expect(later.status).toBe(0);
    expect(lines(b.runs)).toHaveLength(1);
    expect(later.stdout).toMatch(/release steps of this bundle already done \(by .+\): skipping them/);
  }, 60_000);

  test('fails every instance when the release command fails, the waiters with its output', async () => {
    // GIVEN a bundle whose release command fails after 1 s
    const b = newBundle();
    // WHEN three instances provision it at once
    const runs = await Promise.all(names(3).map((n) => release(n, b.config, `echo "$0" >> ${b.runs}; sleep 1; echo 'migration exploded: table locked'; exit 3`)));
    // THEN all three fail, the command ran once, and every one shows its output
    expect(runs.map((r) => r.status)).toEqual([1, 1, 1]);
    expect(lines(b.runs)).toHaveLength(1);
    for (const r of runs) {
      expect(r.stderr).toContain('migration exploded: table locked');
    }
    expect(runs.filter((r) => r.stderr.includes('the release steps of this bundle failed on'))).toHaveLength(2);
    expect(marker(b.marker)).toMatchObject({ state: 'failed', output: expect.stringMatching(/^release i-\d: exit 3\nmigration exploded: table locked$/) });
  }, 60_000);

  test.each(['running', 'failed'])('takes over a marker left %s longer than the lease, on exactly one instance', async (state) => {
    // GIVEN a marker of an instance that died mid-release (or failed) an hour ago
    const b = newBundle();
    fs.mkdirSync(path.dirname(b.marker), { recursive: true });
    fs.writeFileSync(b.marker, JSON.stringify({ state, holder: 'i-dead', bundleSha256: 'x', output: 'old failure' }));
    const hourAgo = Date.now() / 1000 - 3600;
    fs.utimesSync(b.marker, hourAgo, hourAgo);
    // WHEN three instances provision the bundle (lease 2 s)
    const runs = await Promise.all(names(3).map((n) => release(n, b.config, `echo "$0" >> ${b.runs}; sleep 1`, 2)));
    // THEN one takes over and runs the command, and all succeed
    expect(runs.map((r) => r.status)).toEqual([0, 0, 0]);
    expect(lines(b.runs)).toHaveLength(1);
    expect(runs.filter((r) => r.stdout.includes(`taking over from i-dead (${state}, unchanged for`))).not.toHaveLength(0);
    expect(marker(b.marker).state).toBe('done');
  }, 60_000);

  test('a live holder keeps its marker fresh: a release longer than the lease is not taken over', async () => {
    // GIVEN a lease of 2 s and a release command of 5 s
    const b = newBundle();
    const first = release('i-first', b.config, `echo "$0" >> ${b.runs}; sleep 5`, 2);
    await new Promise((r) => setTimeout(r, 1_000));
    // WHEN two more instances arrive while it runs
    const runs = await Promise.all([first, release('i-a', b.config, `echo "$0" >> ${b.runs}`, 2), release('i-b', b.config, `echo "$0" >> ${b.runs}`, 2)]);
    // THEN they wait past the lease for it, and the command ran once
    expect(runs.map((r) => r.status)).toEqual([0, 0, 0]);
    expect(lines(b.runs)).toEqual(['i-first']);
    expect(runs.map((r) => r.stdout).join('')).not.toContain('taking over');
  }, 60_000);

  test('fails after waiting the bound when the holder neither finishes nor goes stale', async () => {
    // GIVEN a fresh marker of another instance (lease 60 s)
    const b = newBundle();
    fs.mkdirSync(path.dirname(b.marker), { recursive: true });
    fs.writeFileSync(b.marker, JSON.stringify({ state: 'running', holder: 'i-slow', bundleSha256: 'x' }));
    // WHEN an instance provisions with a 3 s wait
    const started = Date.now();
    const run = await release('i-0', b.config, `echo "$0" >> ${b.runs}`, 60, 3);
    // THEN it fails after about 3 s without running the command
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('the release steps of this bundle were not done after 3 s');
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_000);
    expect(lines(b.runs)).toEqual([]);
  }, 30_000);
});
