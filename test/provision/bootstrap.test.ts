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

describe('credentials in the hosts\' AWS client', () => {
  /** Runs credentials() with only the given environment; a local container credentials endpoint answers when asked. */
  const credentialsWith = (env: Record<string, string>, files: Record<string, string> = {}) => withClient((dir) => {
    for (const [name, content] of Object.entries(files)) {
      fs.writeFileSync(path.join(dir, name), content);
    }
    const script = [
      'import http.server, json, os, sys, threading',
      `sys.path.insert(0, ${JSON.stringify(dir)})`,
      'class H(http.server.BaseHTTPRequestHandler):',
      '    def log_message(self, *a): pass',
      '    def do_GET(self):',
      '        ok = self.path == "/creds" and self.headers.get("Authorization") == "task-token"',
      '        body = json.dumps({"AccessKeyId": "ASIATASK", "SecretAccessKey": "task-secret", "Token": "task-session"}).encode()',
      '        self.send_response(200 if ok else 403); self.send_header("Content-Length", str(len(body) if ok else 0)); self.end_headers()',
      '        if ok: self.wfile.write(body)',
      'server = http.server.HTTPServer(("127.0.0.1", 0), H)',
      'threading.Thread(target=server.serve_forever, daemon=True).start()',
      'for k, v in list(os.environ.items()):',
      '    os.environ[k] = v.replace("PORT", str(server.server_port)).replace("DIR", sys.path[0])',
      'import aws_client',
      'print(json.dumps(aws_client.credentials()))',
    ].join('\n');
    return spawnSync('python3', ['-c', script], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:9', ...env } });
  });

  test('a container takes its task role from the ECS endpoint, with the authorization token', () => {
    // WHEN only the container endpoint (full URI form, loopback) and its token are set
    const out = credentialsWith({ AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://127.0.0.1:PORT/creds', AWS_CONTAINER_AUTHORIZATION_TOKEN: 'task-token' });
    // THEN the role's temporary credentials are used
    expect(out.stderr).toBe('');
    expect(JSON.parse(out.stdout)).toEqual(['ASIATASK', 'task-secret', 'task-session']);
  });

  test('static credentials in the environment come first, as in the SDKs', () => {
    const out = credentialsWith({ AWS_ACCESS_KEY_ID: 'AKIAENV', AWS_SECRET_ACCESS_KEY: 'env-secret', AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://127.0.0.1:PORT/creds' });
    expect(JSON.parse(out.stdout)).toEqual(['AKIAENV', 'env-secret', null]);
  });

  test('a shared credentials file is read with its profile', () => {
    const file = '[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = default-secret\n\n[deploy]\naws_access_key_id = AKIADEPLOY\naws_secret_access_key = deploy-secret\naws_session_token = deploy-session\n';
    const out = credentialsWith({ AWS_SHARED_CREDENTIALS_FILE: 'DIR/credentials', AWS_PROFILE: 'deploy' }, { credentials: file });
    expect(JSON.parse(out.stdout)).toEqual(['AKIADEPLOY', 'deploy-secret', 'deploy-session']);
  });

  test.each([
    ['a profile the credentials file lacks', { AWS_SHARED_CREDENTIALS_FILE: 'DIR/credentials', AWS_PROFILE: 'other' }, /credentials has no profile \[other\]/],
    ['a plain-HTTP container endpoint off the container addresses', { AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://example.com/creds' }, /must be https, or http to a container credentials address/],
    ['a wrong container authorization token', { AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://127.0.0.1:PORT/creds', AWS_CONTAINER_AUTHORIZATION_TOKEN: 'wrong' }, /HTTP Error 403/],
  ])('fails on %s', (_name, env, message) => {
    const out = credentialsWith(env, { credentials: '[default]\naws_access_key_id = A\naws_secret_access_key = B\n' });
    expect(out.status).not.toBe(0);
    expect(out.stderr).toMatch(message);
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
