import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';
import { listFiles, runCommand } from '../support/run-command';

// What `npm pack` publishes, installed the way users install it (from the npm
// registry, into scratch projects): a local-only site with cdktf + constructs alone,
// and the examples under CDK Terrain compared with CDK for Terraform.
const ROOT = path.join(__dirname, '..', '..');
const NPM_INSTALL = ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];

interface PackedFile { readonly path: string; readonly mode: number }

let scratch: string;
let tarball: string;
let files: PackedFile[];

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): string {
  return runCommand(cmd, args, { cwd, env });
}

function sizeMb(dir: string): number {
  return Number(run('du', ['-sm', dir], dir).split('\t')[0]);
}

/** A scratch npm project with the packed tarball and the given registry packages. */
function project(name: string, deps: string[]): string {
  const dir = path.join(scratch, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '0.0.0', private: true }));
  const started = Date.now();
  run('npm', [...NPM_INSTALL, tarball, ...deps], dir);
  console.log(`${name}: npm install ${deps.join(' ')} + the tarball: ${((Date.now() - started) / 1000).toFixed(1)} s, `
    + `node_modules ${sizeMb(path.join(dir, 'node_modules'))} MB`);
  return dir;
}

beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'package-test-'));
  // A fresh clone: the tracked (and new, unignored) files only, so no dist/ exists
  // and `npm pack` must build it. node_modules is shared to save the install.
  const clone = path.join(scratch, 'clone');
  for (const f of run('git', ['ls-files', '-co', '--exclude-standard'], ROOT).split('\n').filter(Boolean)) {
    if (!fs.existsSync(path.join(ROOT, f))) continue;
    fs.mkdirSync(path.dirname(path.join(clone, f)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, f), path.join(clone, f));
  }
  expect(fs.existsSync(path.join(clone, 'dist'))).toBe(false);
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(clone, 'node_modules'));
  const out = run('npm', ['pack', '--json', '--pack-destination', scratch], clone);
  const [packed] = JSON.parse(out) as [{ filename: string; files: PackedFile[] }];
  tarball = path.join(scratch, packed.filename);
  files = packed.files;
}, 120_000);

afterAll(() => {
  fs.rmSync(scratch, { recursive: true, force: true });
});

/**
 * tsc over FILE in DIR with both module resolutions a consumer may use: node10 reads
 * typesVersions, node16 the "exports" map. With `emit`, the node16 run writes the JS.
 */
function typeCheckBothResolutions(dir: string, file: string, options: string[] = [], emit = false): void {
  const tsc = path.join(ROOT, 'node_modules', '.bin', 'tsc');
  const base = ['--strict', '--skipLibCheck', '--target', 'es2022', ...options];
  run(tsc, [...base, '--noEmit', '--moduleResolution', 'node10', '--module', 'commonjs', file], dir);
  run(tsc, [...base, ...(emit ? [] : ['--noEmit']), '--moduleResolution', 'node16', '--module', 'node16', file], dir);
}

