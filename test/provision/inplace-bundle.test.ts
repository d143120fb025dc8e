import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, TerraformStack } from 'cdktf';
import { ApacheSite, DaemonGroup, Platform, siteBundle, StartMode, VirtualEnv, WsgiApp } from '../../lib';
import { inPlaceProvisionInputOf } from '../../lib/private/provision-input';
import { DeployPlan } from '../../lib/provision/deploy';

// What an in-place bundle (Ec2Host) holds: the config names only stable paths, the
// release phase writes into a new release, venvs are named by their inputs.
describe('in-place bundle', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'caw-inplace-bundle-'));
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  function bundle(code: string, apiRequirements: string) {
    const dir = fs.mkdtempSync(path.join(work, 'v-'));
    for (const app of ['api', 'web']) {
      fs.mkdirSync(path.join(dir, app));
      fs.writeFileSync(path.join(dir, app, 'wsgi.py'), `# ${code}\ndef application(e, s):\n    return []\n`);
    }
    fs.writeFileSync(path.join(dir, 'api.txt'), apiRequirements);
    fs.writeFileSync(path.join(dir, 'web.txt'), '# web\n');
    const stack = new TerraformStack(new App(), 's');
    const site = new ApacheSite(stack, 'Site', { platform: Platform.DEBIAN_12, serverName: 'www.example.com', siteName: 'site' });
    for (const app of ['api', 'web']) {
      const group = new DaemonGroup(site, `${app}Group`, { name: app, virtualEnv: new VirtualEnv(stack, `${app}Env`, { venvName: app, requirementsFile: path.join(dir, `${app}.txt`) }) });
      new WsgiApp(site, app, { mountPath: app === 'api' ? '/api' : '/', source: path.join(dir, app), scriptFile: 'wsgi.py', daemonGroup: group });
    }
    const files = siteBundle(inPlaceProvisionInputOf(site), { port: 80, startMode: StartMode.SYSTEMD, bundleDir: '/opt/cdktf-apache-wsgi/site', deployInPlace: true });
    const text = (rel: string) => files.get(rel)!.content.toString('utf8');
    return { files, text, plan: JSON.parse(text('deploy.json')) as DeployPlan };
  }

  test('holds the deploy program, its plan and the phase scripts instead of one provisioning script', () => {
    // GIVEN an in-place bundle
    const { files } = bundle('v1', '# a\n');
    // THEN
    expect(files.has('provision.sh')).toBe(false);
    expect([...files.keys()].filter((f) => f.startsWith('phases/') || f.startsWith('deploy'))).toEqual([
      'deploy.json', 'deploy.py',
      'phases/app.sh', 'phases/health.sh', 'phases/reload.sh', 'phases/start.sh', 'phases/system.sh', 'phases/venv-api.sh', 'phases/venv-web.sh',
    ]);
  });

  test('the deploy program is valid Python', () => {
    const { files } = bundle('v1', '# a\n');
    const file = path.join(work, 'deploy.py');
    fs.writeFileSync(file, files.get('deploy.py')!.content);
    execFileSync('python3', ['-m', 'py_compile', file]);
  });

  test('the Apache config names the release link only; the release phase writes into a new release', () => {
    // GIVEN an in-place bundle
    const { text } = bundle('v1', '# a\n');
    const conf = text('apache/site.conf');
    // THEN scripts and venvs are reached through current/, and Apache may follow that link
    expect(conf).toContain('WSGIScriptAlias /api /srv/wsgi/site/current/boot/api.wsgi');
    expect(conf).toContain('python-home=/srv/wsgi/site/current/venvs/api');
    expect(conf).toMatch(/<Directory \/srv\/wsgi\/site>\s+Options SymLinksIfOwnerMatch/);
    expect(conf).not.toContain('/releases/');
    // AND the release phase installs under the release token, linking the venvs it uses
    const app = text('phases/app.sh');
    expect(app).toContain('cp -R /opt/cdktf-apache-wsgi/site/apps/api /srv/wsgi/site/releases/@RELEASE@/apps/api');
    expect(app).toMatch(/ln -sfn \/srv\/wsgi\/site\/venvs\/api-[0-9a-f]{16} \/srv\/wsgi\/site\/releases\/@RELEASE@\/venvs\/api/);
    expect(app).not.toMatch(/systemctl|apache2ctl -k/);
    // AND the boot config's paths are relative to its own directory
    expect(JSON.parse(text('boot/api.json'))).toMatchObject({ appDir: '../apps/api', venv: '../venvs/api', scriptFile: '../apps/api/wsgi.py', pythonPath: ['../apps/api'] });
  });

  test('a code change keeps every venv and the config; a requirements change renames that venv only', () => {
    // GIVEN version 1, a code-only change and a requirements change of the api venv
    const v1 = bundle('v1', '# a\n');
    const code = bundle('v2', '# a\n');
    const reqs = bundle('v1', '# b\n');
    const dirs = (b: typeof v1) => Object.fromEntries(b.plan.venvs.map((v) => [v.name, v.dir]));
    // THEN
    expect(dirs(code)).toEqual(dirs(v1));
    expect(code.text('apache/site.conf')).toBe(v1.text('apache/site.conf'));
    expect(code.text('phases/system.sh')).toBe(v1.text('phases/system.sh'));
    expect(dirs(reqs).web).toBe(dirs(v1).web);
    expect(dirs(reqs).api).not.toBe(dirs(v1).api);
    expect(reqs.text('apache/site.conf')).toBe(v1.text('apache/site.conf'));
  });

  test('the plan lists each daemon group with what its processes load and its WSGI script', () => {
    const { plan } = bundle('v1', '# a\n');
    expect(plan.groups.map((g) => [g.name, g.embedded, g.reads, g.scripts])).toEqual([
      ['api', false, ['boot/caw_boot.py', 'apps/api', 'boot/api.json', 'boot/api.wsgi'], ['boot/api.wsgi']],
      ['web', false, ['boot/caw_boot.py', 'apps/web', 'boot/web.json', 'boot/web.wsgi'], ['boot/web.wsgi']],
    ]);
    expect(plan.configFiles).toEqual(['/etc/apache2/conf-available/wsgi-site-server.conf', '/etc/apache2/sites-available/wsgi-site-site.conf']);
    expect([plan.currentLink, plan.releasesDir, plan.venvsDir]).toEqual(['/srv/wsgi/site/current', '/srv/wsgi/site/releases', '/srv/wsgi/site/venvs']);
  });
});
