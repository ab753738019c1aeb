import 'reflect-metadata';
import IORedis from 'ioredis';
import { Client } from 'pg';
import { sleep } from '../soak/infra';
import { percentile } from '../soak/checks';
import { SENDER, startSystem } from '../soak/system';
import { hostReferenceMs } from '../host-speed';

/**
 * `npm run bench:timers`: BENCH_TIMERS (10,000) messages waiting on their RCS timeout at once —
 * RBM accepts every message and never delivers — then the fallbacks to SMS fire. Prints the
 * lateness of each fallback against its attempt's deadline_at (p50/p99/max), and memory per
 * pending timer: Redis (used_memory while all wait, minus before, over the number waiting) and
 * PostgreSQL (the partial index of due messages, messages_due, which is where the timers live).
 *
 * BENCH_TIMERS_RATE (posts per second, default 150; 0 = as fast as the api takes them) paces the
 * posting, and so the rate the deadlines come due: the fallbacks can keep their deadlines only
 * while they come due no faster than this machine makes fallbacks (the JSON shows both peaks).
 * BENCH_RCS_TIMEOUT (seconds, default 900) must exceed the time the worker needs to put every RCS
 * attempt on the wire, or the first timers fire before the last are set; the bench reports how
 * many were pending at once. The last line of stdout is one JSON object.
 */

const out = (line: string) => process.stdout.write(`${line}\n`);

async function usedMemory(redis: IORedis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
}