describe('npm pack of a fresh clone', () => {
  test('contains the compiled entry points with their types, version 0.1.0', () => {
    // GIVEN the packed file list
    const paths = files.map((f) => f.path);
    // THEN every entry point of package.json "exports" is there, js and d.ts
    for (const entry of ['index', 'docker', 'aws', 'cdktn/index', 'cdktn/aws', 'cdktn/docker', 'cdktn/provider-docker']) {
      expect(paths).toContain(`dist/${entry}.js`);
      expect(paths).toContain(`dist/${entry}.d.ts`);
    }
    expect(paths).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md']));
    // AND the cdktn flavour's copy of @cdktf/provider-docker is the four modules DockerHost needs, with their license
    expect(paths.filter((p) => p.startsWith('dist/cdktn/provider-docker/')).sort()).toEqual([
      'dist/cdktn/provider-docker/container/index.d.ts', 'dist/cdktn/provider-docker/container/index.js',
      'dist/cdktn/provider-docker/image/index.d.ts', 'dist/cdktn/provider-docker/image/index.js',
      'dist/cdktn/provider-docker/LICENSE',
      'dist/cdktn/provider-docker/provider/index.d.ts', 'dist/cdktn/provider-docker/provider/index.js',
      'dist/cdktn/provider-docker/volume/index.d.ts', 'dist/cdktn/provider-docker/volume/index.js',
    ].sort());
    const license = run('tar', ['-xOzf', tarball, 'package/dist/cdktn/provider-docker/LICENSE'], scratch);
    expect(license).toContain('Mozilla Public License, version 2.0');
    expect(path.basename(tarball)).toBe('cdktf-apache-wsgi-0.1.0.tgz');
  });

  test('ships the command executable with a node shebang', () => {
    const bin = files.find((f) => f.path === 'dist/bin.js');
    expect(bin?.mode.toString(8)).toBe('755');
    const text = run('tar', ['-xOzf', tarball, 'package/dist/bin.js'], scratch);
    expect(text.split('\n')[0]).toBe('#!/usr/bin/env node');
  });

  test('contains nothing but dist/ js and d.ts, package.json, README, LICENSE, CHANGELOG and the copied provider\'s LICENSE', () => {
    const others = files.map((f) => f.path)
      .filter((p) => !/^dist\/.*\.(js|d\.ts)$/.test(p))
      .filter((p) => !['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'dist/cdktn/provider-docker/LICENSE'].includes(p));
    expect(others).toEqual([]);
  });
});

describe('README', () => {
  test('states the dependency pins that package.json has', () => {
    // GIVEN package.json and the README's "Pinned versions" paragraph
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const pins = /Pinned versions \(package\.json\):([\s\S]*?)\n\n/.exec(readme)?.[1].replace(/\s+/g, ' ') ?? '';
    // THEN every peer and the main dev dependencies appear there with package.json's range
    const dev = ['cdktf', 'cdktf-cli', 'constructs', '@cdktf/provider-aws', '@cdktf/provider-docker'];
    const stated = [
      ...Object.entries(pkg.peerDependencies as Record<string, string>).map(([name, range]) => `\`${name}\` ${range}`),
      ...dev.map((name) => `\`${name}\` ${pkg.devDependencies[name]}`),
      `TypeScript ${pkg.devDependencies.typescript}`, `projen ${pkg.devDependencies.projen}`,
      `jest ${pkg.devDependencies.jest}`, `eslint ${pkg.devDependencies.eslint}`, `Node ${pkg.engines.node}`,
    ];
    expect(stated.filter((pin) => !pins.includes(pin))).toEqual([]);
  });
});

describe('installed from the tarball', () => {
  test('a local-only site needs only cdktf and constructs, a Docker-only one adds only the Docker provider', () => {
    // GIVEN a project with the package, cdktf and constructs only
    const dir = project('local-only', ['cdktf@0.21.0', 'constructs@10.4.5']);
    // THEN no provider package came with it (they are optional peers)
    expect(fs.existsSync(path.join(dir, 'node_modules', '@cdktf', 'provider-aws'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'node_modules', '@cdktf', 'provider-docker'))).toBe(false);
    // WHEN a program loads the main entry and synthesizes a site
    fs.mkdirSync(path.join(dir, 'app'));
    fs.writeFileSync(path.join(dir, 'app', 'wsgi.py'), 'def application(environ, start_response):\n    start_response("200 OK", [])\n    return [b"ok"]\n');
    fs.writeFileSync(path.join(dir, 'main.js'), `
      const { App, TerraformStack } = require('cdktf');
      const { ApacheSite, DaemonGroup, Platform, VirtualEnv, WsgiApp } = require('cdktf-apache-wsgi');
      const app = new App({ outdir: 'out' });
      const stack = new TerraformStack(app, 'web');
      const site = new ApacheSite(stack, 'Site', { platform: Platform.DEBIAN_12, serverName: 'example.com' });
      const group = new DaemonGroup(site, 'Web', { virtualEnv: new VirtualEnv(stack, 'Env') });
      new WsgiApp(site, 'App', { mountPath: '/', source: require('path').join(__dirname, 'app'), scriptFile: 'wsgi.py', daemonGroup: group });
      app.synth();
    `);
    run('node', ['main.js'], dir);
    // THEN the site's Apache config is written next to cdk.tf.json
    const conf = fs.readFileSync(path.join(dir, 'out', 'stacks', 'web', 'apache', 'site', 'site.conf'), 'utf8');
    expect(conf).toContain('WSGIDaemonProcess web ');
    // AND the package's command finds the site (the cdktf build: no cdktn here)
    run(path.join(dir, 'node_modules', '.bin', 'cdktf-apache-wsgi'), ['render', 'main.js', '--out', 'rendered'], dir);
    expect(fs.readFileSync(path.join(dir, 'rendered', 'web', 'Site', 'apache', 'site.conf'), 'utf8')).toBe(conf);
    // AND the aws entry point fails naming the missing provider package
    expect(() => run('node', ['-e', "require('cdktf-apache-wsgi/aws')"], dir)).toThrow(/Cannot find module '@cdktf\/provider-aws/);
    // AND a Docker-only site adds the Docker provider alone
    run('npm', [...NPM_INSTALL, '@cdktf/provider-docker@12.0.3'], dir);
    expect(run('node', ['-e', "console.log(typeof require('cdktf-apache-wsgi/docker').DockerHost)"], dir).trim()).toBe('function');
    expect(fs.existsSync(path.join(dir, 'node_modules', '@cdktf', 'provider-aws'))).toBe(false);
    // AND with the AWS provider added, the aws entry point loads (the size difference is printed)
    const before = sizeMb(path.join(dir, 'node_modules'));
    run('npm', [...NPM_INSTALL, '@cdktf/provider-aws@20.1.0'], dir);
    console.log(`local-only + docker: node_modules ${before} MB without @cdktf/provider-aws, ${sizeMb(path.join(dir, 'node_modules'))} MB with it`);
    expect(run('node', ['-e', "console.log(typeof require('cdktf-apache-wsgi/aws').Ec2Host)"], dir).trim()).toBe('function');
  }, 180_000);

  test('the examples synthesize the same Apache configs and resources under CDK Terrain 0.24 as under cdktf 0.21', () => {
    // GIVEN the examples (and the Docker site with a data directory, secret and release command
    // that scripts/docker-start-check.sh deploys) compiled once for cdktf (this checkout's dist,
    // as packed) and once for cdktn (imports renamed, the package from the tarball)
    const cdktn = project('cdktn', ['cdktn@0.24.0', '@cdktn/provider-aws@25.7.0', 'constructs@10.7.0']);
    const built = path.join(scratch, 'clone', 'dist');
    const programs: Record<string, string> = {
      'single-app': 'examples/single-app/main.ts', 'two-apps': 'examples/two-apps/main.ts', 'ec2-site': 'examples/ec2-site/main.ts',
      'ecs-site': 'examples/ecs-site/main.ts', 'fleet-site': 'examples/fleet-site/main.ts',
      'docker-site': 'examples/docker-site/main.ts', 'start-site': 'test/support/container-start-site.ts',
    };
    const dockerStacks = ['docker-site', 'start-site'];
    const compile = (outDir: string, renames: Record<string, string>) => {
      for (const dir of ['examples/apps', 'test/fixtures/container-start-app']) {
        fs.cpSync(path.join(ROOT, dir), path.join(outDir, dir), { recursive: true });
      }
      for (const file of Object.values(programs)) {
        const source = fs.readFileSync(path.join(ROOT, file), 'utf8');
        const compilerOptions = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true };
        let js = ts.transpileModule(source, { compilerOptions }).outputText;
        js = js.replace(/require\("([^"]+)"\)/g, (m, spec: string) => {
          const to = Object.entries(renames).find(([from]) => spec === from || spec.startsWith(`${from}/`));
          return to ? `require("${to[1]}${spec.slice(to[0].length)}")` : m;
        });
        fs.mkdirSync(path.dirname(path.join(outDir, file)), { recursive: true });
        fs.writeFileSync(path.join(outDir, file.replace(/\.ts$/, '.js')), js);
      }
    };
    const cdktfDir = path.join(scratch, 'cdktf');
    compile(cdktfDir, { '../../lib': built });
    compile(cdktn, {
      '../../lib': 'cdktf-apache-wsgi/cdktn', 'cdktf': 'cdktn', '@cdktf/provider-aws': '@cdktn/provider-aws',
      '@cdktf/provider-docker/lib/provider': 'cdktf-apache-wsgi/cdktn/provider-docker',
    });
    // WHEN each program is synthesized under both
    for (const file of Object.values(programs)) {
      const js = file.replace(/\.ts$/, '.js');
      run('node', [js], cdktfDir, { CDKTF_OUTDIR: 'out', NODE_PATH: path.join(ROOT, 'node_modules') });
      run('node', [js], cdktn, { CDKTF_OUTDIR: 'out' });
    }
    // THEN the cdktn project has no CDK for Terraform package (the Docker bindings come with the tarball)
    expect(fs.readdirSync(path.join(cdktn, 'node_modules')).filter((d) => d === 'cdktf' || d === '@cdktf')).toEqual([]);
    // AND every generated file but cdk.tf.json is byte for byte the same
    const a = path.join(cdktfDir, 'out', 'stacks');
    const b = path.join(cdktn, 'out', 'stacks');
    const generated = listFiles(a).filter((f) => path.basename(f) !== 'cdk.tf.json');
    expect(generated.filter((f) => f.includes('/apache/')).length).toBeGreaterThanOrEqual(8);
    expect(generated.filter((f) => /^(docker|start)-site\/docker\/.*Dockerfile$/.test(f))).toHaveLength(2);
    expect(listFiles(b).filter((f) => path.basename(f) !== 'cdk.tf.json')).toEqual(generated);
    for (const f of generated) {
      expect(`${f}: ${fs.readFileSync(path.join(b, f), 'utf8')}`).toBe(`${f}: ${fs.readFileSync(path.join(a, f), 'utf8')}`);
    }
    // AND cdk.tf.json declares the same resources, data sources and outputs
    const shape = (file: string) => {
      const json = JSON.parse(fs.readFileSync(file, 'utf8'));
      const keys = (o: Record<string, Record<string, unknown>> = {}) => Object.entries(o).flatMap(([t, r]) => Object.keys(r).map((n) => `${t}.${n}`)).sort();
      return { resource: keys(json.resource), data: keys(json.data), output: Object.keys(json.output ?? {}).sort() };
    };
    for (const stack of Object.keys(programs)) {
      expect(shape(path.join(b, stack, 'cdk.tf.json'))).toEqual(shape(path.join(a, stack, 'cdk.tf.json')));
    }
    // AND the Docker stacks' resources, provider and its pin are the same but for cdktf's construct metadata ("//")
    const docker = (dir: string, stack: string) => {
      const json = JSON.parse(fs.readFileSync(path.join(dir, stack, 'cdk.tf.json'), 'utf8'));
      const resources = Object.fromEntries(Object.entries(json.resource as Record<string, Record<string, Record<string, unknown>>>)
        .map(([t, r]) => [t, Object.fromEntries(Object.entries(r).map(([n, { '//': _meta, ...body }]) => [n, body]))]));
      return { resource: resources, provider: json.provider, pin: json.terraform.required_providers };
    };
    for (const stack of dockerStacks) {
      expect(docker(b, stack)).toEqual(docker(a, stack));
    }
    expect(Object.keys(docker(b, 'start-site').resource).sort()).toEqual(['docker_container', 'docker_image', 'docker_volume', 'terraform_data']);
    expect(docker(b, 'docker-site').pin).toEqual({ docker: { source: 'kreuzwerker/docker', version: '3.6.2' } });
    // AND the ec2 user data (the whole recipe and bundle) is identical
    const userData = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'ec2-site', 'cdk.tf.json'), 'utf8')).resource.aws_instance;
    expect(JSON.stringify(userData(b)).length).toBeGreaterThan(1000);
    expect(Object.values(userData(b)).map((i) => (i as { user_data: string }).user_data))
      .toEqual(Object.values(userData(a)).map((i) => (i as { user_data: string }).user_data));
    // AND a TypeScript program on cdktn type-checks against the cdktn entry points, with both
    // the "exports" map (node16) and typesVersions (node10) module resolution
    fs.writeFileSync(path.join(cdktn, 'typed.ts'), [
      "import { App, TerraformStack } from 'cdktn';",
      "import { ApacheSite, Platform } from 'cdktf-apache-wsgi/cdktn';",
      "import { Ec2Host } from 'cdktf-apache-wsgi/cdktn/aws';",
      "const stack = new TerraformStack(new App(), 's');",
      "const site = new ApacheSite(stack, 'Site', { platform: Platform.DEBIAN_12, serverName: 'www.example.com' });",
      "export const host: Ec2Host = new Ec2Host(stack, 'Host', { site });",
    ].join('\n'));
    typeCheckBothResolutions(cdktn, 'typed.ts');
  }, 240_000);

  test('DockerHost loads, type-checks and synthesizes under CDK Terrain with only cdktn and constructs installed', () => {
    // GIVEN a project with the package, cdktn and constructs only
    const dir = project('cdktn-docker', ['cdktn@0.24.0', 'constructs@10.7.0']);
    expect(fs.readdirSync(path.join(dir, 'node_modules')).filter((d) => d === 'cdktf' || d === '@cdktf')).toEqual([]);
    // WHEN the cdktn docker entry points are loaded
    const loaded = run('node', ['-e', [
      "console.log(typeof require('cdktf-apache-wsgi/cdktn/docker').DockerHost);",
      "console.log(typeof require('cdktf-apache-wsgi/cdktn/provider-docker').DockerProvider);",
    ].join('')], dir);
    // THEN both are classes
    expect(loaded.split('\n').filter(Boolean)).toEqual(['function', 'function']);
    // AND a TypeScript program with the provider and a DockerHost type-checks with both module
    // resolutions (node16 uses "exports", node10 typesVersions)
    fs.mkdirSync(path.join(dir, 'app'));
    fs.writeFileSync(path.join(dir, 'app', 'wsgi.py'), 'def application(environ, start_response):\n    start_response("200 OK", [])\n    return [b"ok"]\n');
    fs.writeFileSync(path.join(dir, 'typed.ts'), [
      "import * as path from 'path';",
      "import { App, TerraformStack } from 'cdktn';",
      "import { ApacheSite, DaemonGroup, Platform, VirtualEnv, WsgiApp } from 'cdktf-apache-wsgi/cdktn';",
      "import { DockerHost } from 'cdktf-apache-wsgi/cdktn/docker';",
      "import { Container, DockerProvider, Volume } from 'cdktf-apache-wsgi/cdktn/provider-docker';",
      "const app = new App({ outdir: 'out' });",
      "const stack = new TerraformStack(app, 'web');",
      "new DockerProvider(stack, 'Docker', { host: 'unix:///var/run/docker.sock' });",
      "const site = new ApacheSite(stack, 'Site', { platform: Platform.DEBIAN_12, serverName: 'localhost' });",
      "const group = new DaemonGroup(site, 'Web', { virtualEnv: new VirtualEnv(stack, 'Env'), dataDirectories: { UPLOADS: 'uploads' } });",
      "new WsgiApp(site, 'App', { mountPath: '/', source: path.join(__dirname, 'app'), scriptFile: 'wsgi.py', daemonGroup: group });",
      "const host = new DockerHost(stack, 'Host', { site });",
      'export const container: Container = host.container;',
      'export const volumes: Volume[] = host.volumes;',
      'app.synth();',
    ].join('\n'));
    typeCheckBothResolutions(dir, 'typed.ts', ['--types', 'node', '--typeRoots', path.join(ROOT, 'node_modules', '@types')], true);
    // AND, compiled and run, it synthesizes the provider, the image, the volume and the container
    run('node', ['typed.js'], dir);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'out', 'stacks', 'web', 'cdk.tf.json'), 'utf8'));
    expect(json.provider.docker).toEqual([{ host: 'unix:///var/run/docker.sock' }]);
    // AND the package's command finds the cdktn program's site (render needs no Apache)
    run(path.join(dir, 'node_modules', '.bin', 'cdktf-apache-wsgi'), ['render', 'typed.js', '--out', 'rendered'], dir);
    expect(fs.readFileSync(path.join(dir, 'rendered', 'web', 'Site', 'apache', 'site.conf'), 'utf8')).toContain('WSGIDaemonProcess web ');
    expect(Object.keys(json.resource).sort()).toEqual(['docker_container', 'docker_image', 'docker_volume', 'terraform_data']);
    expect(Object.values(json.resource.docker_volume).map((v) => (v as { name: string }).name)).toEqual(['site-web-uploads']);
    expect(fs.existsSync(path.join(dir, 'out', 'stacks', 'web', 'docker', 'site', 'Dockerfile'))).toBe(true);
  }, 180_000);
});
