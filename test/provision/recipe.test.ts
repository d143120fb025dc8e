import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing, TerraformStack } from 'cdktf';
import { TwoAppsStack } from '../../examples/two-apps/main';
import { ApacheSite, buildRecipe, DaemonGroup, OperatingSystem, Platform, recipeSteps, renderPhaseScript, renderShellScript, shellQuote, StartMode, VirtualEnv, WsgiApp } from '../../lib';
import { venvBuildCommands } from '../../lib/provision/recipe';
import { provisionInputOf } from '../../lib/private/provision-input';
import { FIXTURE_APP } from '../util';

const OPTIONS = { port: 80, startMode: StartMode.SYSTEMD, bundleDir: '/opt/cdktf-apache-wsgi/site' };

describe('shellQuote', () => {
  test('leaves safe words bare and single-quotes the rest', () => {
    expect(shellQuote('/srv/wsgi/site')).toBe('/srv/wsgi/site');
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote('$(rm -rf /)')).toBe("'$(rm -rf /)'");
    expect(shellQuote('`id`;x')).toBe("'`id`;x'");
  });

  test('fails on NUL', () => {
    expect(() => shellQuote('a\0b')).toThrow(/contains NUL/);
  });
});

describe('buildRecipe', () => {
  const site = new TwoAppsStack(Testing.app(), 'two-apps').site;

  test('runs the same steps in a fixed order', () => {
    expect(recipeSteps(buildRecipe(provisionInputOf(site), OPTIONS)).map((s) => s.kind)).toEqual([
      'packages', 'checkModWsgiPython', 'user', 'user', 'directory', 'directory', 'directory', 'directory',
      'checkModWsgiPython', 'venv', 'checkModWsgiPython', 'venv',
      'installTree', 'installTree', 'bootFiles', 'protectTree', 'protectTree', 'hostFacts', 'apacheConfig', 'configTest', 'start', 'healthCheck',
    ]);
  });

  test('splits into phases: system, one per venv reading only its own files, then the app', () => {
    const phases = buildRecipe(provisionInputOf(site), OPTIONS).phases;
    expect(phases.map((p) => [p.name, p.inputs, p.output])).toEqual([
      ['system', [], undefined],
      ['venv:api-env', ['venvs/api-env'], '/srv/wsgi/site/venvs/api-env'],
      ['venv:web-env', ['venvs/web-env'], '/srv/wsgi/site/venvs/web-env'],
      ['app', ['apache', 'health.py', 'boot', 'apps/api-app', 'apps/web-app'], undefined],
    ]);
    expect(phases[1].steps.filter((s) => s.kind === 'venv').map((s) => (s as { dir: string }).dir)).toEqual(['/srv/wsgi/site/venvs/api-env']);
  });

  test('the phase scripts, run in order, run every command of the one script in the same order', () => {
    // GIVEN the script a VM runs and the scripts an image build runs one layer at a time
    const recipe = buildRecipe(provisionInputOf(site), OPTIONS);
    const commands = (script: string) => script.split('\n').filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith("log 'phase ") && !l.startsWith("log 'site "));
    const whole = commands(renderShellScript(recipe));
    const phased = recipe.phases.flatMap((p) => commands(renderPhaseScript(recipe, p)));
    // THEN they are the same lines once each phase's repeated preamble is set aside
    const preamble = commands(renderPhaseScript(recipe, { name: 'x', inputs: [], steps: [] }));
    const strip = (lines: string[]) => lines.filter((l) => !preamble.includes(l));
    expect(strip(phased)).toEqual(strip(whole));
    expect(strip(whole).length).toBeGreaterThan(20);
  });

  test('an image\'s recipe ends with a container start phase that a single script and the image build leave out', () => {
    // GIVEN the recipe of an image (StartMode.NONE)
    const recipe = buildRecipe(provisionInputOf(site), { ...OPTIONS, startMode: StartMode.NONE });
    const start = recipe.phases.at(-1)!;
    // THEN its last phase runs at container start: host facts, then Apache in the foreground
    expect([start.name, start.atContainerStart, start.inputs]).toEqual(['start', true, []]);
    expect(start.steps.map((s) => s.kind)).toEqual(['hostFacts', 'execForeground']);
    // AND the build steps (provision.sh) are those of a VM, without starting or checking Apache
    expect(recipeSteps(recipe).map((s) => s.kind)).toEqual(recipeSteps(buildRecipe(provisionInputOf(site), OPTIONS)).map((s) => s.kind).filter((k) => k !== 'start' && k !== 'healthCheck'));
    expect(renderShellScript(recipe)).not.toContain('exec ');
  });

  test('a VM\'s recipe has no container start phase', () => {
    expect(buildRecipe(provisionInputOf(site), OPTIONS).phases.some((p) => p.atContainerStart)).toBe(false);
  });

  test('a venv is built without pip\'s download cache and leaves pip out once built, on every host', () => {
    // GIVEN a venv with requirements
    const commands = venvBuildCommands({
      python: '/usr/bin/python3.11', dir: '/v', systemSitePackages: false, withPip: true, requirementsFile: '/r.txt', requirements: ['flask==3.0.3'], localPackages: [], requireHashes: false,
    });
    // THEN every pip run keeps no cache and the last one takes pip out
    expect(commands.slice(1).every((c) => c.includes('--no-cache-dir'))).toBe(true);
    expect(commands.at(-1)).toEqual(['/v/bin/python', '-m', 'pip', 'uninstall', '--yes', '--no-input', '--disable-pip-version-check', '--no-cache-dir', 'pip']);
    // AND a venv with nothing to install has no pip to take out
    expect(venvBuildCommands({ python: 'p', dir: '/v', systemSitePackages: false, withPip: false, requirements: [], localPackages: [], requireHashes: false }))
      .toEqual([['p', '-m', 'venv', '--without-pip', '/v']]);
  });

  test('records 2 daemon processes per CPU (nproc) before the config that reads them is tested', () => {
    const script = renderShellScript(buildRecipe(provisionInputOf(site), OPTIONS));
    expect(script).toContain(`printf 'Define %s %s\\n' WSGI_HOST_PROCESSES "$((2 * $(nproc)))" > /srv/wsgi/site/host.conf\n`);
  });

  test('installs the distro packages of the platform', () => {
    expect(recipeSteps(buildRecipe(provisionInputOf(site), OPTIONS))[0]).toEqual({
      kind: 'packages', refresh: ['apt-get', 'update'], install: ['apt-get', 'install', '-y', '--no-install-recommends'],
      clean: ['sh', '-c', 'apt-get clean && rm -rf /var/lib/apt/lists/*'], packages: ['apache2', 'libapache2-mod-wsgi-py3', 'python3.11', 'python3.11-venv'],
    });
  });

  test('builds every venv with the interpreter mod_wsgi links and fails on another version', () => {
    const script = renderShellScript(buildRecipe(provisionInputOf(site), OPTIONS));
    expect(script).toContain('/usr/bin/python3.11 -m venv /srv/wsgi/site/venvs/api-env\n');
    expect(script).toContain('[ "$VENV_PYTHON" = "$MOD_WSGI_PYTHON" ] || fail "venv api-env is Python $VENV_PYTHON but mod_wsgi links Python $MOD_WSGI_PYTHON"');
  });

  test('creates each daemon user as a system user without a login shell', () => {
    expect(renderShellScript(buildRecipe(provisionInputOf(site), OPTIONS))).toContain('useradd --system --gid wsgi-api --home-dir /srv/wsgi/site --no-create-home --shell /usr/sbin/nologin wsgi-api');
  });

  test('builds mod_wsgi with pip for a pip platform and checks that build', () => {
    const stack = new TerraformStack(Testing.app(), 'al');
    const pipSite = new ApacheSite(stack, 'Site', { platform: Platform.pipModWsgi({ os: OperatingSystem.AMAZON_LINUX_2023, pythonVersion: '3.11' }), serverName: 'a.example' });
    new WsgiApp(pipSite, 'App', { mountPath: '/', source: FIXTURE_APP, scriptFile: 'wsgi.py', daemonGroup: new DaemonGroup(pipSite, 'G', { virtualEnv: new VirtualEnv(stack, 'E') }) });
    const steps = recipeSteps(buildRecipe(provisionInputOf(pipSite), OPTIONS));
    expect(steps[0]).toEqual({
      kind: 'packages', install: ['dnf', 'install', '-y'], clean: ['dnf', 'clean', 'all'], refresh: undefined,
      packages: ['httpd', 'httpd-devel', 'gcc', 'redhat-rpm-config', 'python3.11', 'python3.11-pip', 'python3.11-devel'],
    });
    expect(steps[1]).toEqual({ kind: 'pipModWsgi', python: '/usr/bin/python3.11', requirement: 'mod_wsgi==5.0.2', dir: '/srv/wsgi/site/mod_wsgi', loadConf: '/etc/httpd/conf.modules.d/10-wsgi.conf' });
    expect(renderShellScript(buildRecipe(provisionInputOf(pipSite), OPTIONS))).toContain('MOD_WSGI_SO="$(awk \'$1 == "LoadModule" { print $3 }\' /etc/httpd/conf.modules.d/10-wsgi.conf)"');
  });

  test('quotes hostile requirement specifiers instead of running them', () => {
    const stack = new TerraformStack(Testing.app(), 'x');
    const hostile = new ApacheSite(stack, 'Site', { platform: Platform.DEBIAN_12, serverName: 'a.example' });
    const env = new VirtualEnv(stack, 'E', { requirements: ["flask==3.0.3; python_version>'3' $(touch /tmp/pwned)"] });
    new WsgiApp(hostile, 'App', { mountPath: '/', source: FIXTURE_APP, scriptFile: 'wsgi.py', daemonGroup: new DaemonGroup(hostile, 'G', { virtualEnv: env }) });
    expect(renderShellScript(buildRecipe(provisionInputOf(hostile), OPTIONS))).toContain(`'flask==3.0.3; python_version>'\\''3'\\'' $(touch /tmp/pwned)'`);
  });
});

