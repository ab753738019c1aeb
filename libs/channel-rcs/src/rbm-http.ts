import http from 'node:http';
import https from 'node:https';

export interface RbmHttpAnswer {
  status: number;
  text: string;
  retryAfter: string | null;
}

export interface RbmHttpRequest {
  method: 'GET' | 'POST' | 'DELETE';
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

/** Thrown when the whole exchange outlasts its time; named as `AbortSignal.timeout` names it. */
function timeoutError(): Error {
  return Object.assign(new Error('RBM request timed out'), { name: 'TimeoutError' });
}

/**
 * One RBM exchange over node's own HTTP client and a keep-alive agent. Not `fetch`: every
 * message with no cached capability costs an RBM call, and in the pipeline bench `fetch`'s
 * machinery (WHATWG streams, an AbortSignal and its timer per call) was a tenth of the worker's
 * CPU. The contract stays `fetch`'s as the adapter used it: redirects are refused (an answer
 * from somewhere else is not RBM's), the timeout covers the whole exchange, and anything that
 * stops an answer arriving rejects.
 */
export class RbmHttp {
  private readonly agents = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) };

  request(url: URL, req: RbmHttpRequest): Promise<RbmHttpAnswer> {
    const transport = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : null;
    if (!transport) return Promise.reject(new Error(`unsupported scheme ${url.protocol}`));
    return new Promise<RbmHttpAnswer>((resolve, reject) => {
      // Once the answer has begun, node reports failures on the response, not the request:
      // every way out goes through these two, and the first one settles.
      let settled = false;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        call.destroy();
        reject(err);
      };
      const headers = req.body === undefined ? req.headers : { ...req.headers, 'content-length': String(Buffer.byteLength(req.body)) };
      const call = transport.request(url, { method: req.method, headers, agent: this.agents[url.protocol as 'http:' | 'https:'] }, (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400) return fail(new Error(`redirect refused (HTTP ${status})`));
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', fail);
        res.on('close', () => {
          if (!res.complete) fail(new Error('RBM answer cut short'));
        });
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          const retryAfter = res.headers['retry-after'];
          resolve({ status, text: Buffer.concat(chunks).toString('utf8'), retryAfter: typeof retryAfter === 'string' ? retryAfter : null });
        });
      });
      const timer = setTimeout(() => fail(timeoutError()), req.timeoutMs);
      call.on('error', fail);
      call.end(req.body);
    });
  }

  /** Closes the kept-alive sockets (shutdown). */
  close(): void {
    this.agents['http:'].destroy();
    this.agents['https:'].destroy();
  }
}
