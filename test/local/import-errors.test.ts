import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ImportErrorWatch, SourceMap } from '../../lib/local/import-errors';

const line = (pid: number, message: string) => `[Tue Nov 24 07:00:00.000000 2026] [wsgi:error] [pid ${pid}:tid ${pid}] ${message}`;

describe('SourceMap', () => {
  test('maps each copy to its own source, an app name that prefixes another included', () => {
    // GIVEN copies of two apps whose names share a prefix
    const map = new SourceMap();
    map.add('s/Site/App', '/tmp/caw-x/apps/app', '/home/me/app');
    map.add('s/Site/App2', '/tmp/caw-x/apps/app-2', '/home/me/other');
    // THEN each path maps to its own source, and the first app mentioned is named
    const text = 'File "/tmp/caw-x/apps/app-2/wsgi.py" then File "/tmp/caw-x/apps/app/x.py"';
    expect(map.toSource(text)).toBe('File "/home/me/other/wsgi.py" then File "/home/me/app/x.py"');
    expect(map.appIn(text)).toBe('s/Site/App2');
  });
});

describe('ImportErrorWatch', () => {
  test('returns the first traceback once complete, skipping other processes\' lines and the repeats after it', () => {
    // GIVEN an error log with a traceback of pid 10, a line of pid 11 in between, and a repeat by pid 12
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'caw-log-'));
    const log = path.join(dir, 'error.log');
    const map = new SourceMap();
    map.add('s/Site/App', '/tmp/caw-x/apps/app', '/home/me/app');
    fs.writeFileSync(log, [
      '[Tue Nov 24 07:00:00.000000 2026] [mpm_event:notice] [pid 9:tid 9] AH00489: Apache/2.4 configured',
      line(10, "mod_wsgi (pid=10): Failed to exec Python script file '/tmp/caw-x/apps/app/wsgi.py'."),
      line(10, 'Traceback (most recent call last):'),
      line(11, 'unrelated output of another process'),
      line(10, '  File "/tmp/caw-x/apps/app/wsgi.py", line 1, in <module>'),
      line(10, '    import nope'),
      line(10, "ModuleNotFoundError: No module named 'nope'"),
      line(12, 'Traceback (most recent call last):'),
      '',
    ].join('\n'));
    try {
      // WHEN the watch polls
      const report = new ImportErrorWatch(log, map).poll();
      // THEN it is that one traceback, with the user's paths, without the other lines
      expect(report).toBe([
        'app s/Site/App failed while mod_wsgi loaded it (first traceback from the error log; paths are in your source directory):',
        "mod_wsgi (pid=10): Failed to exec Python script file '/home/me/app/wsgi.py'.",
        'Traceback (most recent call last):',
        '  File "/home/me/app/wsgi.py", line 1, in <module>',
        '    import nope',
        "ModuleNotFoundError: No module named 'nope'",
      ].join('\n'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('reports nothing while the log has no traceback', () => {
    // GIVEN a log with startup lines only
    // THEN there is nothing to report
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'caw-log-'));
    const log = path.join(dir, 'error.log');
    fs.writeFileSync(log, '[Tue Nov 24 07:00:00.000000 2026] [mpm_event:notice] [pid 9:tid 9] AH00489: resuming normal operations\n');
    try {
      expect(new ImportErrorWatch(log, new SourceMap()).poll()).toBeUndefined();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
