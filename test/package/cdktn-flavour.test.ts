import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCommand } from '../support/run-command';

// scripts/cdktn-flavour.js on a stand-in dist/ and a stand-in @cdktf/provider-docker:
// the rename, where the copied Docker bindings land, and the build failing loudly.
const SCRIPT = path.join(__dirname, '..', '..', 'scripts', 'cdktn-flavour.js');
const MODULES = ['provider', 'container', 'image', 'volume'];

let dir: string;

/** A project dir with dist/ files and a provider-docker package whose modules are `bindings` (default: cdktf + constructs only). */
function setUp(distFiles: Record<string, string>, bindings: Record<string, string> = {}): void {
  const pkg = path.join(dir, 'node_modules', '@cdktf', 'provider-docker');
  fs.mkdirSync(pkg, { recursive: true });
  fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: '@cdktf/provider-docker', version: '9.8.7' }));
  fs.writeFileSync(path.join(pkg, 'LICENSE'), 'Mozilla Public License, version 2.0\n');
  for (const mod of MODULES) {
    fs.mkdirSync(path.join(pkg, 'lib', mod), { recursive: true });
    const js = bindings[mod] ?? '"use strict";\nconst cdktf = require("cdktf");\nconst constructs = require("constructs");\n';
    fs.writeFileSync(path.join(pkg, 'lib', mod, 'index.js'), `${js}//# sourceMappingURL=data:application/json;base64,e30=\n`);
    fs.writeFileSync(path.join(pkg, 'lib', mod, 'index.d.ts'), "import { Construct } from 'constructs';\nimport * as cdktf from 'cdktf';\n");
  }
  for (const [file, text] of Object.entries(distFiles)) {
    fs.mkdirSync(path.dirname(path.join(dir, 'dist', file)), { recursive: true });
    fs.writeFileSync(path.join(dir, 'dist', file), text);
  }
}

function flavour(): string {
  return runCommand('node', [SCRIPT, 'dist'], { cwd: dir });
}

function read(file: string): string {
  return fs.readFileSync(path.join(dir, 'dist', 'cdktn', file), 'utf8');
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdktn-flavour-'));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

test('renames cdktf imports and points provider-docker imports at the copied bindings, which ship with their license', () => {
  // GIVEN a library file in dist/ and one a directory down, both using provider-docker modules
  setUp({
    'docker-host.js': 'const container_1 = require("@cdktf/provider-docker/lib/container");\nconst cdktf_1 = require("cdktf");\n',
    'docker-host.d.ts': "import { Container } from '@cdktf/provider-docker/lib/container';\nimport { DataResource } from 'cdktf';\n",
    'private/volumes.js': 'const volume_1 = require("@cdktf/provider-docker/lib/volume");\nconst aws = require("@cdktf/provider-aws/lib/instance");\n',
  });
  // WHEN the cdktn flavour is written
  flavour();
  // THEN the library requires cdktn and the copies by relative path
  expect(read('docker-host.js')).toBe('const container_1 = require("./provider-docker/container");\nconst cdktf_1 = require("cdktn");\n');
  expect(read('docker-host.d.ts')).toBe("import { Container } from './provider-docker/container';\nimport { DataResource } from 'cdktn';\n");
  expect(read('private/volumes.js')).toBe('const volume_1 = require("../provider-docker/volume");\nconst aws = require("@cdktn/provider-aws/lib/instance");\n');
  // AND each copied module loads cdktn and constructs, says where it comes from, and has no source map
  for (const mod of MODULES) {
    const js = read(`provider-docker/${mod}/index.js`);
    expect(js.split('\n')[0]).toMatch(new RegExp(`^// @cdktf/provider-docker 9\\.8\\.7 lib/${mod}/index\\.js \\(MPL-2\\.0, \\.\\./LICENSE;`));
    expect(js).toContain('const cdktf = require("cdktn");\nconst constructs = require("constructs");\n');
    expect(js).not.toContain('sourceMappingURL');
    expect(read(`provider-docker/${mod}/index.d.ts`)).toContain("import * as cdktf from 'cdktn';");
  }
  expect(read('provider-docker/LICENSE')).toBe('Mozilla Public License, version 2.0\n');
  // AND the provider-docker entry point re-exports the four modules
  expect(read('provider-docker.d.ts').split('\n').filter(Boolean)).toEqual(MODULES.map((m) => `export * from './provider-docker/${m}';`));
  expect(read('provider-docker.js').match(/__exportStar\(require\("[^"]+"\), exports\)/g))
    .toEqual(MODULES.map((m) => `__exportStar(require("./provider-docker/${m}"), exports)`));
});

test('fails when the library imports a provider-docker module that is not copied', () => {
  // GIVEN a library file using docker_network
  setUp({ 'net.js': 'const network_1 = require("@cdktf/provider-docker/lib/network");\n' });
  // THEN the build fails naming the module and what is copied
  expect(flavour).toThrow(/net\.js: imports @cdktf\/provider-docker\/lib\/network, which is not copied for CDK Terrain \(copied: lib\/\{provider,container,image,volume\}\)/);
});

test('fails when a copied binding loads a module other than cdktf and constructs', () => {
  // GIVEN a provider-docker container module that loads a sibling
  setUp({ 'index.js': 'require("cdktf");\n' }, { container: '"use strict";\nconst cdktf = require("cdktf");\nconst lazy = require("../lazy-index");\n' });
  // THEN the build fails naming the file and the specifier
  expect(flavour).toThrow(/lib\/container\/index\.js: import not rewritten for CDK Terrain: \.\.\/lazy-index/);
});

test('fails when a cdktf import is left that the rename does not cover', () => {
  // GIVEN a side-effect import, which the rename pattern leaves alone
  setUp({ 'side.js': 'import "cdktf/lib/index";\n' });
  // THEN the build fails rather than load CDK for Terraform under cdktn
  expect(flavour).toThrow(/side\.js: import not rewritten for CDK Terrain: cdktf\/lib\/index/);
});
