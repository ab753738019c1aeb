import http from 'node:http';
import { AddressInfo } from 'node:net';
import { RbmHttp } from './rbm-http';

/** RbmHttp against a real HTTP server on loopback: answers, kept-alive reuse, and every way an answer can fail to come. */
describe('RbmHttp over real HTTP', () => {
  let server: http.Server;
  let base: string;
  const ports: number[] = [];
  const client = new RbmHttp();

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      ports.push(req.socket.remotePort ?? 0);
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (req.url === '/redirect') return void res.writeHead(302, { location: 'http://127.0.0.1:1/' }).end();
        if (req.url === '/silent') return; // never answers
        if (req.url === '/cut') {
          res.writeHead(200, { 'content-length': '100' });
          res.write('{"partial":');
          setTimeout(() => req.socket.destroy(), 20);
          return;
        }
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '7' });
        res.end(JSON.stringify({ method: req.method, auth: req.headers.authorization, length: req.headers['content-length'] ?? null, body }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    client.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('answers status, body and Retry-After, sends the body with its length, and reuses the connection', async () => {
    const body = JSON.stringify({ text: 'こんにちは' });
    const first = await client.request(new URL(`${base}/echo`), { method: 'POST', headers: { authorization: 'Bearer t' }, body, timeoutMs: 2000 });
    expect(first.status).toBe(429);
    expect(first.retryAfter).toBe('7');
    expect(JSON.parse(first.text)).toEqual({ method: 'POST', auth: 'Bearer t', length: String(Buffer.byteLength(body)), body });
    const second = await client.request(new URL(`${base}/echo`), { method: 'GET', headers: {}, timeoutMs: 2000 });
    expect(JSON.parse(second.text)).toMatchObject({ method: 'GET', body: '', length: null });
    expect(ports.slice(-2)[0]).toBe(ports.slice(-1)[0]);
  });

  it('refuses a redirect instead of following it', async () => {
    await expect(client.request(new URL(`${base}/redirect`), { method: 'GET', headers: {}, timeoutMs: 2000 })).rejects.toThrow(/redirect refused \(HTTP 302\)/);
  });

  it('rejects with a TimeoutError when no answer comes in time', async () => {
    const started = Date.now();
    await expect(client.request(new URL(`${base}/silent`), { method: 'GET', headers: {}, timeoutMs: 150 })).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('rejects when the answer is cut short, and when nothing listens', async () => {
    await expect(client.request(new URL(`${base}/cut`), { method: 'GET', headers: {}, timeoutMs: 2000 })).rejects.toThrow();
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    await expect(client.request(new URL(`http://127.0.0.1:${port}/`), { method: 'GET', headers: {}, timeoutMs: 2000 })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
