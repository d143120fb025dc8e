import { parseWrk, runWrk, wrkDurationMs } from '../../bench/wrk';
import { median } from '../../bench/served';

const OUTPUT = `Running 5s test @ http://127.0.0.1:45137/
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     8.36ms   19.15ms 206.16ms   94.38%
    Req/Sec     3.37k     1.05k    6.31k    66.67%
  Latency Distribution
     50%  812.00us
     75%    5.57ms
     90%   12.23ms
     99%    1.09s
  20223 requests in 3.04s, 2.66MB read
  Socket errors: connect 1, read 5188, write 2, timeout 3
  Non-2xx or 3xx responses: 17
Requests/sec:   6657.29
Transfer/sec:      0.88MB
`;

describe('wrk output parsing', () => {
  test('reads totals, rate, latency percentiles and every error count', () => {
    expect(parseWrk(OUTPUT)).toEqual({
      requests: 20223,
      durationSec: 3.04,
      requestsPerSec: 6657.29,
      latencyMs: { p50: 0.812, p90: 12.23, p99: 1090 },
      socketErrors: 5194,
      non2xx: 17,
    });
  });

  test('a clean run has 0 errors (wrk prints no error lines)', () => {
    const clean = OUTPUT.replace(/^\s+Socket errors.*\n/m, '').replace(/^\s+Non-2xx.*\n/m, '');
    expect([parseWrk(clean).socketErrors, parseWrk(clean).non2xx]).toEqual([0, 0]);
  });

  test('output without the --latency table is rejected, not read as 0', () => {
    expect(() => parseWrk(OUTPUT.replace(/^\s+99%.*\n/m, ''))).toThrow(/no 99% latency line/);
  });

  test('garbage is rejected with the text in the message', () => {
    expect(() => parseWrk('unable to connect to 127.0.0.1:1 Connection refused')).toThrow(/unexpected wrk output:\nunable to connect/);
  });

  test('durations convert to milliseconds', () => {
    expect(['250.00us', '2.5ms', '1.5s', '2m'].map(wrkDurationMs)).toEqual([0.25, 2.5, 1500, 120_000]);
    expect(() => wrkDurationMs('3 ms')).toThrow(/not a wrk duration/);
  });

  test('load is only ever sent to loopback', async () => {
    await expect(runWrk('http://example.com/', { threads: 1, connections: 1, durationSec: 1 })).rejects.toThrow(/only target loopback/);
    await expect(runWrk('http://127.0.0.1.example.com/', { threads: 1, connections: 1, durationSec: 1 })).rejects.toThrow(/only target loopback/);
  });

  test('median of odd and even samples', () => {
    expect([median([3, 1, 2]), median([4, 1, 3, 2])]).toEqual([2, 2.5]);
  });
});
