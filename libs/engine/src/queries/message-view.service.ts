import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DomainError, isTerminalMessage, isUuid } from '@tsunagu/core';
import { AttemptEntity, DecisionEntity, EventEntity, MessageEntity } from '@tsunagu/database';
import { wakeNow } from '../timers/due-at';
import { inTx } from '../infra/tx';

export function assertId(id: string): void {
  if (!isUuid(id)) throw new DomainError('INVALID_ID', 'The id is not a valid UUID.');
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

export function attemptView(a: AttemptEntity) {
  return {
    id: a.id,
    seq: a.seq,
    channel: a.channel,
    status: a.status,
    route: a.route,
    bind: a.bind,
    sender: a.sender,
    providerMessageId: a.providerMessageId,
    reason: a.reason,
    permanent: a.permanent,
    retries: a.retries,
    createdAt: iso(a.createdAt),
    sentAt: iso(a.sentAt),
    deliveredAt: iso(a.deliveredAt),
    readAt: iso(a.readAt),
    finishedAt: iso(a.finishedAt),
    deadlineAt: iso(a.deadlineAt),
  };
}

/** What every answer about a message starts with: its outcome, as the list and the full view give it. */
export function messageOutcome(m: MessageEntity) {
  return { status: m.status, reason: m.reason, category: m.category, channel: m.channel, possibleDuplicate: m.possibleDuplicate, contactId: m.contactId };
}

/** Reads for the CRM and the console. Every query is scoped by tenant: another tenant's id is a 404. */
@Injectable()
export class MessageViewService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async find(tenantId: string, id: string): Promise<MessageEntity> {
    assertId(id);
    const message = await this.db.getRepository(MessageEntity).findOneBy({ id, tenantId });
    if (!message) throw new DomainError('NOT_FOUND', 'No message with this id.');
    return message;
  }

  async get(tenantId: string, id: string) {
    const m = await this.find(tenantId, id);
    const [attempts, events, decisions] = await Promise.all([
      this.db.getRepository(AttemptEntity).find({ where: { messageId: id }, order: { seq: 'ASC' } }),
      this.db.getRepository(EventEntity).find({ where: { messageId: id }, order: { createdAt: 'ASC', id: 'ASC' } }),
      this.db.getRepository(DecisionEntity).find({ where: { messageId: id }, order: { createdAt: 'ASC' } }),
    ]);
    return {
      id: m.id,
      direction: m.direction,
      ...messageOutcome(m),
      conversationId: m.conversationId,
      text: m.textRedacted ? null : m.text,
      textRedacted: m.textRedacted,
      sender: m.sender,
      metadata: m.metadata,
      plan: m.plan,
      sendAt: iso(m.sendAt),
      expiresAt: iso(m.expiresAt),
      createdAt: iso(m.createdAt),
      completedAt: iso(m.completedAt),
      attempts: attempts.map(attemptView),
      events: events.map((e) => ({
        type: e.type,
        source: e.source,
        status: e.status,
        reason: e.reason,
        attemptId: e.attemptId,
        anomaly: e.anomaly,
        occurredAt: iso(e.occurredAt),
      })),
      decisions: decisions.map((d) => ({ kind: d.kind, inputs: d.inputs, outcome: d.outcome, at: iso(d.createdAt) })),
    };
  }

  /** Marks the request and lets the policy withdraw whatever is in flight. */
  async cancel(tenantId: string, id: string): Promise<{ id: string; status: string }> {
    const m = await this.find(tenantId, id);
    if (m.direction !== 'outbound' || isTerminalMessage(m.status as never)) {
      throw new DomainError('MESSAGE_ALREADY_FINAL', `The message is already ${m.status}.`, { status: m.status });
    }
    await inTx(this.db, async (tx) => {
      tx.write(`UPDATE messages SET cancel_requested = true, updated_at = now() WHERE id = $1`, [id], { rowKey: `messages:${id}` });
      wakeNow(tx, id);
    });
    return { id, status: 'cancelling' };
  }
}
