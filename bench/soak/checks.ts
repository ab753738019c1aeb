import { Client } from 'pg';
import { Sandboxes } from '../../apps/sandbox/src/start-sandboxes';
import { CrmReceiver } from './http-fronts';
import { Planned } from './mix';
import { countOrphanEvents } from './orphan-events';

const TERMINAL = ['delivered', 'read', 'failed', 'expired', 'cancelled'];

export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export interface Findings {
  terminal: number;
  lost: number;
  lostDetail: { missing: number; stuck: Record<string, number>; noReason: number; examples: string[] };
  unacknowledgedInDb: { total: number; notTerminal: number };
  duplicateSends: number;
  duplicateDetail: { rbm: number; line: number; smpp: number; examples: string[] };
  blindResubmits: number;
  duplicateEvents: number;
  duplicateEventDetail: { providerEvent: number; attemptTransition: number; messageTransition: number; examples: string[] };
  /** Events naming a tenant, message or attempt that does not exist, or an attempt of another message (the log has no foreign keys). */
  orphanEvents: number;
  callbacks: { rows: number; delivered: number; missing: number; stateChangesWithoutCallback: number; received: number; unique: number; badSignatures: number; refusedFirstTries: number };
  lateness: { count: number; p50: number | null; p99: number | null; max: number | null; worst: LateFallback[] };
  outcomes: Record<string, number>;
  possibleDuplicates: number;
  anomalies: number;
  inbound: { injected: number; recorded: number; lost: number; duplicated: number };
  smsUnknown: number;
  /** SMS the SMSC accepted whose attempt ended `expired` by the fallback timer: a receipt the engine never recorded. */
  smsExpiredAfterAccept: number;
}

/** One fallback that came late: when its deadline fell (epoch ms) and by how much it was missed. */
export interface LateFallback {
  deadlineMs: number;
  lateMs: number;
  /** The next step: an attempt on this channel, or the message's end when none followed. */
  next: string;
}

/** How many of the latest fallbacks the detail lists, enough to cover the p99 of a full run. */
const WORST_LISTED = 40;

