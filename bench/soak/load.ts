import { Planned } from './mix';
import { sleep } from './infra';

export interface LoadStats {
  sent: number;
  accepted: Map<number, { id: string; at: number }>;
  refused: Map<string, number>;
  /** Posts that never got a definite answer within their deadline: not accepted. */
  unresolved: number;
  retries: number;
  replays: number;
}

const RETRY_STATUS = new Set([408, 409, 425, 429, 500, 502, 503, 504]);

/**
 * One POST /v1/messages until it gets a definite answer: 202 is accepted (and must end terminal),
 * a 4xx is refused. Connection errors and 5xx are retried with the SAME Idempotency-Key, on the
 * other api, so a request whose answer was lost in a crash is replayed, never doubled.
 */
async function postUntilAnswered(
  apiUrls: string[],
  first: number,
  apiKey: string,
  p: Planned,
  stats: LoadStats,
  deadlineMs: number,
): Promise<{ status: number; id?: string; code?: string } | null> {
  const body = JSON.stringify(p.body);
  const deadline = Date.now() + deadlineMs;
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    const base = apiUrls[(first + attempt) % apiUrls.length];
    try {
      const res = await fetch(`${base}/v1/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', 'idempotency-key': p.key },
        body,
        signal: AbortSignal.timeout(15_000),
      });
      const json = (await res.json().catch(() => ({}))) as { id?: string; code?: string };
      if (res.status === 202) {
        if (res.headers.get('idempotent-replayed') === 'true') stats.replays++;
        return { status: 202, id: json.id };
      }
      if (!RETRY_STATUS.has(res.status)) return { status: res.status, code: json.code ?? String(res.status) };
    } catch {
      /* connection refused or reset: the api may be restarting */
    }
    stats.retries++;
    await sleep(Math.min(2000, 200 * 2 ** Math.min(attempt, 4)));
  }
  return null;
}

export interface LoadRun {
  stats: LoadStats;
  done: Promise<void>;
}

/** Posts the planned messages at a steady rate, alternating between the apis. */
export function runLoad(opts: {
  apiUrls: string[];
  apiKey: string;
  planned: Planned[];
  ratePerSecond: number;
  maxInFlight: number;
  before: (p: Planned) => void;
  onAccepted: (p: Planned, id: string) => void;
}): LoadRun {
  const stats: LoadStats = { sent: 0, accepted: new Map(), refused: new Map(), unresolved: 0, retries: 0, replays: 0 };
  const done = (async () => {
    const t0 = Date.now();
    const inFlight = new Set<Promise<void>>();
    for (const p of opts.planned) {
      const due = t0 + (p.i * 1000) / opts.ratePerSecond;
      if (due > Date.now()) await sleep(due - Date.now());
      while (inFlight.size >= opts.maxInFlight) await Promise.race(inFlight);
      opts.before(p);
      stats.sent++;
      const job = postUntilAnswered(opts.apiUrls, p.i, opts.apiKey, p, stats, 180_000).then((answer) => {
        if (!answer) stats.unresolved++;
        else if (answer.status === 202 && answer.id) {
          stats.accepted.set(p.i, { id: answer.id, at: Date.now() });
          opts.onAccepted(p, answer.id);
        } else {
          const code = answer.code ?? String(answer.status);
          stats.refused.set(code, (stats.refused.get(code) ?? 0) + 1);
        }
      });
      const tracked = job.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
    }
    await Promise.all(inFlight);
  })();
  return { stats, done };
}
