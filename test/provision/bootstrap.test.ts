import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AWS_CLIENT_PY } from '../../lib/provision/aws-client';
import { BOOTSTRAP_PY, bootstrapUserData } from '../../lib/provision/bootstrap';
import { bundleTarball, sha256Hex } from '../../lib/provision/tarball';

function withClient<T>(fn: (dir: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'caw-client-'));
  try {
    fs.writeFileSync(path.join(dir, 'aws_client.py'), AWS_CLIENT_PY);
    fs.writeFileSync(path.join(dir, 'bootstrap.py'), BOOTSTRAP_PY);
    return fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const bundle = (files: Record<string, string>) => new Map(Object.entries(files).map(([k, v]) => [k, { content: Buffer.from(v), mode: k.endsWith('.sh') ? 0o755 : 0o644 }]));

describe('S3 GetObject in the hosts\' AWS client', () => {
  test('signs a GET exactly as AWS\'s documented S3 example (SigV4 test vector)', () => {
    // GIVEN the example of the S3 SigV4 documentation: GET /test.txt with a Range header, 2013-05-24
    const out = withClient((dir) => spawnSync('python3', [path.join(dir, 'aws_client.py'), 'sign', 'GET', 'https://examplebucket.s3.amazonaws.com/test.txt', 'us-east-1', 's3', '20130524T000000Z', '',
      JSON.stringify({ 'Range': 'bytes=0-9', 'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' })],
    { encoding: 'utf8', env: { ...process.env, AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' } }));
    // THEN the signature is the one the documentation prints
    expect(out.stderr).toBe('');
    expect(out.stdout.trim()).toBe('AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, '
      + 'SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41');
  });

  test.each([
    [{}, 'my-bundles', 'https://my-bundles.s3.eu-west-1.amazonaws.com/site/ab.tar.gz?versionId=v%2B1'],
    [{}, 'my.bundles', 'https://s3.eu-west-1.amazonaws.com/my.bundles/site/ab.tar.gz?versionId=v%2B1'],
    [{ AWS_ENDPOINT_URL_S3: 'http://10.0.0.1:9000/' }, 'my-bundles', 'http://10.0.0.1:9000/my-bundles/site/ab.tar.gz?versionId=v%2B1'],
  ])('addresses the object (override %j, bucket %s)', (env, bucket, url) => {
    const out = withClient((dir) => spawnSync('python3', ['-c', `import sys; sys.path.insert(0, ${JSON.stringify(dir)}); import aws_client; print(aws_client.s3_object_url(${JSON.stringify(bucket)}, "site/ab.tar.gz", "eu-west-1", "v+1"))`],
      { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } }));
    expect(out.stdout.trim()).toBe(url);
  });
});

describe('bundle archive and bootstrap', () => {
  test('the archive is deterministic and Python\'s tarfile reads it back file for file', () => {
    const files = bundle({ 'provision.sh': '#!/bin/sh\necho hi\n', [`apps/${'a'.repeat(60)}/${'b'.repeat(60)}.py`]: 'x = 1\n' });
    const archive = bundleTarball(files);
    expect(sha256Hex(bundleTarball(files))).toBe(sha256Hex(archive));
    const out = withClient((dir) => {
      fs.writeFileSync(path.join(dir, 'b.tar.gz'), archive);
      return spawnSync('python3', ['-c', `import tarfile; t = tarfile.open(${JSON.stringify(path.join(dir, 'b.tar.gz'))}); print([(m.name, oct(m.mode), m.size, m.uid, m.mtime) for m in t.getmembers()])`], { encoding: 'utf8' });
    });
    expect(out.stdout.trim()).toBe(`[('provision.sh', '0o755', 18, 0, 0), ('apps/${'a'.repeat(60)}/${'b'.repeat(60)}.py', '0o644', 6, 0, 0)]`);
  });

  test('fails to unpack an archive whose member climbs out of the bundle directory', () => {
    // GIVEN an archive with a member named ../evil (built by Python's own tarfile)
    const out = withClient((dir) => {
      const script = [
        'import io, sys, tarfile',
        `sys.path.insert(0, ${JSON.stringify(dir)})`,
        'import bootstrap',
        `p = ${JSON.stringify(path.join(dir, 'evil.tar.gz'))}`,
        'with tarfile.open(p, "w:gz") as t:',
        '    info = tarfile.TarInfo("../evil"); info.size = 1; t.addfile(info, io.BytesIO(b"x"))',
        `bootstrap.unpack(p, ${JSON.stringify(path.join(dir, 'target'))})`,
      ].join('\n');
      return spawnSync('python3', ['-c', script], { encoding: 'utf8' });
    });
    // THEN unpacking stops with the member named
    expect(out.status).toBe(1);
    expect(out.stderr).toContain("ValueError: refusing archive member '../evil'");
  });

  test('the user data holds no Terraform template sequences of its own', () => {
    // Terraform would read "${" or "%{" in a literal part of user_data as a template.
    const userData = bootstrapUserData('site', '/opt/cdktf-apache-wsgi/site', { bucket: 'b', key: 'site/k.tar.gz', sha256: 'f'.repeat(64) });
    expect(userData).not.toMatch(/\$\{|%\{/);
    expect(Buffer.byteLength(userData)).toBeLessThan(16_384);
  });
});