describe('release steps once per bundle (releaseOnce)', () => {
  const stack = new TerraformStack(Testing.app(), 'r');
  const released = new ApacheSite(stack, 'Site', { platform: Platform.DEBIAN_12, serverName: 'a.example' });
  new WsgiApp(released, 'App', {
    mountPath: '/', source: FIXTURE_APP, scriptFile: 'wsgi.py', releaseCommands: [['python', 'manage.py', 'migrate'], ['python', 'manage.py', 'seed']],
    daemonGroup: new DaemonGroup(released, 'G', { virtualEnv: new VirtualEnv(stack, 'E') }),
  });
  const releaseOnce = { configFile: '/etc/cdktf-apache-wsgi/site.json', leaseSec: 120, waitSec: 600 };

  test('replaces the release commands by one step that holds them all, in order, before Apache starts', () => {
    // GIVEN two release commands; WHEN the recipe is built for a fleet
    const recipe = buildRecipe(provisionInputOf(released), { ...OPTIONS, releaseOnce });
    const steps = recipeSteps(recipe);
    // THEN one releaseOnce step carries both, and no appCommand runs them on its own
    const gate = steps.find((s) => s.kind === 'releaseOnce') as Extract<ReturnType<typeof recipeSteps>[number], { kind: 'releaseOnce' }>;
    expect(gate).toMatchObject({ python: '/usr/bin/python3.11', program: '/opt/cdktf-apache-wsgi/site/release.py', config: '/etc/cdktf-apache-wsgi/site.json', leaseSec: 120, waitSec: 600 });
    expect(gate.commands.map((c) => [c.phase, c.argv.slice(-3)])).toEqual([['release', ['python', 'manage.py', 'migrate']], ['release', ['python', 'manage.py', 'seed']]]);
    expect(steps.filter((s) => s.kind === 'appCommand')).toEqual([]);
    expect(steps.map((s) => s.kind).slice(-4)).toEqual(['configTest', 'releaseOnce', 'start', 'healthCheck']);
    // AND the app phase reads the program and the client it imports
    expect(recipe.phases[recipe.phases.length - 1].inputs).toEqual(expect.arrayContaining(['release.py', 'aws_client.py']));
  });

  test('without the option every host runs its release commands itself', () => {
    const steps = recipeSteps(buildRecipe(provisionInputOf(released), OPTIONS));
    expect(steps.filter((s) => s.kind === 'releaseOnce')).toEqual([]);
    expect(steps.filter((s) => s.kind === 'appCommand').map((s) => (s as { phase: string }).phase)).toEqual(['release', 'release']);
  });
});

