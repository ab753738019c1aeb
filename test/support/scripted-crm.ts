import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';

/** What a CRM endpoint stand-in took: headers, body, and when. */
export interface Take {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** A CRM endpoint answering each request with the next status of `answers` (the last from then on), and `headers` on each. */
export async function scriptedCrm(answers: number[], headers: Record<string, string> = {}) {
  const takes: Take[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      takes.push({ headers: req.headers, body, at: Date.now() });
      res.writeHead(answers.length > 1 ? (answers.shift() as number) : answers[0], headers).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/crm`,
    takes,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
