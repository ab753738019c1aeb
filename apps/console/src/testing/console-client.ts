/**
 * A tiny console client for the e2e specs: a cookie jar, manual redirects (so 303s are visible)
 * and the CSRF token scraped from the last page, the way a browser form would carry it.
 */
export interface ConsoleResponse {
  status: number;
  headers: Headers;
  text: string;
  setCookies: string[];
}

export class ConsoleClient {
  readonly cookies = new Map<string, string>();
  lastHtml = '';

  constructor(
    readonly baseUrl: string,
    private readonly extraHeaders: Record<string, string> = {},
  ) {}

  csrf(): string {
    const m = /name="_csrf" value="([^"]+)"/.exec(this.lastHtml);
    if (!m) throw new Error('no CSRF token on the last page');
    return m[1];
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<ConsoleResponse> {
    return this.request('GET', path, undefined, headers);
  }

  async post(path: string, form: Record<string, string | string[]>, headers: Record<string, string> = {}): Promise<ConsoleResponse> {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(form)) for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
    return this.request('POST', path, body.toString(), { 'content-type': 'application/x-www-form-urlencoded', ...headers });
  }

  /** Loads the sign-in form (for its token), then signs in. */
  async signIn(tenant: string, email: string, password: string): Promise<ConsoleResponse> {
    await this.get('/console/login');
    return this.post('/console/login', { _csrf: this.csrf(), tenant, email, password });
  }

  private async request(method: string, path: string, body: string | undefined, headers: Record<string, string>): Promise<ConsoleResponse> {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      body,
      redirect: 'manual',
      headers: { ...this.extraHeaders, ...(cookie ? { cookie } : {}), ...headers },
    });
    const setCookies = res.headers.getSetCookie();
    for (const c of setCookies) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i);
      const value = pair.slice(i + 1);
      if (/Max-Age=0/i.test(c) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const text = await res.text();
    if ((res.headers.get('content-type') ?? '').includes('text/html')) this.lastHtml = text;
    return { status: res.status, headers: res.headers, text, setCookies };
  }
}
