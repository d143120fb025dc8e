import * as crypto from 'crypto';
import * as http from 'http';
import { AddressInfo } from 'net';

/** Fake credentials the provisioning run signs with; the stand-in checks every signature against them. */
export const FAKE_KEY_ID = 'AKIDSTANDIN000000000';
export const FAKE_SECRET = 'stand-in/secret/key/for/sigv4/checks/0000';

export interface AwsStandIn {
  readonly url: string;
  /** Requests seen: target and name, and whether the signature verified. */
  readonly calls: { target: string; name: string; signatureOk: boolean }[];
  close(): Promise<void>;
}

/**
 * A local stand-in for the two AWS APIs the hosts call for secrets (SSM
 * GetParameter, Secrets Manager GetSecretValue). It verifies each request's
 * SigV4 signature with its own implementation and answers like AWS; an
 * unknown name or a bad signature gets AWS's 400 error shape.
 */
export async function startAwsStandIn(values: Record<string, string>, host = '127.0.0.1'): Promise<AwsStandIn> {
  const calls: AwsStandIn['calls'] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const target = String(req.headers['x-amz-target'] ?? '');
      const payload = JSON.parse(body.toString('utf8') || '{}');
      const name = payload.Name ?? payload.SecretId ?? '';
      const signatureOk = verifySigV4(req, body);
      calls.push({ target, name, signatureOk });
      const reply = (status: number, doc: object) => {
        res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(doc));
      };
      if (!signatureOk) {
        return reply(400, { __type: 'InvalidSignatureException', message: 'signature mismatch' });
      }
      if (!(name in values)) {
        return reply(400, { __type: target.startsWith('AmazonSSM') ? 'ParameterNotFound' : 'ResourceNotFoundException' });
      }
      return target === 'AmazonSSM.GetParameter'
        ? reply(200, { Parameter: { Name: name, Type: 'SecureString', Value: values[name] } })
        : reply(200, { ARN: name, SecretString: values[name] });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://${host}:${port}`, calls, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** An independent SigV4 check: rebuild the canonical request from what arrived and compare. */
function verifySigV4(req: http.IncomingMessage, body: Buffer): boolean {
  const auth = String(req.headers.authorization ?? '');
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m || m[1] !== FAKE_KEY_ID) {
    return false;
  }
  const [, , day, region, service, signedHeaders, signature] = m;
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const url = new URL(req.url ?? '/', 'http://x');
  const canonicalHeaders = signedHeaders.split(';').map((h) => `${h}:${String(req.headers[h] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonical = [req.method, url.pathname, '', canonicalHeaders, signedHeaders, sha256(body)].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(Buffer.from(canonical))].join('\n');
  const hmac = (key: Buffer | string, text: string) => crypto.createHmac('sha256', key).update(text).digest();
  const key = hmac(hmac(hmac(hmac(`AWS4${FAKE_SECRET}`, day), region), service), 'aws4_request');
  return crypto.createHmac('sha256', key).update(toSign).digest('hex') === signature;
}

function sha256(data: Buffer): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

/**
 * As a program, for scripts (scripts/docker-start-check.sh): serves
 * `ts-node aws-stand-in.ts ADDRESS NAME=VALUE...`, prints `ready URL KEY_ID SECRET`
 * (the credentials to sign with), then one line per request: target, name, whether
 * the signature verified.
 */
if (require.main === module) {
  const [host, ...pairs] = process.argv.slice(2);
  const values = Object.fromEntries(pairs.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
  void startAwsStandIn(values, host).then((standIn) => {
    console.log(`ready ${standIn.url} ${FAKE_KEY_ID} ${FAKE_SECRET}`);
    let seen = 0;
    setInterval(() => {
      for (const call of standIn.calls.slice(seen)) {
        console.log(`${call.target} ${call.name} signature ${call.signatureOk ? 'ok' : 'BAD'}`);
      }
      seen = standIn.calls.length;
    }, 200);
  });
}
