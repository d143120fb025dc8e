import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { appCpuMsPerRequest, counterDelta, cpuPerRequest, parseAppStats, parseContextSwitches, parseProcStat, treeCpuPerRequest, treePids } from '../../bench/cpu-profile';
import { nginxConf } from '../../bench/peers';
import { appTable, Cell, targetMet, verdicts, withAppStats } from '../../bench/served';
import { WrkResult } from '../../bench/wrk';

function result(requestsPerSec: number, socketErrors = 0, non2xx = 0): WrkResult {
  return { requests: requestsPerSec * 3, durationSec: 3, requestsPerSec, latencyMs: { p50: 1, p90: 2, p99: 3 }, socketErrors, non2xx };
}

function cell(label: string, kind: Cell['kind'], rps: number[], app: Cell['app'] = 'io', connections = 128, socketErrors = 0, cpu = 1.25): Cell {
  return { app, label, kind, connections, runs: rps.map((r, i) => result(r, i === 0 ? socketErrors : 0)), cpuMs: rps.map(() => cpu) };
}

describe('served bench verdicts', () => {
  test('compare the default with the best library config and the best peer by median req/s', () => {
    // GIVEN the default, a better library config and two peers, three rounds each
    const cells = [
      cell('default', 'default', [900, 1000, 1100]),
      cell('p=4 t=64', 'library', [1050, 1100, 1200]),
      cell('embedded', 'embedded', [5000, 5000, 5000]),
      cell('gunicorn', 'peer', [400, 500, 600]),
      cell('uwsgi', 'peer', [800, 800, 2000]),
    ];
    // WHEN compared
    const [v] = verdicts(cells);
    // THEN ratios use medians (1000 / 1100, 1000 / 800); embedded mode is neither library nor peer
    expect(v.bestLibrary).toBe('p=4 t=64');
    expect(v.vsBestLibrary).toBeCloseTo(1000 / 1100, 6);
    expect(v.bestPeer).toBe('uwsgi');
    expect(v.vsBestPeer).toBeCloseTo(1.25, 6);
    expect(targetMet(v)).toBe(true);
  });

  test('report the least CPU per request a library config and a peer spent, beside the default\'s', () => {
    // GIVEN a default at 1.5 CPU ms/request, a library config at 1.4, peers at 1.3 and 1.6
    const [v] = verdicts([
      cell('default', 'default', [1000], 'django', 128, 0, 1.5), cell('p=4 t=8', 'library', [900], 'django', 128, 0, 1.4),
      cell('uwsgi', 'peer', [800], 'django', 128, 0, 1.3), cell('gunicorn', 'peer', [700], 'django', 128, 0, 1.6),
    ]);
    // THEN the cheapest of each kind is named with its figure
    expect(v.cpu).toEqual({ default: 1.5, cheapestLibrary: 1.4, cheapestLibraryLabel: 'p=4 t=8', cheapestPeer: 1.3, cheapestPeerLabel: 'uwsgi' });
  });

  test('fails the target when the default drops connections', () => {
    const [v] = verdicts([cell('default', 'default', [1000], 'io', 128, 3), cell('uwsgi', 'peer', [500])]);
    expect(v.defaultErrors).toBe(3);
    expect(targetMet(v)).toBe(false);
  });

  test('fails the target below 1.0x the best peer on an app that waits, but not on hello', () => {
    const slow = (app: Cell['app']) => verdicts([cell('default', 'default', [900], app), cell('uwsgi', 'peer', [1000], app)])[0];
    expect(targetMet(slow('django'))).toBe(false);
    expect(targetMet(slow('hello'))).toBe(true);
  });

  test('keeps apps and connection counts apart', () => {
    const v = verdicts([
      cell('default', 'default', [100], 'io', 32), cell('default', 'default', [400], 'io', 128),
      cell('p=1 t=5', 'library', [200], 'io', 32), cell('p=1 t=5', 'library', [100], 'io', 128),
    ]);
    expect(v.map((x) => [x.connections, x.bestLibrary])).toEqual([[32, 'p=1 t=5'], [128, 'default']]);
  });

  test('the table shows each config once with its ratio to the default per connection count', () => {
    const lines = appTable([
      cell('default', 'default', [1000], 'io', 32), cell('default', 'default', [2000], 'io', 128),
      cell('uwsgi', 'peer', [500], 'io', 32, 2), cell('uwsgi', 'peer', [3000], 'io', 128),
    ], [32, 128]);
    expect(lines).toHaveLength(4);
    expect(lines[3].replace(/ +/g, ' ')).toBe('| uwsgi | 500 | 0.50 | 1.0 | 3.0 | 2 | 1.25 | 3,000 | 1.50 | 1.0 | 3.0 | 0 | 1.25 |');
  });
});

