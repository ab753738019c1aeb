import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { TSUNAGU_CONFIG, TsunaguConfig } from '@tsunagu/config';
import { DomainError, isUuid } from '@tsunagu/core';
import { callbackJob, writeOutbox } from '../infra/outbox';
import { inTx } from '../infra/tx';
import { MessageViewService, assertId } from '../queries/message-view.service';

type CallbackRow = {
  id: string;
  status: string;
  tries: number;
  type: string | null;
  event_status: string | null;
  occurred_at: string | null;
  last_status: number | null;
  last_error: string | null;
  next_attempt_at: Date;
  give_up_at: Date;
  delivered_at: Date | null;
  created_at: Date;
};
type TryRow = { callback_id: string; try: number; url: string | null; status: number | null; error: string | null; at: Date };

const CALLBACK_COLUMNS = `c.id, c.status, c.tries, c.payload->>'type' AS type, c.payload->>'status' AS event_status, c.payload->>'occurredAt' AS occurred_at,
  c.last_status, c.last_error, c.next_attempt_at, c.give_up_at, c.delivered_at, c.created_at`;

/**
 * Where a try went, as the CRM may see it: scheme, host and port. A path or query can hold a token
 * the CRM put in its URL, and a key that only reads messages need not see it.
 */
function originOf(url: string | null): string | null {
  if (!url) return null;
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

function callbackView(c: CallbackRow, tries: TryRow[]) {
  return {
    id: c.id,
    event: { type: c.type, status: c.event_status, occurredAt: c.occurred_at },
    status: c.status,
    tries: c.tries,
    lastStatus: c.last_status,
    lastError: c.last_error,
    nextTryAt: c.status === 'pending' ? c.next_attempt_at.toISOString() : null,
    giveUpAt: c.give_up_at.toISOString(),
    deliveredAt: c.delivered_at?.toISOString() ?? null,
    createdAt: c.created_at.toISOString(),
    attempts: tries.map((t) => ({ try: t.try, at: t.at.toISOString(), origin: originOf(t.url), status: t.status, error: t.error })),
  };
}

export type CallbackView = ReturnType<typeof callbackView>;

export type CallbackState = 'pending' | 'delivered' | 'failed' | 'cancelled';

/** A message's callbacks at a glance: how many in each state; the last answer of one not delivered. */
export interface CallbackSummary {
  counts: Partial<Record<CallbackState, number>>;
  lastAnswer: string | null;
}

/**
 * The callbacks of tenant $1 that have somewhere to go: their message's own URL or the tenant's.
 * A requeue's choosers add their own conditions to it.
 */
const REQUEUABLE = `SELECT c.id, c.tries, c.created_at::text AS created FROM callbacks c JOIN messages m ON m.id = c.message_id JOIN tenants t ON t.id = c.tenant_id
  WHERE c.tenant_id = $1 AND COALESCE(m.callback_url, t.callback_url) IS NOT NULL`;

/** At most this many callbacks are put back by one recovery; `nextCursor` says where the next begins. */
export const RECOVER_LIMIT = 5_000;
/** How far back a recovery reaches: the retention of callbacks' words is 30 days by default, and older ones are history. */
export const RECOVER_MAX_DAYS = 31;

/**
 * The CRM's view of its status callbacks, and their redelivery: what was sent for a message, each
 * try and what came back; one callback sent again; every callback that failed or was cancelled in
 * a period (a CRM down longer than the retry period) put back to be tried. A callback sent again
 * keeps its id, which is its `webhook-id`: a CRM that took it before recognises it.
 */
@Injectable()
export class CallbackLogService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly messages: MessageViewService,
    @Inject(TSUNAGU_CONFIG) private readonly config: TsunaguConfig,
  ) {}

  async forMessage(tenantId: string, messageId: string): Promise<CallbackView[]> {
    await this.messages.find(tenantId, messageId);
    const rows = (await this.db.query(`SELECT ${CALLBACK_COLUMNS} FROM callbacks c WHERE c.message_id = $1 AND c.tenant_id = $2 ORDER BY c.created_at, c.id`, [
      messageId,
      tenantId,
    ])) as CallbackRow[];
    return this.views(rows);
  }

  /** The callbacks as the CRM sees them, each with its tries. */
  private async views(rows: CallbackRow[]): Promise<CallbackView[]> {
    if (rows.length === 0) return [];
    const tries = (await this.db.query(`SELECT callback_id, try, url, status, error, at FROM callback_tries WHERE callback_id = ANY($1) ORDER BY callback_id, try`, [
      rows.map((r) => r.id),
    ])) as TryRow[];
    return rows.map((r) => callbackView(r, tries.filter((t) => t.callback_id === r.id)));
  }

  /**
   * For support staff, per message: how many of its callbacks are in each state, and the last
   * answer of one that did not get through (the CRM's HTTP status, or our error word).
   */
  async summaries(tenantId: string, messageIds: string[]): Promise<Map<string, CallbackSummary>> {
    const out = new Map<string, CallbackSummary>();
    if (messageIds.length === 0) return out;
    const rows = (await this.db.query(
      `SELECT message_id, status, count(*)::int AS n,
         (array_agg(COALESCE(last_status::text, last_error) ORDER BY created_at DESC) FILTER (WHERE status <> 'delivered' AND (last_status IS NOT NULL OR last_error IS NOT NULL)))[1] AS last_answer
       FROM callbacks WHERE tenant_id = $1 AND message_id = ANY($2) GROUP BY message_id, status`,
      [tenantId, messageIds],
    )) as { message_id: string; status: CallbackState; n: number; last_answer: string | null }[];
    // A failed one's answer says most; then one still being retried.
    const rank = (status: CallbackState) => ['failed', 'pending', 'cancelled'].indexOf(status);
    for (const r of [...rows].sort((a, b) => rank(a.status) - rank(b.status))) {
      const summary = out.get(r.message_id) ?? { counts: {}, lastAnswer: null };
      summary.counts[r.status] = r.n;
      summary.lastAnswer ??= r.last_answer;
      out.set(r.message_id, summary);
    }
    return out;
  }

  /** How many of the tenant's callbacks failed or were cancelled since `since`: what a recovery from then would send again. */
  async countRecoverable(tenantId: string, since: Date): Promise<number> {
    const [row] = (await this.db.query(`SELECT count(*)::int AS n FROM callbacks WHERE tenant_id = $1 AND status IN ('failed', 'cancelled') AND created_at >= $2`, [
      tenantId,
      since,
    ])) as { n: number }[];
    return row.n;
  }

  /**
   * Sends one callback again, whatever became of it (delivered, failed, cancelled), with a new
   * retry period. 409 while it is still being tried; 422 when there is nowhere to send it.
   */
  async redeliver(tenantId: string, callbackId: string): Promise<CallbackView> {
    assertId(callbackId);
    const requeued = await this.requeue(`${REQUEUABLE} AND c.id = $2 AND c.status <> 'pending'`, [tenantId, callbackId]);
    if (requeued.length === 0) {
      const [found] = (await this.db.query(`SELECT status FROM callbacks WHERE id = $1 AND tenant_id = $2`, [callbackId, tenantId])) as { status: string }[];
      if (!found) throw new DomainError('NOT_FOUND', 'No callback with this id.');
      if (found.status === 'pending') throw new DomainError('CALLBACK_ALREADY_PENDING', 'This callback is still being tried: its next try is already scheduled.');
      throw new DomainError('NO_CALLBACK_URL', 'Neither the message nor the tenant has a callback URL to send it to.');
    }
    const [view] = await this.views((await this.db.query(`SELECT ${CALLBACK_COLUMNS} FROM callbacks c WHERE c.id = $1`, [callbackId])) as CallbackRow[]);
    return view;
  }

  /**
   * Puts back every callback of the tenant that failed or was cancelled, written in [since, until),
   * oldest first, up to RECOVER_LIMIT, and from past `after` (the cursor the previous page gave).
   * `nextCursor` is null when none is left. A cursor, not "ask again": one put back that fails at
   * once is failed again in the same period, and would head every page. Only those with somewhere
   * to go: a message's own URL or the tenant's.
   */
  async recover(tenantId: string, range: { since: string; until?: string; after?: string }): Promise<{ redelivered: number; nextCursor: string | null }> {
    const since = parseInstant(range.since, 'since');
    const until = range.until === undefined ? new Date() : parseInstant(range.until, 'until');
    if (since >= until) throw new DomainError('INVALID_REQUEST', '`since` must be before `until`.');
    if (Date.now() - since.getTime() > RECOVER_MAX_DAYS * 86_400_000) {
      throw new DomainError('INVALID_REQUEST', `A recovery reaches back at most ${RECOVER_MAX_DAYS} days.`);
    }
    const [afterAt, afterId] = range.after === undefined ? [null, null] : parseCursor(range.after);
    const requeued = await this.requeue(
      `${REQUEUABLE} AND c.status IN ('failed', 'cancelled') AND c.created_at >= $2 AND c.created_at < $3
         AND ($4::timestamptz IS NULL OR (c.created_at, c.id) > ($4::timestamptz, $5::uuid))
       ORDER BY c.created_at, c.id LIMIT ${RECOVER_LIMIT + 1}`,
      [tenantId, since, until, afterAt, afterId],
    );
    // One more than the limit was chosen only to learn whether there are more: it goes back as it was.
    if (requeued.length <= RECOVER_LIMIT) return { redelivered: requeued.length, nextCursor: null };
    const last = requeued[RECOVER_LIMIT - 1];
    return { redelivered: RECOVER_LIMIT, nextCursor: Buffer.from(JSON.stringify([last.created, last.id])).toString('base64url') };
  }

  /**
   * Makes the callbacks `chooser` picks (its rows locked) pending again, due now, with a new
   * give-up time, and queues each one's next try; all in one transaction. With RECOVER_LIMIT + 1
   * picked, the last is left as it was (see `recover`). Answers those picked.
   */
  private async requeue(chooser: string, params: unknown[]): Promise<{ id: string; tries: number; created: string }[]> {
    return inTx(this.db, async (tx) => {
      const chosen = await tx.query<{ id: string; tries: number; created: string }>(`${chooser} FOR UPDATE OF c`, params);
      const taken = chosen.slice(0, RECOVER_LIMIT);
      if (taken.length === 0) return chosen;
      tx.write(
        `UPDATE callbacks SET status = 'pending', next_attempt_at = now(), give_up_at = now() + make_interval(secs => $2::float8 * 3600) WHERE id = ANY($1)`,
        [taken.map((c) => c.id), this.config.callbacks.retryHours],
      );
      writeOutbox(tx, taken.map((c) => callbackJob(c.id, c.tries)));
      return chosen;
    });
  }
}

/** A page's cursor: the last callback's `created_at` (PostgreSQL's text, to the microsecond) and id. */
function parseCursor(cursor: string): [string, string] {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === 'string' && isUuid(parsed[1]) && !Number.isNaN(Date.parse(parsed[0]))) return [parsed[0], parsed[1]];
  } catch {
    // Not base64url JSON: refused below like any other.
  }
  throw new DomainError('INVALID_REQUEST', '`after` must be the `nextCursor` of a previous recovery.');
}

function parseInstant(value: string, name: string): Date {
  const at = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/.test(value) ? new Date(value) : null;
  if (!at || Number.isNaN(at.getTime())) throw new DomainError('INVALID_REQUEST', `\`${name}\` must be a date-time with its offset, e.g. 2026-12-01T09:00:00+09:00.`);
  return at;
}
