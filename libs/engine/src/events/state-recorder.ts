import { Injectable } from '@nestjs/common';
import { AttemptStatus, MessageStatus, newId } from '@tsunagu/core';
import { AttemptEntity, MessageEntity } from '@tsunagu/database';
import { CallbackWriter } from '../callbacks/callback.writer';
import type { Tx } from '../infra/tx';

const CALLBACK_ATTEMPT_STATUSES: ReadonlySet<AttemptStatus> = new Set(['sent', 'delivered', 'read', 'failed', 'expired', 'unknown', 'revoked']);

export interface TransitionNote {
  source: string;
  reason?: string | null;
  providerEventId?: string | null;
  occurredAt?: Date;
  detail?: Record<string, unknown> | null;
  anomaly?: boolean;
}

type EventRow = { tenantId: string | null; messageId: string | null; attemptId: string | null; type: string; status?: string | null } & TransitionNote;

/**
 * `occurred_at`: the provider's time for a provider's report; for a change of our own, PostgreSQL's
 * `now()` (the row's `created_at`), not this process's clock, which another process's may not match.
 */
const INSERT_EVENT = `INSERT INTO events (id, tenant_id, message_id, attempt_id, source, type, provider_event_id, status, reason, anomaly, detail, occurred_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, COALESCE($12::timestamptz, now()))
  ON CONFLICT (source, provider_event_id) WHERE provider_event_id IS NOT NULL DO NOTHING`;

function eventValues(e: EventRow): unknown[] {
  return [
    newId(),
    e.tenantId,
    e.messageId,
    e.attemptId,
    e.source,
    e.type,
    e.providerEventId ?? null,
    e.status ?? null,
    e.reason ?? null,
    e.anomaly ?? false,
    e.detail ? JSON.stringify(e.detail) : null,
    e.occurredAt ?? null,
  ];
}

/**
 * Every transition is an event row, and every state change the CRM cares about becomes a
 * signed callback, written in the same transaction as the change itself. The writes are
 * deferred (see Tx): a transition's update, events, callbacks and outbox rows go as one statement.
 */
@Injectable()
export class StateRecorder {
  constructor(private readonly callbacks: CallbackWriter) {}

  event(tx: Tx, e: EventRow): void {
    tx.write(INSERT_EVENT, eventValues(e));
  }

  /** Records a provider's event unless its id was seen before: false for a replay. */
  async eventOnce(tx: Tx, e: EventRow): Promise<boolean> {
    const rows = await tx.query(`${INSERT_EVENT} RETURNING 1`, eventValues(e));
    return rows.length > 0;
  }

  async attempt(
    tx: Tx,
    message: MessageEntity,
    attempt: AttemptEntity,
    status: AttemptStatus,
    note: TransitionNote,
    extra: Partial<Record<'provider_message_id' | 'route' | 'bind' | 'deadline_at' | 'permanent' | 'awaits_delivery' | 'retries', unknown>> = {},
  ): Promise<void> {
    const stamp = { submitting: 'submitting_at', sent: 'sent_at', delivered: 'delivered_at', read: 'read_at' }[status as string];
    const finished = ['delivered', 'read', 'failed', 'expired', 'unknown', 'revoked'].includes(status);
    const sets = ['status = $2', 'reason = COALESCE($3, reason)', 'updated_at = now()'];
    const values: unknown[] = [attempt.id, status, note.reason ?? null];
    if (stamp) sets.push(`${stamp} = COALESCE(${stamp}, now())`);
    if (finished) sets.push('finished_at = COALESCE(finished_at, now())');
    for (const [column, value] of Object.entries(extra)) {
      values.push(value);
      sets.push(`${column} = $${values.length}`);
    }
    tx.write(`UPDATE attempts SET ${sets.join(', ')} WHERE id = $1`, values, { rowKey: `attempts:${attempt.id}` });
    const previous = attempt.status;
    attempt.status = status;
    this.event(tx, {
      tenantId: message.tenantId,
      messageId: message.id,
      attemptId: attempt.id,
      type: 'attempt.status',
      status,
      ...note,
      detail: { ...(note.detail ?? {}), from: previous, channel: attempt.channel },
    });
    // The CRM hears what an attempt came to, not its internal steps (pending, submitting, retries).
    if (!CALLBACK_ATTEMPT_STATUSES.has(status)) return;
    await this.callbacks.write(tx, message, {
      type: 'attempt.status',
      status,
      reason: note.reason ?? null,
      attempt: { id: attempt.id, seq: attempt.seq, channel: attempt.channel, route: attempt.route, status },
    });
  }

  async message(
    tx: Tx,
    message: MessageEntity,
    status: MessageStatus,
    note: TransitionNote & { channel?: string | null; possibleDuplicate?: boolean; dueAt?: Date | null },
  ): Promise<void> {
    const terminal = ['delivered', 'read', 'failed', 'expired', 'cancelled'].includes(status);
    // OTP bodies are wiped once final: support staff never see a code, and neither does a breach.
    const wipe = terminal && message.category === 'otp';
    // due_at: cleared when final; otherwise set only when the caller says (`dueAt`), else kept.
    const setsDue = !terminal && note.dueAt !== undefined;
    tx.write(
      `UPDATE messages SET status = $2, reason = $3, channel = COALESCE($4, channel), updated_at = now(),
         completed_at = CASE WHEN $5 THEN COALESCE(completed_at, now()) ELSE completed_at END,
         due_at = CASE WHEN $5 THEN NULL WHEN $8 THEN $9::timestamptz ELSE due_at END,
         possible_duplicate = possible_duplicate OR $6,
         text = CASE WHEN $7 THEN NULL ELSE text END, text_redacted = text_redacted OR $7
       WHERE id = $1`,
      [message.id, status, note.reason ?? null, note.channel ?? null, terminal, note.possibleDuplicate ?? false, wipe, setsDue, setsDue ? note.dueAt : null],
      { rowKey: `messages:${message.id}` },
    );
    const { dueAt: _dueAt, ...eventNote } = note;
    const previous = message.status;
    message.status = status;
    this.event(tx, {
      tenantId: message.tenantId,
      messageId: message.id,
      attemptId: null,
      type: 'message.status',
      status,
      ...eventNote,
      detail: { ...(note.detail ?? {}), from: previous },
    });
    await this.callbacks.write(tx, message, {
      type: 'message.status',
      status,
      reason: note.reason ?? null,
      channel: note.channel ?? message.channel,
      possibleDuplicate: (note.possibleDuplicate ?? false) || message.possibleDuplicate,
    });
  }

  /** A withdrawn attempt was delivered after all: tell the CRM the person may get it twice. */
  async possibleDuplicate(tx: Tx, message: MessageEntity, reason: string): Promise<void> {
    if (message.possibleDuplicate) return;
    tx.write(`UPDATE messages SET possible_duplicate = true, updated_at = now() WHERE id = $1`, [message.id], { rowKey: `messages:${message.id}` });
    message.possibleDuplicate = true;
    this.event(tx, { tenantId: message.tenantId, messageId: message.id, attemptId: null, type: 'message.possible_duplicate', source: 'engine', reason });
    await this.callbacks.write(tx, message, { type: 'message.possible_duplicate', status: message.status, reason, possibleDuplicate: true });
  }
}
