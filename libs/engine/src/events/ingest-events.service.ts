import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { ChannelEventSink } from '@tsunagu/channels';
import { AttemptStatus, ChannelEvent, canTransitionAttempt, isUuid, newId } from '@tsunagu/core';
import { AttemptEntity, MessageEntity } from '@tsunagu/database';
import { QUEUES, jobIds } from '@tsunagu/jobs';
import { redactObject } from '@tsunagu/security';
import { writeOutbox } from '../infra/outbox';
import { InboundService } from './inbound.service';
import { ParkedEvents } from './parked-events';
import { StateRecorder } from './state-recorder';

const STATUS_OF: Partial<Record<ChannelEvent['type'], AttemptStatus>> = {
  accepted: 'sent',
  delivered: 'delivered',
  read: 'read',
  failed: 'failed',
  expired: 'expired',
};

/**
 * The one ingestion path for every adapter's events. Idempotent (UNIQUE on the provider's event
 * id), order-tolerant (read before delivered ends read), and a contradiction of a final state is
 * recorded as an anomaly, never applied.
 */
@Injectable()
export class IngestEventsService implements ChannelEventSink {
  private readonly log = new Logger(IngestEventsService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly recorder: StateRecorder,
    private readonly parked: ParkedEvents,
    private readonly inbound: InboundService,
  ) {
    parked.bind((events) => this.ingest(events));
  }

  async ingest(events: ChannelEvent[]): Promise<void> {
    for (const event of events) {
      if (event.type === 'inbound_message' || event.type === 'opt_out' || event.type === 'opt_in') {
        await this.inbound.handle(event);
      } else {
        await this.status(event);
      }
    }
  }

  private async findAttempt(event: ChannelEvent): Promise<{ attemptId: string; partIndex: number | null } | null> {
    if (event.attemptId && isUuid(event.attemptId)) {
      const row = await this.db.getRepository(AttemptEntity).findOne({ select: { id: true }, where: { id: event.attemptId } });
      if (row) return { attemptId: row.id, partIndex: null };
    }
    if (!event.providerMessageId) return null;
    const parts: { attempt_id: string; part_index: number }[] = await this.db.query(
      `SELECT p.attempt_id, p.part_index FROM attempt_parts p JOIN attempts a ON a.id = p.attempt_id
       WHERE p.provider_message_id = $1 AND a.channel = $2 LIMIT 1`,
      [event.providerMessageId, event.channel],
    );
    if (parts.length) return { attemptId: parts[0].attempt_id, partIndex: parts[0].part_index };
    const row = await this.db.getRepository(AttemptEntity).findOne({
      select: { id: true },
      where: { channel: event.channel, providerMessageId: event.providerMessageId },
    });
    return row ? { attemptId: row.id, partIndex: null } : null;
  }

  private async status(event: ChannelEvent): Promise<void> {
    const found = await this.findAttempt(event);
    if (!found) {
      if (!event.providerMessageId) {
        this.log.warn({ channel: event.channel, type: event.type }, 'status event for no known attempt');
        return;
      }
      await this.parked.park(event);
      // The submit response may have committed between the lookup and the park, and released
      // nothing: look once more now that the park is visible, so no receipt waits for its TTL.
      if (await this.findAttempt(event)) await this.parked.release(event.channel, [event.providerMessageId]);
      return;
    }
    await this.db.transaction(async (m) => {
      const attemptRow = await m.getRepository(AttemptEntity).findOneByOrFail({ id: found.attemptId });
      const message = await m.getRepository(MessageEntity).findOne({ where: { id: attemptRow.messageId }, lock: { mode: 'pessimistic_write' } });
      const attempt = await m.getRepository(AttemptEntity).findOne({ where: { id: found.attemptId }, lock: { mode: 'pessimistic_write' } });
      if (!message || !attempt) return;
      const fresh = await this.recorder.event(m, {
        tenantId: message.tenantId,
        messageId: message.id,
        attemptId: attempt.id,
        source: event.channel,
        type: `provider.${event.type}`,
        providerEventId: event.providerEventId,
        status: event.type,
        reason: event.reason ?? null,
        occurredAt: event.occurredAt,
        detail: event.raw ? (redactObject(event.raw) as Record<string, unknown>) : null,
      });
      if (!fresh) return; // a replay: already recorded, already applied

      let target = STATUS_OF[event.type];
      if (!target) return;
      if (found.partIndex !== null) {
        const combined = await this.combineParts(m, attempt.id, found.partIndex, target);
        if (!combined) return;
        target = combined;
      }
      await this.apply(m, message, attempt, target, event);
    });
  }

  /** A multipart SMS is delivered when every part is, and failed as soon as any part fails. */
  private async combineParts(m: EntityManager, attemptId: string, partIndex: number, status: AttemptStatus): Promise<AttemptStatus | null> {
    await m.query(`UPDATE attempt_parts SET status = $3, updated_at = now() WHERE attempt_id = $1 AND part_index = $2`, [attemptId, partIndex, status]);
    const parts: { status: string }[] = await m.query(`SELECT status FROM attempt_parts WHERE attempt_id = $1`, [attemptId]);
    if (parts.some((p) => p.status === 'failed' || p.status === 'expired')) return parts.find((p) => p.status === 'failed') ? 'failed' : 'expired';
    if (parts.every((p) => p.status === 'delivered')) return 'delivered';
    return null;
  }

  private async apply(m: EntityManager, message: MessageEntity, attempt: AttemptEntity, target: AttemptStatus, event: ChannelEvent): Promise<void> {
    const from = attempt.status;
    if (from === target || !canTransitionAttempt(from, target)) {
      // Read before delivered ends read; a later "delivered" is not a contradiction worth flagging.
      const outOfOrder = from === 'read' && target === 'delivered';
      if (!outOfOrder && from !== target) {
        await this.recorder.event(m, {
          tenantId: message.tenantId,
          messageId: message.id,
          attemptId: attempt.id,
          source: 'engine',
          type: 'attempt.anomaly',
          status: target,
          reason: `${from}_then_${target}`,
          anomaly: true,
        });
      }
      return;
    }
    const late = ['revoked', 'expired', 'unknown'].includes(from) && (target === 'delivered' || target === 'read');
    await this.recorder.attempt(m, message, attempt, target, {
      source: event.channel,
      reason: event.reason ?? (late ? 'delivered_after_withdrawal' : null),
    }, target === 'failed' ? { permanent: event.permanent ?? true } : {});

    if (event.type === 'expired' && event.reason === 'ttl_revoke_failed') {
      await this.recorder.possibleDuplicate(m, message, 'ttl_revoke_failed');
    }
    const laterAttempt: unknown[] = await m.query(`SELECT 1 FROM attempts WHERE message_id = $1 AND seq > $2 LIMIT 1`, [message.id, attempt.seq]);
    if (late && laterAttempt.length > 0) {
      await this.recorder.possibleDuplicate(m, message, 'delivered_after_fallback');
    }
    // Read receipt on the attempt that delivered the message: the message itself moves to read.
    if (target === 'read' && message.status === 'delivered' && message.channel === attempt.channel) {
      await this.recorder.message(m, message, 'read', { source: event.channel, channel: attempt.channel });
    }
    await writeOutbox(m, [{ queue: QUEUES.advance, name: 'advance', jobId: jobIds.wake(message.id, newId()), payload: { messageId: message.id } }]);
  }
}