async function main(): Promise<void> {
  const total = Number(process.env.BENCH_TIMERS ?? 10_000);
  const timeout = Number(process.env.BENCH_RCS_TIMEOUT ?? 900);
  const rate = Number(process.env.BENCH_TIMERS_RATE ?? 150);
  const hostRef = hostReferenceMs(); // before anything starts (bench/host-speed.ts)
  const stops: ((keep?: boolean) => Promise<void>)[] = [];
  let db: Client | null = null;
  let redis: IORedis | null = null;
  const cleanup = async () => {
    redis?.disconnect();
    await db?.end().catch(() => undefined);
    for (const stop of stops.reverse()) await stop(process.env.BENCH_KEEP === '1').catch(() => undefined);
  };
  const onSignal = () => void cleanup().then(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const sys = await startSystem({ label: 'timers', apis: 1, workers: 1, timeouts: { rcs: timeout, sms: 600, line: 600 }, logLevel: 'warn' }, (stop) => stops.push(stop));
    db = new Client({ connectionString: sys.databaseUrl });
    await db.connect();
    redis = new IORedis(sys.redis.url);
    const q = async (sql: string, params: unknown[] = []) => Number((await db!.query(sql, params)).rows[0].n);
    await sleep(2000);
    const before = await usedMemory(redis);
    out(`timers: 1 api + 1 worker up; posting ${total} messages${rate > 0 ? ` at ${rate}/s` : ' as fast as the api takes them'}, whose RCS is never delivered (RCS timeout ${timeout}s)`);

    const base = 20_000_000 + Math.floor(Math.random() * 60_000_000);
    let next = 0;
    let accepted = 0;
    // Paced: the deadlines then arrive at the rate the RCS attempts went out, at most `rate`.
    const t0 = Date.now();
    const client = async () => {
      while (next < total) {
        const n = next++;
        if (rate > 0) {
          const slot = t0 + (n * 1000) / rate;
          if (slot > Date.now()) await sleep(slot - Date.now());
        }
        const e164 = `+8190${String(base + n).padStart(8, '0')}`;
        sys.sandboxes.rbm.control.script(e164, 'never_delivered');
        for (let i = 0; i < 5; i++) {
          const res = await fetch(`${sys.apiUrls[0]}/v1/messages`, {
            method: 'POST',
            headers: { authorization: `Bearer ${sys.apiKey}`, 'content-type': 'application/json', 'idempotency-key': `timers-${n}` },
            body: JSON.stringify({ to: { phone: e164 }, category: 'transactional', text: `timer ${n} ご予約は明日です。`, sender: SENDER }),
          }).catch(() => null);
          await res?.arrayBuffer();
          if (res?.status === 202) {
            accepted++;
            break;
          }
          await sleep(200);
        }
      }
    };
    await Promise.all(Array.from({ length: 32 }, client));
    out(`timers: ${accepted} accepted in ${((Date.now() - t0) / 1000).toFixed(1)}s; waiting for every RCS attempt to be sent…`);

    // All waiting at once: every RCS attempt sent and none fallen back yet.
    const waitingSql = `SELECT count(*) AS n FROM attempts a WHERE a.seq = 1 AND a.channel = 'rcs' AND a.status = 'sent'`;
    let peak = 0;
    let peakMemory = before;
    let indexAtPeak = 0;
    const indexBytes = () => q(`SELECT pg_relation_size('messages_due') AS n`);
    const firstDeadline = Date.now() + timeout * 1000;
    while (Date.now() < firstDeadline) {
      const waiting = await q(waitingSql);
      if (waiting > peak) {
        peak = waiting;
        peakMemory = await usedMemory(redis);
        indexAtPeak = await indexBytes();
      }
      if (waiting >= accepted) break;
      await sleep(1000);
    }
    const setSeconds = (Date.now() - t0) / 1000;
    out(`timers: ${peak} waiting at once after ${setSeconds.toFixed(0)}s; Redis +${peakMemory - before} bytes; messages_due index ${indexAtPeak} bytes`);

    // Let them fire: every message falls back to SMS (delivered).
    const fireDeadline = Date.now() + (timeout + 600) * 1000;
    let fallen = 0;
    while (Date.now() < fireDeadline) {
      fallen = await q(`SELECT count(*) AS n FROM attempts WHERE seq = 2`);
      if (fallen >= accepted) break;
      await sleep(2000);
    }
    const late = (
      await db.query(
        `SELECT extract(epoch FROM (n.created_at - p.deadline_at)) * 1000 AS ms FROM attempts p
         JOIN attempts n ON n.message_id = p.message_id AND n.seq = 2 WHERE p.seq = 1 AND p.reason = 'fallback_timeout'`,
      )
    ).rows
      .map((r: { ms: string }) => Number(r.ms))
      .sort((a: number, b: number) => a - b);
    // The busiest 2 s of deadlines coming due, and of fallbacks made: lateness grows whenever
    // the first outruns the second.
    const peakRate = async (column: string, seq: number) =>
      (await q(
        `SELECT coalesce(max(n), 0) AS n FROM (SELECT count(*) AS n FROM attempts WHERE seq = ${seq} AND message_id IN (SELECT message_id FROM attempts WHERE seq = 2)
         GROUP BY floor(extract(epoch FROM ${column}) / 2)) b`,
      )) / 2;
    const result = {
      bench: 'timers',
      posted_per_s: rate > 0 ? rate : null,
      timers: accepted,
      pending_at_once: peak,
      fallbacks: late.length,
      lateness_p50_ms: percentile(late, 50) === null ? null : Math.round(percentile(late, 50)!),
      lateness_p99_ms: percentile(late, 99) === null ? null : Math.round(percentile(late, 99)!),
      lateness_max_ms: late.length ? Math.round(late.at(-1)!) : null,
      redis_bytes_per_pending_timer: peak ? Math.round((peakMemory - before) / peak) : null,
      postgres_index_bytes_per_pending_timer: peak ? Math.round(indexAtPeak / peak) : null,
      seconds_to_set_all: Math.round(setSeconds),
      deadlines_peak_per_s: await peakRate('deadline_at', 1),
      fallbacks_peak_per_s: await peakRate('created_at', 2),
      host_ref_ms: hostRef,
    };
    out(JSON.stringify(result));
  } finally {
    await cleanup();
  }
}

main()
  .then(() => process.exit(0))
  .catch((err: Error) => {
    console.error(`timers bench failed: ${err.stack ?? err.message}`);
    process.exit(1);
  });
