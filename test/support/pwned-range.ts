import { createHash, randomBytes } from 'node:crypto';
import { IncomingHttpHeaders, Server, ServerResponse, createServer } from 'node:http';
import { AddressInfo } from 'node:net';

export interface PwnedRangeRequest {
  path: string;
  headers: IncomingHttpHeaders;
}

export interface PwnedRange {
  /** The base URL, as TSUNAGU_PWNED_PASSWORDS_URL takes it. */
  url: string;
  requests: PwnedRangeRequest[];
  /** `ok` answers; `down` answers 503; `hang` never answers (the client's timeout must end it). */
  mode: 'ok' | 'down' | 'hang';
  close(): Promise<void>;
}

const sha1 = (text: string) => createHash('sha1').update(text, 'utf8').digest('hex').toUpperCase();

/**
 * A stand-in for Have I Been Pwned's range API (`GET /range/<5 hex>`): answers every suffix it
 * knows under the prefix as `SUFFIX:COUNT` with CRLF, and, when asked for padding, random
 * suffixes counted 0 as the real one does. `breached` are the passwords it lists; `padded`
 * passwords appear only as padding (count 0), which is not a breach.
 */
export async function startPwnedRange(breached: string[], padded: string[] = []): Promise<PwnedRange> {
  const requests: PwnedRangeRequest[] = [];
  const hanging = new Set<ServerResponse>();
  const known = [...breached.map((p) => [sha1(p), 3861493] as const), ...padded.map((p) => [sha1(p), 0] as const)];
  const state = { mode: 'ok' as PwnedRange['mode'] };
  const server: Server = createServer((req, res) => {
    requests.push({ path: req.url ?? '', headers: req.headers });
    if (state.mode === 'hang') return void hanging.add(res);
    if (state.mode === 'down') return void res.writeHead(503).end('Service Unavailable');
    const prefix = /^\/range\/([0-9A-F]{5})$/.exec(req.url ?? '')?.[1];
    if (!prefix) return void res.writeHead(400).end('The hash prefix was not in a valid format');
    const lines = known.filter(([hash]) => hash.startsWith(prefix)).map(([hash, count]) => `${hash.slice(5)}:${count}`);
    if (req.headers['add-padding'] === 'true') for (let i = 0; i < 800; i += 1) lines.push(`${randomBytes(18).toString('hex').slice(0, 35).toUpperCase()}:0`);
    res.writeHead(200, { 'content-type': 'text/plain' }).end(lines.join('\r\n'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    get mode() {
      return state.mode;
    },
    set mode(mode) {
      state.mode = mode;
    },
    close: () =>
      new Promise((r) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
