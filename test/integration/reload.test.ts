import { Testing } from 'cdktf';
import { TwoAppsStack } from '../../examples/two-apps/main';
import { RunningSite, startLocalSite } from '../../lib';
import { boundedLoad, getJson, sleep } from './http';

// Deploying new code must not drop requests: reloadApp touches the WSGI script,
// mod_wsgi restarts that group's daemons gracefully (never `apache2 -k graceful`,
// which drops requests proxied to daemon mode).
describe('reload under load on real Apache', () => {
  let run: RunningSite;
  beforeAll(async () => { run = await startLocalSite(new TwoAppsStack(Testing.app(), 'two-apps').site); });
  afterAll(async () => { await run?.stop(); });

  test('touching the WSGI script reloads the app with 0 failed requests', async () => {
    // GIVEN the api group's current daemon processes
    const before = run.daemonPids('api');
    const apachePid = run.pid;
    // WHEN 3 reloads happen during a bounded load of 8 keep-alive clients on loopback
    const result = await boundedLoad(`${run.url}/api/items`, {
      concurrency: 8,
      maxRequests: 6_000,
      maxMs: 12_000,
      whileRunning: async () => {
        for (let i = 0; i < 3; i++) {
          await sleep(700);
          run.reloadApp('api-app');
        }
      },
    });
    // THEN every request succeeded
    console.log(`reload under load: ${result.sent} requests, ${result.failed} failed, statuses ${JSON.stringify(result.statuses)}`);
    expect(result.failed).toBe(0);
    expect(result.sent).toBeGreaterThan(500);
    // AND the daemons really were replaced, while Apache's parent stayed the same
    await getJson(`${run.url}/api/env`);
    expect(run.daemonPids('api').some((pid) => before.includes(pid))).toBe(false);
    expect(run.pid).toBe(apachePid);
  });
});
