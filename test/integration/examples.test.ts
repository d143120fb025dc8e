import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdktf';
import { SingleAppStack } from '../../examples/single-app/main';
import { TwoAppsStack } from '../../examples/two-apps/main';
import { checkConfigSyntax, RunningSite, startLocalSite } from '../../lib';
import { getJson, request } from './http';

const ERROR_LINE = /\[(\w+:)?(error|crit|alert|emerg)\]/;

// The examples' own synthesized config, served by the machine's real Apache + mod_wsgi.
describe('examples on real Apache', () => {
  describe('two-apps', () => {
    const stack = new TwoAppsStack(Testing.app(), 'two-apps');
    let run: RunningSite;
    beforeAll(async () => { run = await startLocalSite(stack.site, { keepWorkDir: true }); });
    afterAll(async () => {
      await run?.stop();
      fs.rmSync(run.workDir, { recursive: true, force: true });
    });

    test('apache2 -t accepts the rendered config', () => {
      expect(() => checkConfigSyntax(run.apache.binary, run.configFile)).not.toThrow();
    });

    test('each app answers at its mount path', async () => {
      expect((await getJson(`${run.url}/api/items`)).app).toBe('api');
      expect((await request(`${run.url}/`)).body).toBe('Hello from mod_wsgi\n');
    });

    test('each app runs in its own daemon group, in the main interpreter', async () => {
      const api = await getJson(`${run.url}/api/env`);
      const web = await getJson(`${run.url}/env`);
      expect([api.process_group, api.application_group]).toEqual(['api', '']);
      expect([web.process_group, web.application_group]).toEqual(['web', '']);
    });

    test('wsgi.multiprocess is True whether processes= is set (api) or follows the host CPUs (web)', async () => {
      const api = await getJson(`${run.url}/api/env`);
      const web = await getJson(`${run.url}/env`);
      expect([api.multiprocess, api.multithread]).toEqual([true, true]);
      expect([web.multiprocess, web.multithread]).toEqual([true, true]);
    });

    test('each app runs its own venv, built with the Python mod_wsgi links', async () => {
      const api = await getJson(`${run.url}/api/env`);
      const web = await getJson(`${run.url}/env`);
      expect(path.basename(api.prefix)).toMatch(/^api-env-/);
      expect(path.basename(web.prefix)).toMatch(/^web-env-/);
      expect(api.python).toBe(run.apache.pythonVersion);
    });

    test('static files are served by Apache, not the app', async () => {
      const res = await request(`${run.url}/static/style.css`);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/css');
      expect(res.body).toBe(fs.readFileSync(path.join(__dirname, '..', '..', 'examples', 'apps', 'hello', 'static', 'style.css'), 'utf8'));
    });

    test('the WSGI script itself is not downloadable', async () => {
      const res = await request(`${run.url}/static/../wsgi.py`);
      expect(res.body).not.toContain('def application');
    });

    test('a body over LimitRequestBody gets 413', async () => {
      const res = await request(`${run.url}/api/upload`, { method: 'POST', body: Buffer.alloc(stack.site.limitRequestBodyBytes + 1) });
      expect(res.status).toBe(413);
    });

    test('a body under the limit reaches the app', async () => {
      const res = await request(`${run.url}/api/upload`, { method: 'POST', body: Buffer.alloc(1000) });
      expect(JSON.parse(res.body)).toEqual({ received_bytes: 1000 });
    });

    test('the error log has no errors after a clean run', async () => {
      await getJson(`${run.url}/api/env`);
      const log = fs.readFileSync(run.errorLog, 'utf8');
      expect(log.split('\n').filter((l) => ERROR_LINE.test(l))).toEqual([]);
    });
  });

  describe('single-app', () => {
    test('serves the app and its static files', async () => {
      const stack = new SingleAppStack(Testing.app(), 'single-app');
      const run = await startLocalSite(stack.site);
      try {
        const env = await getJson(`${run.url}/env`);
        expect([env.process_group, env.application_group, env.multiprocess]).toEqual(['hello', '', true]);
        const css = await request(`${run.url}/static/style.css`);
        expect([css.status, css.headers['cache-control']]).toEqual([200, 'public, max-age=3600']);
      } finally {
        await run.stop();
      }
    });
  });
});
