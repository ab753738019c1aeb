import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ChannelEventSink } from '@tsunagu/channels';
import { AttemptStatus, ChannelEvent, canTransitionAttempt, isUuid, newId } from '@tsunagu/core';
import { AttemptEntity, MessageEntity } from '@tsunagu/database';
import { LockedRows } from '../dispatch/locked-rows';
import { Tx, inTx } from '../infra/tx';
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
    private readonly locked: LockedRows,
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

  /** The attempt a report is about: by our own id, by a part's provider id, or by the attempt's. */
  private async findAttempt(event: ChannelEvent): Promise<{ attemptId: string; partIndex: number | null } | null> {
    if (event.attemptId && isUuid(event.attemptId)) {
      const rows: { id: string }[] = await this.db.query(`SELECT id FROM attempts WHERE id = $1`, [event.attemptId]);
      if (rows.length) return { attemptId: rows[0].id, partIndex: null };
    }
    if (!event.providerMessageId) return null;
    // One look for both: a part's id wins over an attempt's (a multipart SMS's first part id is
    // also its attempt's provider id).
    const rows: { attempt_id: string; part_index: number | null }[] = await this.db.query(
      `SELECT attempt_id, part_index FROM (
         SELECT p.attempt_id, p.part_index FROM attempt_parts p JOIN attempts a ON a.id = p.attempt_id
         WHERE p.provider_message_id = $1 AND a.channel = $2
         UNION ALL
         SELECT id, NULL FROM attempts WHERE channel = $2 AND provider_message_id = $1
       ) found ORDER BY part_index NULLS LAST LIMIT 1`,
      [event.providerMessageId, event.channel],
    );
    return rows.length ? { attemptId: rows[0].attempt_id, partIndex: rows[0].part_index } : null;
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
    await inTx(this.db, async (tx) => {
      const pair = await this.locked.pair(tx, found.attemptId);
      if (!pair) return;
      const { message, attempt } = pair;
      const fresh = await this.recorder.eventOnce(tx, {
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
        const combined = await this.combineParts(tx, attempt.id, found.partIndex, target);
        if (!combined) return;
        target = combined;
      }
      await this.apply(tx, message, attempt, pair.hasLaterAttempt, target, event);
    });
  }

  /** A multipart SMS is delivered when every part is, and failed as soon as any part fails. */
  private async combineParts(tx: Tx, attemptId: string, partIndex: number, status: AttemptStatus): Promise<AttemptStatus | null> {
    // The update and the look at every part in one statement (a CTE's update is not visible to
    // the rest of its statement, hence the COALESCE).
    const parts = await tx.query<{ status: string }>(
      `WITH u AS (UPDATE attempt_parts SET status = $3, updated_at = now() WHERE attempt_id = $1 AND part_index = $2 RETURNING part_index, status)
       SELECT COALESCE(u.status, p.status) AS status FROM attempt_parts p LEFT JOIN u ON u.part_index = p.part_index WHERE p.attempt_id = $1`,
      [attemptId, partIndex, status],
    );
    if (parts.some((p) => p.status === 'failed' || p.status === 'expired')) return parts.find((p) => p.status === 'failed') ? 'failed' : 'expired';
    if (parts.every((p) => p.status === 'delivered')) return 'delivered';
    return null;
  }

  private async apply(
    tx: Tx,
    message: MessageEntity,
    attempt: AttemptEntity,
    hasLaterAttempt: boolean,
    target: AttemptStatus,
    event: ChannelEvent,
  ): Promise<void> {
    const from = attempt.status;
    if (from === target || !canTransitionAttempt(from, target)) {
      // Read before delivered ends read; a later "delivered" is not a contradiction worth flagging.
      const outOfOrder = from === 'read' && target === 'delivered';
      if (!outOfOrder && from !== target) {
        this.recorder.event(tx, {
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
    await this.recorder.attempt(tx, message, attempt, target, {
      source: event.channel,
      reason: event.reason ?? (late ? 'delivered_after_withdrawal' : null),
    }, target === 'failed' ? { permanent: event.permanent ?? true } : {});

    if (event.type === 'expired' && event.reason === 'ttl_revoke_failed') {
      await this.recorder.possibleDuplicate(tx, message, 'ttl_revoke_failed');
    }
    if (late && hasLaterAttempt) {
      await this.recorder.possibleDuplicate(tx, message, 'delivered_after_fallback');
    }
    // Read receipt on the attempt that delivered the message: the message itself moves to read.
    if (target === 'read' && message.status === 'delivered' && message.channel === attempt.channel) {
      await this.recorder.message(tx, message, 'read', { source: event.channel, channel: attempt.channel });
    }
    writeOutbox(tx, [{ queue: QUEUES.advance, name: 'advance', jobId: jobIds.wake(message.id, newId()), payload: { messageId: message.id } }]);
  }
}
