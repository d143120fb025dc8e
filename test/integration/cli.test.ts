import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cli } from './cli-process';

describe('cdktf-apache-wsgi serve', () => {
  test('--check serves the example on real Apache as a non-root user', () => {
    // WHEN the CLI serves the two-app example without root
    const result = cli(['serve', 'examples/main.ts', '--site', 'two-apps/Site', '--check'], { asNobody: true });
    // THEN it exited 0 without errors (stderr shown if not) and both apps answered
    expect({ status: result.status, signal: result.signal, stderr: result.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
    expect(result.stdout).toMatch(/\[health\] ok   http:\/\/127\.0\.0\.1:\d+\/api -> 200 \(healthy: 200-399,401,403\)\n/);
    expect(result.stdout).toContain('local check passed');
    expect(result.status).toBe(0);
  });

  test('--env-file gives an app its secret: the health check passes only when the app saw it at import', () => {
    // GIVEN an env file holding the secret's value
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'caw-env-'));
    const envFile = path.join(dir, 'secrets.env');
    fs.writeFileSync(envFile, '# local secrets\nAPP_SECRET="from-the-env-file"\n');
    try {
      // WHEN the program is served with it
      const result = cli(['serve', 'test/integration/fixtures/programs/secret-site.ts', '--env-file', envFile, '--check']);
      // THEN the app answered healthy (it answers 500 unless both values arrived)
      expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
      expect(result.stdout).toMatch(/\[health\] ok   http:\/\/127\.0\.0\.1:\d+\/ -> 200/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('fails without a value for a secret, naming it', () => {
    const result = cli(['serve', 'test/integration/fixtures/programs/secret-site.ts', '--check']);
    expect(result.stderr).toContain('secret-site/Site: no value for secret APP_SECRET: a local run takes secret values from the environment or an env file (--env-file)');
    expect(result.status).toBe(1);
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