describe('nginx config for the peers', () => {
  test('proxies to gunicorn on a Unix socket with a listen backlog that does not overflow', () => {
    const conf = nginxConf({ dir: '/tmp/p', port: 8081, socket: '/tmp/p/app.sock', protocol: 'http' });
    expect(conf).toContain('upstream app_server { server unix:/tmp/p/app.sock fail_timeout=0; }');
    expect(conf).toContain('listen 127.0.0.1:8081 backlog=4096;');
    expect(conf).toContain('proxy_pass http://app_server;');
    expect(conf).not.toContain('user ');
  });

  test('speaks the uwsgi protocol to uWSGI and drops privileges when started as root', () => {
    const conf = nginxConf({ dir: '/tmp/p', port: 8081, socket: '/tmp/p/app.sock', protocol: 'uwsgi', user: 'nobody nogroup' });
    expect(conf).toContain('uwsgi_pass app_server;');
    expect(conf.startsWith('user nobody nogroup;\n')).toBe(true);
  });
});

describe('CPU profile', () => {
  test('reads the name and utime + stime of a /proc/<pid>/stat line, even with spaces and parentheses in the name', () => {
    const line = '4242 ((wsgi:app) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 37 0 0 20 0 65 0 300 1000 200';
    expect(parseProcStat(line)).toEqual({ name: '(wsgi:app) x', ppid: 1, ticks: 287 });
  });

  test('charges CPU per request to process names, counting new processes from zero', () => {
    const before = new Map([[1, { name: 'apache2', ppid: 0, ticks: 100 }], [2, { name: '(wsgi:app)', ppid: 1, ticks: 50 }]]);
    const after = new Map([[1, { name: 'apache2', ppid: 0, ticks: 150 }], [2, { name: '(wsgi:app)', ppid: 1, ticks: 250 }], [3, { name: 'wrk', ppid: 1, ticks: 20 }]]);
    // 1000 requests: 200 ticks = 2 s = 2 ms per request in the daemon
    expect([...cpuPerRequest(before, after, 1000)]).toEqual([['(wsgi:app)', 2], ['apache2', 0.5], ['wrk', 0.2]]);
  });

  test('charges a target only its own process tree, without the load generator or same-named processes of other jobs', () => {
    // GIVEN the bench (pid 10) with an Apache parent (20), its daemon (21) and wrk (30); another job's apache2 (40) under pid 1
    const before = new Map([
      [20, { name: 'apache2', ppid: 10, ticks: 100 }], [21, { name: 'apache2', ppid: 20, ticks: 100 }],
      [40, { name: 'apache2', ppid: 1, ticks: 100 }],
    ]);
    const after = new Map([
      [20, { name: 'apache2', ppid: 10, ticks: 110 }], [21, { name: 'apache2', ppid: 20, ticks: 240 }],
      [30, { name: 'wrk', ppid: 10, ticks: 50 }], [40, { name: 'apache2', ppid: 1, ticks: 900 }],
    ]);
    // WHEN 500 requests are charged to the tree under pid 10
    // THEN 150 ticks = 1.5 s over 500 requests = 3 ms each
    expect(treeCpuPerRequest(before, after, 500, 10)).toBeCloseTo(3, 6);
  });

  test('finds a target\'s process tree at any depth, leaving out the named load generator', () => {
    // GIVEN the bench (10), Apache (20) and its daemon (21), wrk (30), another job (40) and an orphan whose parent is gone (50)
    const procs = new Map([
      [20, { name: 'apache2', ppid: 10, ticks: 0 }], [21, { name: 'apache2', ppid: 20, ticks: 0 }],
      [30, { name: 'wrk', ppid: 10, ticks: 0 }], [40, { name: 'apache2', ppid: 1, ticks: 0 }], [50, { name: 'python', ppid: 99, ticks: 0 }],
    ]);
    // THEN only Apache and its daemon
    expect(treePids(10, procs, ['wrk'])).toEqual([20, 21]);
  });

  test('counts voluntary and involuntary context switches of a thread', () => {
    const status = 'Name:\tapache2\nThreads:\t35\nvoluntary_ctxt_switches:\t1200\nnonvoluntary_ctxt_switches:\t34\n';
    expect(parseContextSwitches(status)).toBe(1234);
  });

  test('sums how much per-id counters grew between two samples, a new id from zero', () => {
    const before = new Map([[100, 10], [101, 5]]);
    const after = new Map([[100, 30], [101, 5], [102, 7]]);
    expect(counterDelta(before, after)).toBe(27);
  });

  test('divides the app\'s CPU by its requests over every process, a new process from zero', () => {
    // GIVEN two processes' running totals, and a third that started in between
    const before = new Map([[1, { requests: 100, cpuSec: 0.1 }], [2, { requests: 50, cpuSec: 0.06 }]]);
    const after = new Map([[1, { requests: 300, cpuSec: 0.32 }], [2, { requests: 150, cpuSec: 0.16 }], [3, { requests: 50, cpuSec: 0.07 }]]);
    // THEN (0.22 + 0.10 + 0.07) s over 350 requests
    expect(appCpuMsPerRequest(before, after)).toBeCloseTo((0.39 * 1000) / 350, 6);
    expect(appCpuMsPerRequest(after, after)).toBeUndefined();
  });

  test('reads the totals app_stats.py writes', () => {
    expect(parseAppStats('1520 1.712345\n')).toEqual({ requests: 1520, cpuSec: 1.712345 });
  });

  test('fails on a line app_stats.py did not write', () => {
    expect(() => parseAppStats('1520')).toThrow('not an app_stats line: "1520"');
  });

  test('wraps an app so it serves the same body and writes its process\'s requests and CPU', () => {
    // GIVEN a WSGI app whose iterable has a close(), copied with the stats wrapper
    const appDir = fs.mkdtempSync(path.join(os.tmpdir(), 'app-stats-test-'));
    fs.writeFileSync(path.join(appDir, 'wsgi.py'), [
      'class Body(list):',
      '    closed = False',
      '    def close(self):',
      '        Body.closed = True',
      'def application(environ, start_response):',
      '    start_response("200 OK", [])',
      '    sum(range(20000))',
      '    return Body([b"he", b"llo"])',
      '',
    ].join('\n'));
    const stats = withAppStats(appDir);
    try {
      // WHEN Python serves one request through the copy's wsgi.application
      const out = execFileSync('python3', ['-c', 'import wsgi; body = wsgi.application({}, lambda s, h: None); print(body, wsgi.Body.closed)'], { cwd: stats.appDir }).toString();
      // THEN the body and close() pass through, and the totals file names this process's one request
      expect(out.trim()).toBe("[b'hello'] True");
      const files = fs.readdirSync(stats.statsDir);
      expect(files).toHaveLength(1);
      const totals = parseAppStats(fs.readFileSync(path.join(stats.statsDir, files[0]), 'utf8'));
      expect(totals.requests).toBe(1);
      expect(totals.cpuSec).toBeGreaterThan(0);
    } finally {
      stats.remove();
      fs.rmSync(appDir, { recursive: true, force: true });
    }
  });
});
