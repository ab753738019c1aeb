import { createServer, request, Server } from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * An HTTP proxy in front of a stand-in that can run a hook before forwarding a request: lets a
 * test make something happen *while* the engine's call is in flight (a delivery during a revoke).
 */
export async function startHookProxy(target: string): Promise<{ url: string; onRequest: (fn: ((method: string, path: string) => Promise<void>) | null) => void; close(): Promise<void> }> {
  let hook: ((method: string, path: string) => Promise<void>) | null = null;
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      if (hook) await hook(req.method ?? 'GET', req.url ?? '/').catch(() => undefined);
      const fwd = request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      fwd.on('error', () => res.writeHead(502).end());
      fwd.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    onRequest: (fn) => (hook = fn),
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
