import { spawnSync } from 'child_process';
import * as path from 'path';

const ROOT_DIR = path.join(__dirname, '..', '..');
const CLI = ['-r', 'ts-node/register/transpile-only', 'lib/cli.ts'];

function cli(args: string[], asNobody = false) {
  // As root, setpriv drops to nobody so the runner's non-root path is exercised too.
  const [cmd, argv] = asNobody && process.getuid?.() === 0
    ? ['setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', 'env', 'HOME=/tmp', process.execPath, ...CLI, ...args]]
    : [process.execPath, [...CLI, ...args]];
  return spawnSync(cmd, argv, { cwd: ROOT_DIR, encoding: 'utf8', timeout: 100_000 });
}

describe('cdktf-apache-wsgi serve', () => {
  test('--check serves the example on real Apache as a non-root user', () => {
    // WHEN the CLI serves the two-app example without root
    const result = cli(['serve', 'examples/main.ts', '--site', 'two-apps/Site', '--check'], true);
    // THEN it exited 0 without errors (stderr shown if not) and both apps answered
    expect({ status: result.status, signal: result.signal, stderr: result.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
    expect(result.stdout).toMatch(/ok {3}200 GET http:\/\/127\.0\.0\.1:\d+\/api\n/);
    expect(result.stdout).toContain('local check passed');
    expect(result.status).toBe(0);
  });

  test('fails with usage and exit code 2 on a bad option', () => {
    const result = cli(['serve', 'examples/main.ts', '--bogus']);
    expect(result.stderr).toContain('unknown option --bogus');
    expect(result.status).toBe(2);
  });

  test('fails when no site matches --site', () => {
    const result = cli(['serve', 'examples/main.ts', '--site', 'nope/Site']);
    expect(result.stderr).toContain('no ApacheSite at nope/Site in examples/main.ts');
    expect(result.status).toBe(2);
  });
});
