import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { FaultCounts, parseFaultCounts, runChaos, scheduleFaults } from './chaos';
import { runChecks } from './checks';
import { startBalancer, startCrmReceiver } from './http-fronts';
import { sleep } from './infra';
import { runLoad } from './load';
import { Planned, mulberry32, planMessages, scriptProviders } from './mix';
import { scanLogs } from './pii-scan';
import { lateFallbacksBesideFaults } from './late-fallbacks';
import { injectReply } from './replies';
import { SENDER, System, startSystem } from './system';

/**
 * `npm run soak [-- --smoke] [--seed N] [--messages N] [--rate N] [--faults kind=N,…] [--keep]`: thousands of
 * notifications through the real processes over the real protocols while a seeded chaos driver
 * kills workers, apis, Redis, SMPP binds and PostgreSQL; then checks that nothing was lost, sent
 * twice or left stuck. The last line of stdout is one JSON object. `--faults` replaces the size's
 * fault counts (kinds not named get none), to reproduce one kind of fault on its own, e.g.
 * `--messages 1500 --faults pg_restart=3`.
 */

interface Size {
  messages: number;
  rate: number;
  faults: FaultCounts;
  quiesceMs: number;
}

const FULL: Size = {
  messages: 10_000,
  rate: 10,
  faults: { worker_kill: 20, api_kill: 4, redis_restart: 5, smpp_drop: 10, pg_restart: 2, early_receipts: 6, duplicate_receipts: 6 },
  quiesceMs: 420_000,
};
const SMOKE: Size = {
  messages: 500,
  rate: 12,
  faults: { worker_kill: 3, api_kill: 1, redis_restart: 1, smpp_drop: 2, pg_restart: 0, early_receipts: 2, duplicate_receipts: 2 },
  quiesceMs: 150_000,
};
const TIMEOUTS = { rcs: 4, sms: 6, line: 10 };
const TERMINAL = `('delivered','read','failed','expired','cancelled')`;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const out = (line: string) => process.stdout.write(`${line}\n`);

