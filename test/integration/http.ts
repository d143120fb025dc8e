import * as http from 'http';

export interface Response {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** One HTTP request to a local test server. */
export function request(url: string, options: { method?: string; body?: Buffer | string; timeoutMs?: number; agent?: http.Agent } = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', agent: options.agent ?? false, timeout: options.timeoutMs ?? 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${options.timeoutMs ?? 30_000} ms: ${url}`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

export async function getJson(url: string): Promise<any> {
  const res = await request(url);
  if (res.status !== 200) {
    throw new Error(`GET ${url} -> ${res.status}: ${res.body}`);
  }
  return JSON.parse(res.body);
}

export interface LoadResult {
  readonly sent: number;
  readonly ok: number;
  readonly failed: number;
  readonly statuses: Readonly<Record<string, number>>;
}

/**
 * A bounded load on loopback: `concurrency` keep-alive clients send GETs until
 * `maxRequests` were sent or `maxMs` elapsed, whichever comes first.
 */
export async function boundedLoad(url: string, opts: { concurrency: number; maxRequests: number; maxMs: number; whileRunning?: () => Promise<void> }): Promise<LoadResult> {
  if (!/^http:\/\/(127\.\d+\.\d+\.\d+|localhost)(:|\/)/.test(url)) {
    throw new Error(`load tests only target loopback, not ${url}`);
  }
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency });
  const deadline = Date.now() + opts.maxMs;
  const statuses: Record<string, number> = {};
  let sent = 0;
  let running = true;
  const worker = async () => {
    while (running && sent < opts.maxRequests && Date.now() < deadline) {
      sent++;
      let key: string;
      try {
        key = String((await request(url, { agent, timeoutMs: 20_000 })).status);
      } catch (e) {
        key = `error: ${(e as Error).message}`;
      }
      statuses[key] = (statuses[key] ?? 0) + 1;
    }
  };
  const workers = Array.from({ length: opts.concurrency }, worker);
  if (opts.whileRunning) {
    await opts.whileRunning();
  }
  await Promise.all(workers);
  running = false;
  agent.destroy();
  const ok = statuses['200'] ?? 0;
  return { sent, ok, failed: sent - ok, statuses };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
