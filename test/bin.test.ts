import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { programUsesCdktn } from '../lib/bin';

describe('the package command picks the build the program uses', () => {
  let dir: string;
  const install = (pkg: string) => {
    fs.mkdirSync(path.join(dir, 'node_modules', pkg), { recursive: true });
    fs.writeFileSync(path.join(dir, 'node_modules', pkg, 'package.json'), JSON.stringify({ name: pkg, version: '0.0.0', main: 'index.js' }));
    fs.writeFileSync(path.join(dir, 'node_modules', pkg, 'index.js'), '');
  };
  const program = (name: string, text: string) => {
    fs.writeFileSync(path.join(dir, name), text);
    return path.join(dir, name);
  };
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'caw-bin-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('cdktf when only cdktf is installed', () => {
    // GIVEN a project with cdktf only
    install('cdktf');
    // THEN its program runs on the cdktf build
    expect(programUsesCdktn(program('main.js', "require('cdktf');"))).toBe(false);
  });

  test('cdktn when only cdktn is installed, whatever the program names', () => {
    // GIVEN a project with cdktn only
    install('cdktn');
    // THEN its program runs on the cdktn build
    expect(programUsesCdktn(program('main.js', "require('./stacks');"))).toBe(true);
  });

  test('with both installed, the program\'s own imports decide', () => {
    // GIVEN a project with both CDKs
    install('cdktf');
    install('cdktn');
    // THEN a program importing cdktn (or the package's cdktn entry) runs on cdktn, any other on cdktf
    expect(programUsesCdktn(program('a.ts', "import { App } from 'cdktn';"))).toBe(true);
    expect(programUsesCdktn(program('b.js', 'const { ApacheSite } = require("cdktf-apache-wsgi/cdktn");'))).toBe(true);
    expect(programUsesCdktn(program('c.ts', "import { App } from 'cdktf';\nimport { ApacheSite } from 'cdktf-apache-wsgi';"))).toBe(false);
    expect(programUsesCdktn(program('d.ts', "import { x } from 'cdktnx';"))).toBe(false);
  });

  test('cdktf when no program is named (the command then prints its usage)', () => {
    // THEN the default build runs
    expect(programUsesCdktn(undefined)).toBe(false);
  });
});