describe('recipe venv check, run in a real shell', () => {
  test('fails the build when a venv is not the Python mod_wsgi links', () => {
    // GIVEN an interpreter that builds a Python 3.12 venv, and mod_wsgi linking 3.11
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'caw-venv-'));
    try {
      const fakePython = path.join(dir, 'python3.12');
      fs.writeFileSync(fakePython, '#!/bin/sh\n# python -m venv DIR: write only what the check reads\nfor last; do :; done\nmkdir -p "$last" && printf "home = /usr/bin\\nversion = 3.12.1\\n" > "$last/pyvenv.cfg"\n', { mode: 0o755 });
      const script = renderShellScript({
        siteName: 'site', platformId: 'test',
        phases: [{ name: 'venv:api-env', inputs: [], steps: [{ kind: 'venv', name: 'api-env', python: fakePython, dir: path.join(dir, 'venv'), systemSitePackages: false, withPip: false, requirements: [], localPackages: [], requireHashes: false }] }],
      });
      // WHEN the rendered recipe runs
      const result = spawnSync('sh', ['-c', script], { env: { ...process.env, MOD_WSGI_PYTHON: '3.11' }, encoding: 'utf8' });
      // THEN it stops with the mismatch named
      expect(result.stderr).toContain('[provision] ERROR: venv api-env is Python 3.12 but mod_wsgi links Python 3.11');
      expect(result.status).toBe(1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('an image\'s release phase (releasePhase): the host runs it once per deploy, before the switch', () => {
  const stack = new TerraformStack(Testing.app(), 'rp');
  const released = new ApacheSite(stack, 'Site', { platform: Platform.DEBIAN_12, serverName: 'a.example' });
  new WsgiApp(released, 'App', {
    mountPath: '/', source: FIXTURE_APP, scriptFile: 'wsgi.py', releaseCommands: [['python', 'manage.py', 'migrate']],
    daemonGroup: new DaemonGroup(released, 'G', { virtualEnv: new VirtualEnv(stack, 'E'), dataDirectories: { DATA: 'state' } }),
  });
  const image = { ...OPTIONS, startMode: StartMode.NONE };
  const phase = (recipe: ReturnType<typeof buildRecipe>, name: string) => recipe.phases.find((p) => p.name === name);

  test('the release phase does what a start does before traffic, then the release commands, and execs no server', () => {
    // GIVEN an image recipe with the release phase
    const recipe = buildRecipe(provisionInputOf(released), { ...image, releasePhase: true });
    // THEN a 'release' phase runs at container start (the host's one-off container): data directories, the commands, no exec
    const release = phase(recipe, 'release')!;
    expect([release.atContainerStart, release.steps.map((s) => s.kind)]).toEqual([true, ['hostFacts', 'dataDirectory', 'appCommand']]);
    expect(renderPhaseScript(recipe, release)).toMatch(/ -- python manage\.py migrate\n\nlog 'phase release done'\n$/);
    // AND the serving containers' start skips the release commands
    expect(phase(recipe, 'start')!.steps.map((s) => s.kind)).toEqual(['hostFacts', 'dataDirectory', 'execForeground']);
    // AND neither is part of the image build
    expect(recipeSteps(recipe).some((s) => s.kind === 'appCommand' && s.phase === 'release')).toBe(false);
  });

  test('without it, each container runs the release commands once at its first start; without release commands there is no release phase', () => {
    const recipe = buildRecipe(provisionInputOf(released), image);
    expect(phase(recipe, 'release')).toBeUndefined();
    expect(phase(recipe, 'start')!.steps.map((s) => s.kind)).toEqual(['hostFacts', 'dataDirectory', 'oncePerContainer', 'execForeground']);
    const plain = new TwoAppsStack(Testing.app(), 'two-apps').site;
    expect(buildRecipe(provisionInputOf(plain), { ...image, releasePhase: true }).phases.map((p) => p.name)).not.toContain('release');
  });
});
