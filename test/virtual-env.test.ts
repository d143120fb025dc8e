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