/** Every check of the run, from PostgreSQL and from the providers' own records. */
export async function runChecks(opts: {
  databaseUrl: string;
  tenantId: string;
  sandboxes: Sandboxes;
  planned: Planned[];
  accepted: Map<number, { id: string }>;
  crm: CrmReceiver;
  repliesInjected: Set<number>;
}): Promise<Findings> {
  const db = new Client({ connectionString: opts.databaseUrl });
  await db.connect();
  try {
    const ids = [...opts.accepted.values()].map((a) => a.id);
    const byId = new Map([...opts.accepted].map(([i, a]) => [a.id, i]));
    const q = async <T>(sql: string, params: unknown[] = []) => (await db.query(sql, params)).rows as T[];

    // 1. Every 202 ends terminal, with a reason (failed/expired) or a channel (delivered/read).
    const rows = await q<{ id: string; status: string; reason: string | null; channel: string | null; possible_duplicate: boolean }>(
      `SELECT id, status, reason, channel, possible_duplicate FROM messages WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    const found = new Map(rows.map((r) => [r.id, r]));
    const lostDetail: Findings['lostDetail'] = { missing: 0, stuck: {}, noReason: 0, examples: [] };
    let terminal = 0;
    const outcomes: Record<string, number> = {};
    for (const id of ids) {
      const r = found.get(id);
      if (!r) {
        lostDetail.missing++;
        if (lostDetail.examples.length < 10) lostDetail.examples.push(`#${byId.get(id)} ${id}: no row`);
        continue;
      }
      if (!TERMINAL.includes(r.status)) {
        lostDetail.stuck[r.status] = (lostDetail.stuck[r.status] ?? 0) + 1;
        if (lostDetail.examples.length < 10) lostDetail.examples.push(`#${byId.get(id)} ${id}: ${r.status}`);
        continue;
      }
      terminal++;
      const key = `${r.status}${r.channel ? `:${r.channel}` : ''}${r.reason ? `(${r.reason})` : ''}`;
      outcomes[key] = (outcomes[key] ?? 0) + 1;
      if (!r.reason && !r.channel) {
        lostDetail.noReason++;
        if (lostDetail.examples.length < 10) lostDetail.examples.push(`#${byId.get(id)} ${id}: ${r.status} without a reason`);
      }
    }
    const lost = ids.length - terminal + lostDetail.noReason;
    const extra = await q<{ total: number; not_terminal: number }>(
      `SELECT count(*)::int AS total, count(*) FILTER (WHERE status <> ALL($3::text[]))::int AS not_terminal
       FROM messages WHERE tenant_id = $1 AND direction = 'outbound' AND id <> ALL($2::uuid[])`,
      [opts.tenantId, ids, TERMINAL],
    );

    // 2. No provider received one attempt twice; no SMS of unknown outcome was submitted again.
    const dup: Findings['duplicateDetail'] = { rbm: 0, line: 0, smpp: 0, examples: [] };
    const rbm = opts.sandboxes.rbm.control.records();
    const rbmPerPhone = new Map<string, number>();
    for (const m of Object.values(rbm.messages)) {
      if (m.createCount > 1) {
        dup.rbm += m.createCount - 1;
        dup.examples.push(`RBM messageId ${m.messageId} created ${m.createCount} times`);
      }
      rbmPerPhone.set(m.phone, (rbmPerPhone.get(m.phone) ?? 0) + 1);
    }
    for (const [, n] of rbmPerPhone) if (n > 1) dup.rbm += n - 1;
    const line = opts.sandboxes.line.control.records();
    for (const [key, n] of Object.entries(line.messagesByRetryKey)) {
      if (n > 1) {
        dup.line += n - 1;
        dup.examples.push(`LINE retry key ${key} produced ${n} messages`);
      }
    }
    const linePerUser = new Map<string, number>();
    for (const m of line.messages) linePerUser.set(m.to, (linePerUser.get(m.to) ?? 0) + 1);
    for (const [, n] of linePerUser) if (n > 1) dup.line += n - 1;
    let blindResubmits = 0;
    const perPart = new Map<string, { status: number; index: number }[]>();
    for (const r of opts.sandboxes.smsc.control.records()) {
      if (r.status !== 0 && r.status !== -1) continue; // refused by the SMSC: a retry is right
      const k = `${r.destination}|${r.udhSeq ?? 1}|${r.text}`;
      perPart.set(k, [...(perPart.get(k) ?? []), { status: r.status, index: r.index }]);
    }
    for (const [k, list] of perPart) {
      if (list.length < 2) continue;
      list.sort((a, b) => a.index - b.index);
      const firstUnknown = list.findIndex((x) => x.status === -1);
      if (firstUnknown >= 0 && firstUnknown < list.length - 1) {
        blindResubmits += list.length - 1 - firstUnknown;
        dup.examples.push(`SMPP ${k.split('|')[0].slice(0, 4)}… resubmitted after an unanswered submit`);
      } else {
        dup.smpp += list.length - 1;
        dup.examples.push(`SMPP ${k.split('|')[0].slice(0, 4)}… accepted ${list.length} times`);
      }
    }
    const expiredRows = await q<{ id: string; text: string | null; seq: number }>(
      `SELECT a.id, m.text, a.seq FROM attempts a JOIN messages m ON m.id = a.message_id
       WHERE a.tenant_id = $1 AND a.channel = 'sms' AND a.status = 'expired' AND a.reason = 'fallback_timeout'`,
      [opts.tenantId],
    );
    const acceptedTexts = new Set(opts.sandboxes.smsc.control.records().filter((r) => r.status === 0).map((r) => r.text));
    const smsExpiredAfterAccept = expiredRows.filter((r) => r.text && acceptedTexts.has(r.text)).length;
    const smsUnknown = (await q<{ n: number }>(`SELECT count(*)::int AS n FROM attempts WHERE tenant_id = $1 AND channel = 'sms' AND status = 'unknown'`, [opts.tenantId]))[0].n;

    // 3. No event applied twice.
    const de: Findings['duplicateEventDetail'] = { providerEvent: 0, attemptTransition: 0, messageTransition: 0, examples: [] };
    const pe = await q<{ attempt_id: string; n: number }>(
      `SELECT attempt_id, count(*)::int AS n FROM events WHERE tenant_id = $1 AND provider_event_id IS NOT NULL
       GROUP BY attempt_id, source, provider_event_id HAVING count(*) > 1`,
      [opts.tenantId],
    );
    de.providerEvent = pe.reduce((s, r) => s + r.n - 1, 0);
    const at = await q<{ attempt_id: string; status: string; n: number }>(
      `SELECT attempt_id, status, count(*)::int AS n FROM events WHERE tenant_id = $1 AND type = 'attempt.status'
         AND status IN ('delivered', 'read', 'failed', 'expired', 'revoked', 'unknown', 'sent')
       GROUP BY attempt_id, status HAVING count(*) > 1`,
      [opts.tenantId],
    );
    de.attemptTransition = at.reduce((s, r) => s + r.n - 1, 0);
    for (const r of at.slice(0, 5)) de.examples.push(`attempt ${r.attempt_id} → ${r.status} ×${r.n}`);
    const mt = await q<{ message_id: string; status: string; n: number }>(
      `SELECT message_id, status, count(*)::int AS n FROM events WHERE tenant_id = $1 AND type = 'message.status'
       GROUP BY message_id, status HAVING count(*) > 1`,
      [opts.tenantId],
    );
    de.messageTransition = mt.reduce((s, r) => s + r.n - 1, 0);
    for (const r of mt.slice(0, 5)) de.examples.push(`message ${r.message_id} → ${r.status} ×${r.n}`);

    // 3b. Every event names rows that exist (the event log keeps no foreign keys).
    const orphanEvents = await countOrphanEvents(db);

    // 4. Every state change reached the CRM: at least once raw, exactly once by webhook-id.
    const cbs = await q<{ id: string; status: string }>(`SELECT id, status FROM callbacks WHERE tenant_id = $1`, [opts.tenantId]);
    const missing = cbs.filter((c) => !opts.crm.byId.has(c.id)).length;
    const changes = await q<{ message_id: string; n: number }>(
      `SELECT message_id, count(*)::int AS n FROM events WHERE tenant_id = $1 AND type = 'message.status' GROUP BY message_id`,
      [opts.tenantId],
    );
    const receivedPerMessage = new Map<string, number>();
    for (const r of opts.crm.byId.values()) if (r.type === 'message.status') receivedPerMessage.set(r.messageId, (receivedPerMessage.get(r.messageId) ?? 0) + 1);
    const stateChangesWithoutCallback = changes.reduce((s, c) => s + Math.max(0, c.n - (receivedPerMessage.get(c.message_id) ?? 0)), 0);

    // 5. Fallback timers: when the next step happened against the deadline it waited for.
    const late = await q<{ ms: number; deadline_ms: number; next: string }>(
      `SELECT extract(epoch FROM (coalesce(n.created_at, m.completed_at) - p.deadline_at)) * 1000 AS ms,
              extract(epoch FROM p.deadline_at) * 1000 AS deadline_ms, coalesce(n.channel, 'end:' || m.status) AS next
       FROM attempts p JOIN messages m ON m.id = p.message_id
       LEFT JOIN attempts n ON n.message_id = p.message_id AND n.seq = p.seq + 1
       WHERE p.tenant_id = $1 AND p.reason = 'fallback_timeout' AND p.deadline_at IS NOT NULL
         AND coalesce(n.created_at, m.completed_at) IS NOT NULL`,
      [opts.tenantId],
    );
    const lateMs = late.map((r) => Number(r.ms)).sort((a, b) => a - b);
    const worst = late
      .map((r) => ({ deadlineMs: Math.round(Number(r.deadline_ms)), lateMs: Math.round(Number(r.ms)), next: r.next }))
      .sort((a, b) => b.lateMs - a.lateMs)
      .slice(0, WORST_LISTED);

    // 6. Replies: each injected reply is one inbound message in the person's conversation.
    const replyIds = [...opts.repliesInjected].map((i) => opts.accepted.get(i)?.id).filter((x): x is string => !!x);
    const inboundRows = await q<{ id: string; n: number }>(
      `SELECT o.id, count(i.id)::int AS n FROM messages o
       LEFT JOIN messages i ON i.contact_id = o.contact_id AND i.direction = 'inbound'
       WHERE o.id = ANY($1::uuid[]) GROUP BY o.id`,
      [replyIds],
    );
    const misc = await q<{ anomalies: number }>(`SELECT count(*)::int AS anomalies FROM events WHERE tenant_id = $1 AND anomaly`, [opts.tenantId]);

    return {
      terminal,
      lost,
      lostDetail,
      unacknowledgedInDb: { total: extra[0].total, notTerminal: extra[0].not_terminal },
      duplicateSends: dup.rbm + dup.line + dup.smpp,
      duplicateDetail: { ...dup, examples: dup.examples.slice(0, 10) },
      blindResubmits,
      duplicateEvents: de.providerEvent + de.attemptTransition + de.messageTransition,
      duplicateEventDetail: de,
      orphanEvents,
      callbacks: {
        rows: cbs.length,
        delivered: cbs.filter((c) => c.status === 'delivered').length,
        missing,
        stateChangesWithoutCallback,
        received: opts.crm.total(),
        unique: opts.crm.byId.size,
        badSignatures: opts.crm.badSignatures(),
        refusedFirstTries: opts.crm.refused(),
      },
      lateness: { count: lateMs.length, p50: percentile(lateMs, 50), p99: percentile(lateMs, 99), max: lateMs.at(-1) ?? null, worst },
      outcomes,
      possibleDuplicates: rows.filter((r) => r.possible_duplicate).length,
      anomalies: misc[0].anomalies,
      inbound: {
        injected: replyIds.length,
        recorded: inboundRows.filter((r) => r.n >= 1).length,
        lost: inboundRows.filter((r) => r.n === 0).length,
        duplicated: inboundRows.filter((r) => r.n > 1).length,
      },
      smsUnknown,
      smsExpiredAfterAccept,
    };
  } finally {
    await db.end().catch(() => undefined);
  }
}
