/**
 * The load generator, run as a child process of ingest.bench so autocannon's own work does not
 * share an event loop with the server it measures. It gets one LoadSpec over IPC, runs a warm-up
 * and then the measured run, and answers with one LoadFigures.
 */
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';

export interface LoadSpec {
  url: string;
  apiKey: string | null;
  connections: number;
  seconds: number;
  warmupSeconds: number;
}

export interface LoadFigures {
  seconds: number;
  requests: number;
  accepted: number;
  acceptedPerS: number;
  requestsPerS: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
}

const PHONES = 10_000;
const TEXTS = [
  'ご注文の商品を発送しました。お届け予定日は明日です。',
  'ご予約は明日10時です。変更はマイページからどうぞ。',
  'お支払いを確認しました。ご利用ありがとうございます。',
];

/** One of 10,000 Japanese mobile numbers, written the way a CRM stores them (090-2000-0000 … 090-2099-9603). */
function phone(n: number): string {
  const i = n % PHONES;
  return `090-${2000 + Math.floor(i / 100)}-${String((i % 100) * 97).padStart(4, '0')}`;
}

function run(spec: LoadSpec, seconds: number, label: string): Promise<autocannon.Result> {
  const run = randomBytes(4).toString('hex');
  let counter = 0;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (spec.apiKey) headers.authorization = `Bearer ${spec.apiKey}`;
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `${spec.url}/v1/messages`,
        connections: spec.connections,
        duration: seconds,
        timeout: 10,
        requests: [
          {
            method: 'POST',
            path: '/v1/messages',
            setupRequest: (req) => {
              counter += 1;
              const n = counter;
              return {
                ...req,
                headers: { ...headers, 'idempotency-key': `bench-${label}-${run}-${n}` },
                body: JSON.stringify({
                  to: { phone: phone(n * 7919) },
                  category: 'transactional',
                  text: TEXTS[n % TEXTS.length],
                  metadata: { reference: `order-${n}` },
                }),
              };
            },
          },
        ],
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

export async function measure(spec: LoadSpec): Promise<LoadFigures> {
  if (spec.warmupSeconds > 0) await run(spec, spec.warmupSeconds, 'warm');
  const r = await run(spec, spec.seconds, 'run');
  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(r.statusCodeStats ?? {})) statusCodes[code] = stat?.count ?? 0;
  const accepted = statusCodes['202'] ?? 0;
  const total = Object.values(statusCodes).reduce((a, b) => a + b, 0);
  return {
    seconds: r.duration,
    requests: total,
    accepted,
    acceptedPerS: accepted / r.duration,
    requestsPerS: total / r.duration,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    statusCodes,
  };
}

if (require.main === module && process.send) {
  process.once('message', (spec: LoadSpec) => {
    measure(spec).then(
      (figures) => process.send?.({ ok: true, figures }, () => process.exit(0)),
      (err: unknown) => process.send?.({ ok: false, error: String(err) }, () => process.exit(1)),
    );
  });
}
