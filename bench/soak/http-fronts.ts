import http, { IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import getRawBody from 'raw-body';
import { signWebhook } from '@tsunagu/security';

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

export interface CallbackRecord {
  id: string;
  count: number;
  type: string;
  status: string;
  messageId: string;
}

export interface CrmReceiver {
  url: string;
  /** First receipt of each webhook-id, with how many times it came. */
  byId: Map<string, CallbackRecord>;
  total(): number;
  badSignatures(): number;
  refused(): number;
  setSecret(secret: string): void;
  close(): Promise<void>;
}

/**
 * The CRM: records every signed callback by its `webhook-id` (the Standard Webhooks dedupe key),
 * checks the signature, and answers 500 to a share of first deliveries so retries happen.
 */
export async function startCrmReceiver(opts: { failFirstRate: number; rand: () => number }): Promise<CrmReceiver> {
  const byId = new Map<string, CallbackRecord>();
  let total = 0;
  let bad = 0;
  let refused = 0;
  let secret = '';
  const server = http.createServer((req, res) => {
    void getRawBody(req).then((raw) => {
      total++;
      const id = String(req.headers['webhook-id'] ?? '');
      const ts = Number(req.headers['webhook-timestamp'] ?? 0);
      const body = raw.toString('utf8');
      if (secret) {
        const expected = signWebhook({ secret, id, timestamp: ts, body });
        const given = String(req.headers['webhook-signature'] ?? '').split(' ');
        if (!given.includes(expected)) bad++;
      }
      const known = byId.get(id);
      if (!known && opts.rand() < opts.failFirstRate) {
        refused++;
        res.writeHead(500).end();
        return;
      }
      if (known) known.count++;
      else {
        let parsed: { type?: string; status?: string; messageId?: string } = {};
        try {
          parsed = JSON.parse(body) as typeof parsed;
        } catch {
          /* counted as a record with no type */
        }
        byId.set(id, { id, count: 1, type: parsed.type ?? '', status: parsed.status ?? '', messageId: parsed.messageId ?? '' });
      }
      res.writeHead(204).end();
    });
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}/crm/callbacks`,
    byId,
    total: () => total,
    badSignatures: () => bad,
    refused: () => refused,
    setSecret: (s) => {
      secret = s;
    },
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

export interface Balancer {
  url: string;
  forwarded(): number;
  failed(): number;
  close(): Promise<void>;
}

/**
 * The providers' way in: a load balancer in front of the api processes, as production has. Each
 * request goes to the next api; one that cannot be reached is skipped, and a request no api could
 * take answers 502 (the providers retry those).
 */
export async function startBalancer(backends: () => string[]): Promise<Balancer> {
  let next = 0;
  let forwarded = 0;
  let failed = 0;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const tryOne = (base: string, req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<boolean> =>
    new Promise((resolve) => {
      const target = new URL(req.url ?? '/', base);
      const headers = { ...req.headers, host: target.host };
      const up = http.request(target, { method: req.method, headers, agent, timeout: 15_000 }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
        r.on('end', () => resolve(true));
        r.on('error', () => resolve(true));
      });
      up.on('timeout', () => up.destroy(new Error('timeout')));
      up.on('error', () => resolve(res.headersSent));
      up.end(body);
    });
  const server = http.createServer((req, res) => {
    void getRawBody(req).then(async (body) => {
      const list = backends();
      for (let k = 0; k < list.length; k++) {
        const base = list[next++ % list.length];
        if (await tryOne(base, req, body, res)) {
          forwarded++;
          return;
        }
      }
      failed++;
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    forwarded: () => forwarded,
    failed: () => failed,
    close: () => {
      server.closeAllConnections();
      agent.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}