async function count(url: string, sql: string, params: unknown[]): Promise<number | null> {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  c.on('error', () => undefined);
  try {
    await c.connect();
    return Number((await c.query(sql, params)).rows[0].n);
  } catch {
    return null;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/**
 * The run's canary: letters only. A hex tag that came out all digits (one run in ~40) joined the
 * serial after it into a 13-digit run, and the card-number guard rightly refused the one body in
 * ten whose run passed the Luhn check.
 */
function canaryTag(): string {
  return `ZQ${[...randomBytes(8)].map((b) => String.fromCharCode(97 + (b % 26))).join('')}`;
}

async function main(): Promise<number> {
  const smoke = process.argv.includes('--smoke');
  const size: Size = { ...(smoke ? SMOKE : FULL) };
  size.messages = Number(arg('--messages') ?? size.messages);
  size.rate = Number(arg('--rate') ?? size.rate);
  if (arg('--faults') !== undefined) size.faults = parseFaultCounts(arg('--faults')!);
  const seed = Number(arg('--seed') ?? 20240917);
  const keep = process.argv.includes('--keep');
  const tag = canaryTag();
  const rand = mulberry32(seed ^ 0x5eed);
  const stops: (() => Promise<void>)[] = [];
  let sys: System | null = null;
  let ok = false;
  const cleanup = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  const onSignal = () => void cleanup().then(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    const crm = await startCrmReceiver({ failFirstRate: 0.05, rand: mulberry32(seed ^ 0xc0ffee) });
    stops.push(() => crm.close());
    out(`soak: ${smoke ? 'smoke' : 'full'} size, ${size.messages} messages at ${size.rate}/s, seed ${seed}; starting PostgreSQL, Redis, sandboxes, 2 apis, 2 workers…`);
    sys = await startSystem({ label: 'soak', apis: 2, workers: 2, timeouts: TIMEOUTS, callbackUrl: crm.url }, (stop) => stops.push(() => stop(keep || !ok)));
    const s = sys;
    crm.setSecret(s.callbackSecret);
    const lb = await startBalancer(() => s.apiUrls);
    stops.push(() => lb.close());
    await s.sandboxes.wire(lb.url);
    out(`soak: up. logs in ${s.logDir}; database ${s.databaseUrl.replace(/\/\/[^@]*@/, '//')}`);

    const planned = planMessages({ seed, count: size.messages, tag, rcsTimeoutSeconds: TIMEOUTS.rcs });
    const windowMs = (size.messages / size.rate) * 1000;
    const faults = scheduleFaults(size.faults, windowMs, rand);
    const t0 = Date.now();
    let loadDone = false;
    const replies: Promise<void>[] = [];
    const repliesInjected = new Set<number>();
    const load = runLoad({
      apiUrls: s.apiUrls,
      apiKey: s.apiKey,
      planned,
      ratePerSecond: size.rate,
      maxInFlight: 400,
      before: (p: Planned) => scriptProviders(s.sandboxes, p, rand, TIMEOUTS.rcs),
      onAccepted: (p: Planned) => {
        if (!p.reply) return;
        repliesInjected.add(p.i);
        replies.push(sleep(p.reply.channel === 'sms' ? 3000 : 5000).then(() => injectReply(s.sandboxes, p, SENDER)));
      },
    });
    const chaos = runChaos(s, faults, rand, t0, () => loadDone);
    const progress = setInterval(() => {
      void count(s.databaseUrl, `SELECT count(*) AS n FROM messages WHERE direction = 'outbound' AND status IN ${TERMINAL}`, []).then((terminal) => {
        const d = chaos.log.done;
        out(
          `[soak ${((Date.now() - t0) / 1000).toFixed(0)}s] sent=${load.stats.sent} accepted=${load.stats.accepted.size} terminal=${terminal ?? '?'} retries=${load.stats.retries} ` +
            `faults: worker_kill=${d.worker_kill} api_kill=${d.api_kill} redis=${d.redis_restart} smpp_drop=${d.smpp_drop} pg=${d.pg_restart}`,
        );
      });
    }, 5000);
    stops.push(async () => clearInterval(progress));

    await load.done;
    await chaos.done;
    loadDone = true;
    await Promise.allSettled(replies);
    out(`soak: load finished in ${((Date.now() - t0) / 1000).toFixed(0)}s; waiting for quiescence…`);
    for (const p of [...s.apis, ...s.workers]) if (!p.alive) p.start();

    // Quiescence: every accepted message terminal, no callback pending, nothing left in the outbox.
    const ids = () => [...load.stats.accepted.values()].map((a) => a.id);
    const deadline = Date.now() + size.quiesceMs;
    let quiet = 0;
    while (Date.now() < deadline && quiet < 2) {
      const open = await count(s.databaseUrl, `SELECT count(*) AS n FROM messages WHERE id = ANY($1::uuid[]) AND status NOT IN ${TERMINAL}`, [ids()]);
      const cbs = await count(s.databaseUrl, `SELECT count(*) AS n FROM callbacks WHERE status = 'pending'`, []);
      const outbox = await count(s.databaseUrl, `SELECT count(*) AS n FROM outbox`, []);
      quiet = open === 0 && cbs === 0 && outbox === 0 ? quiet + 1 : 0;
      if (quiet < 2) await sleep(2000);
    }
    await Promise.race([s.sandboxes.rbm.control.idle(), sleep(10_000)]);
    clearInterval(progress);
    out(`soak: ${quiet >= 2 ? 'quiescent' : 'NOT quiescent at the deadline'} after ${((Date.now() - t0) / 1000).toFixed(0)}s; checking…`);
    // Stop the engine before scanning its logs, so every line is on disk.
    await Promise.allSettled([...s.apis, ...s.workers].map((p) => p.kill('SIGTERM')));

    const f = await runChecks({ databaseUrl: s.databaseUrl, tenantId: s.tenantId, sandboxes: s.sandboxes, planned, accepted: load.stats.accepted, crm, repliesInjected });
    const cores = new Set(planned.map((p) => p.core));
    const pii = await scanLogs(s.logFiles(), cores, tag);
    const crashes = [...s.apis, ...s.workers].flatMap((p) => p.crashes);
    const summary = {
      bench: 'soak',
      size: smoke ? 'smoke' : 'full',
      seed,
      sent: load.stats.sent,
      accepted: load.stats.accepted.size,
      terminal: f.terminal,
      lost: f.lost,
      duplicate_sends: f.duplicateSends,
      blind_resubmits: f.blindResubmits,
      duplicate_events: f.duplicateEvents,
      orphan_events: f.orphanEvents,
      pii_in_logs: pii.phoneHits + pii.bodyHits,
      fallback_lateness_p50_ms: f.lateness.p50 === null ? null : Math.round(f.lateness.p50),
      fallback_lateness_p99_ms: f.lateness.p99 === null ? null : Math.round(f.lateness.p99),
      callbacks_missing: f.callbacks.missing + f.callbacks.stateChangesWithoutCallback,
      engine_crashes: crashes.length,
      replies_lost: f.inbound.lost,
      replies_duplicated: f.inbound.duplicated,
      faults: chaos.log.done,
    };
    const detail = {
      refused: Object.fromEntries(load.stats.refused),
      unresolved: load.stats.unresolved,
      post_retries: load.stats.retries,
      idempotent_replays: load.stats.replays,
      lost: f.lostDetail,
      unacknowledged_in_db: f.unacknowledgedInDb,
      duplicates: f.duplicateDetail,
      duplicate_events: f.duplicateEventDetail,
      callbacks: f.callbacks,
      lateness: { ...f.lateness, worst: lateFallbacksBesideFaults(f.lateness.worst, chaos.log.marks, t0) },
      inbound: f.inbound,
      sms_unknown_outcome: f.smsUnknown,
      sms_expired_after_smsc_accepted: f.smsExpiredAfterAccept,
      possible_duplicates: f.possibleDuplicates,
      anomalies: f.anomalies,
      outcomes: f.outcomes,
      pii: { lines_scanned: pii.lines, phone: pii.phoneHits, body: pii.bodyHits, examples: pii.examples },
      balancer: { forwarded: lb.forwarded(), failed: lb.failed() },
      chaos: chaos.log.events,
      crashes,
    };
    out(`soak: detail ${JSON.stringify(detail, null, 1)}`);
    ok =
      summary.lost === 0 &&
      summary.duplicate_sends === 0 &&
      summary.blind_resubmits === 0 &&
      summary.duplicate_events === 0 &&
      summary.orphan_events === 0 &&
      summary.pii_in_logs === 0 &&
      summary.engine_crashes === 0 &&
      summary.replies_lost === 0 &&
      summary.replies_duplicated === 0;
    if (!ok || keep) out(`soak: logs and data kept in ${s.dir}`);
    out(JSON.stringify(summary));
    return ok ? 0 : 1;
  } finally {
    await cleanup();
  }
}

main()
  .then((code) => process.exit(code))
  .catch((err: Error) => {
    console.error(`soak failed: ${err.stack ?? err.message}`);
    process.exit(2);
  });
