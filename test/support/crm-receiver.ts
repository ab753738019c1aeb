import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo, createServer as createTcpServer } from 'node:net';

export interface ReceivedCallback {
  headers: IncomingHttpHeaders;
  body: string;
}

export interface CrmReceiver {
  url: string;
  received: ReceivedCallback[];
  close(): Promise<void>;
}

/** A CRM's callback endpoint: keeps every request it gets and answers `status` (204: taken). */
export async function startCrmReceiver(status = 204): Promise<CrmReceiver> {
  const received: ReceivedCallback[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/crm`,
    received,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** A port nothing listens on now, for a child process to take. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createTcpServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
