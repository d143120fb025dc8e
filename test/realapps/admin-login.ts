import * as http from 'http';

interface Page { status: number; location?: string; body: string }

/** A browser-like session: keeps cookies, sends a Host header, follows nothing by itself. */
export class Session {
  private readonly cookies = new Map<string, string>();

  constructor(private readonly base: string, private readonly host: string) {}

  public get(path: string): Promise<Page> {
    return this.send('GET', path);
  }

  public post(path: string, form: Record<string, string>): Promise<Page> {
    return this.send('POST', path, new URLSearchParams(form).toString());
  }

  public cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  private send(method: string, path: string, body?: string): Promise<Page> {
    const headers: Record<string, string> = { Host: this.host };
    if (this.cookies.size > 0) {
      headers.Cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    }
    if (body !== undefined) {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      headers['Content-Length'] = String(Buffer.byteLength(body));
      // Django checks the Origin of unsafe requests against the host.
      headers.Origin = `http://${this.host}`;
    }
    return new Promise((resolve, reject) => {
      const req = http.request(`${this.base}${path}`, { method, headers, agent: false, timeout: 30_000 }, (res) => {
        for (const c of res.headers['set-cookie'] ?? []) {
          const [pair] = c.split(';');
          const eq = pair.indexOf('=');
          this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
        }
        const chunks: Buffer[] = [];
        res.on('data', (d) => chunks.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${path}`)));
      req.on('error', reject);
      req.end(body);
    });
  }
}

/**
 * Logs in to Django's admin as a person would: GET the login form, POST it with
 * its CSRF token, then GET /admin/ as that user. Returns what each step got.
 */
export async function adminLogin(base: string, host: string, username: string, password: string): Promise<{ form: number; login: Page; admin: Page }> {
  const session = new Session(base, host);
  const form = await session.get('/admin/login/?next=/admin/');
  const token = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(form.body)?.[1];
  if (!token) {
    throw new Error(`no CSRF token in the login form (status ${form.status}): ${form.body.slice(0, 300)}`);
  }
  const login = await session.post('/admin/login/?next=/admin/', { csrfmiddlewaretoken: token, username, password, next: '/admin/' });
  const admin = await session.get('/admin/');
  return { form: form.status, login, admin };
}
