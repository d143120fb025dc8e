import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing, TerraformStack } from 'cdktf';
import { VirtualEnv } from '../lib';
import { warningsOf } from './util';

const FIXTURES = path.join(__dirname, 'fixtures');

describe('VirtualEnv', () => {
  const stack = () => new TerraformStack(Testing.app(), 'test');

  test('derives its name from the id and follows the platform Python by default', () => {
    const env = new VirtualEnv(stack(), 'ApiEnv');
    expect(env.venvName).toBe('api-env');
    expect(env.pythonVersion).toBeUndefined();
    expect(env.systemSitePackages).toBe(false);
    expect(env.requireHashes).toBe(false);
  });

  test('warns on requirements not pinned with ==', () => {
    const env = new VirtualEnv(stack(), 'Env', { requirementsFile: path.join(FIXTURES, 'unpinned-requirements.txt'), requirements: ['attrs'] });
    expect(warningsOf(env)).toEqual(['requirements not pinned with ==, so builds are not reproducible: requests>=2, attrs']);
  });

  test('detects hashes and installs with --require-hashes', () => {
    const env = new VirtualEnv(stack(), 'Env', { requirementsFile: path.join(FIXTURES, 'hashed-requirements.txt') });
    expect(env.requireHashes).toBe(true);
    expect(warningsOf(env)).toEqual([]);
  });

  test('fails on a relative requirements file', () => {
    expect(() => new VirtualEnv(stack(), 'Env', { requirementsFile: 'requirements.txt' }))
      .toThrow(/test\/Env: requirementsFile "requirements.txt" is invalid; expected an absolute path/);
  });

  test('fails on a requirements file that does not exist', () => {
    expect(() => new VirtualEnv(stack(), 'Env', { requirementsFile: path.join(FIXTURES, 'missing.txt') }))
      .toThrow(/requirementsFile ".*missing.txt" is invalid; expected an existing file/);
  });

  test('fails on a pip option smuggled into requirements', () => {
    expect(() => new VirtualEnv(stack(), 'Env', { requirements: ['--index-url=http://evil.example'] }))
      .toThrow(/requirements\[0\] .* is invalid; expected one requirement specifier/);
  });

  test('fails on a malformed Python version', () => {
    expect(() => new VirtualEnv(stack(), 'Env', { pythonVersion: '3' })).toThrow(/pythonVersion "3" is invalid; expected a Python minor version such as "3.11"/);
  });
});

describe('VirtualEnv requirements sources (audit: requirements could fetch code from anywhere)', () => {
  const stack = () => new TerraformStack(Testing.app(), 't');
  const file = (text: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'caw-req-'));
    fs.writeFileSync(path.join(dir, 'requirements.txt'), text);
    return path.join(dir, 'requirements.txt');
  };

  test.each([
    ['--index-url https://pypi.evil.example/simple'],
    ['--extra-index-url=https://pypi.evil.example/simple'],
    ['-i https://pypi.evil.example/simple'],
    ['--trusted-host pypi.evil.example'],
    ['--find-links https://evil.example/wheels'],
    ['-e git+https://example.com/repo.git#egg=x'],
    ['flask @ https://example.com/flask-3.1.3.tar.gz'],
    ['git+https://example.com/repo.git'],
  ])('fails on a requirements file line %s unless package sources are allowed', (line) => {
    // GIVEN a requirements file that names a package source
    const req = file(`django==5.2.17\n${line}\n`);
    // WHEN the venv is declared THEN it is refused, naming the line
    expect(() => new VirtualEnv(stack(), 'Env', { requirementsFile: req }))
      .toThrow(/^t\/Env: requirementsFile ".*" is invalid; expected a requirement from the configured package index: .*allowPackageSources: true/);
    // AND allowed when the user opts in
    expect(new VirtualEnv(stack(), 'Env', { requirementsFile: req, allowPackageSources: true }).requirementsFile).toBe(req);
  });

  test.each([['-r base.txt'], ['--requirement=base.txt'], ['-c constraints.txt']])('fails on an include %s, which the bundle would not carry', (line) => {
    expect(() => new VirtualEnv(stack(), 'Env', { requirementsFile: file(`${line}\n`), allowPackageSources: true }))
      .toThrow(/requirementsFile ".*" is invalid; expected no -r\/-c includes: only this one file is shipped to the host/);
  });

  test('fails on a URL requirement given as a specifier', () => {
    expect(() => new VirtualEnv(stack(), 'Env', { requirements: ['flask @ https://example.com/flask.tar.gz'] }))
      .toThrow(/^t\/Env: requirements\[0\] "flask @ https:\/\/example.com\/flask.tar.gz" is invalid; expected a requirement from the configured package index/);
  });

  test('accepts pinned requirements with hashes and markers', () => {
    const req = file("flask==3.1.3 --hash=sha256:0123456789abcdef ; python_version >= '3.9'\n");
    expect(new VirtualEnv(stack(), 'Env', { requirementsFile: req }).requireHashes).toBe(true);
  });
});
