import { cli } from './cli-process';

describe('cdktf-apache-wsgi serve', () => {
  test('--check serves the example on real Apache as a non-root user', () => {
    // WHEN the CLI serves the two-app example without root
    const result = cli(['serve', 'examples/main.ts', '--site', 'two-apps/Site', '--check'], { asNobody: true });
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
