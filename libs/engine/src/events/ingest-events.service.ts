import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ChannelEventSink } from '@tsunagu/channels';
import { AttemptStatus, ChannelEvent, canTransitionAttempt, isTerminalMessage, isUuid } from '@tsunagu/core';
import { AdvanceService } from '../dispatch/advance.service';
import { LockedRows, ReportPair } from '../dispatch/locked-rows';
import { SendAttemptService } from '../dispatch/send-attempt.service';
import { Tx } from '../infra/tx';
import { TxGroups } from '../infra/tx-groups.service';
import { redactObject } from '@tsunagu/security';
import { wakeNow } from '../timers/due-at';
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
    private readonly advance: AdvanceService,
    private readonly txs: TxGroups,
    private readonly sends: SendAttemptService,
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

  private async status(event: ChannelEvent): Promise<void> {
    const report = { channel: event.channel, attemptId: event.attemptId && isUuid(event.attemptId) ? event.attemptId : null, providerMessageId: event.providerMessageId ?? null };
    // The send that got this provider id is being recorded by this process: wait for that commit
    // (milliseconds) rather than park the receipt and replay it.
    const recording = report.providerMessageId ? this.sends.whenRecorded(event.channel, report.providerMessageId) : undefined;
    if (recording) await recording;
    const known = await this.txs.run(async (tx) => {
      const pair = await this.locked.pairForReport(tx, report);
      if (!pair) return false;
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
      if (!fresh) return true; // a replay: already recorded, already applied

      let target = STATUS_OF[event.type];
      if (!target) return true;
      if (pair.partIndex !== null) {
        const combined = await this.combineParts(tx, attempt.id, pair.partIndex, target);
        if (!combined) return true;
        target = combined;
      }
      await this.apply(tx, pair, target, event);
      return true;
    });
    if (known) return;
    if (!event.providerMessageId) {
      this.log.warn({ channel: event.channel, type: event.type }, 'status event for no known attempt');
      return;
    }
    await this.parked.park(event);
    // The submit response may have committed between the lookup and the park, and released
    // nothing: look once more now that the park is visible, so no receipt waits for its TTL.
    if (await this.locked.pairForReport(this.locked.direct(), report, { lock: false })) await this.parked.release(event.channel, [event.providerMessageId]);
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

  private async apply(tx: Tx, pair: ReportPair, target: AttemptStatus, event: ChannelEvent): Promise<void> {
    const { message, attempt, hasLaterAttempt } = pair;
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
    // The policy's next step in this same transaction (the message is locked already): a
    // delivery completes the message, a failure starts the fallback, in this commit. Only a step
    // that needs a provider call first goes to the dispatcher.
    if (isTerminalMessage(message.status as never)) return;
    if (!(await this.advance.decideWithin(tx, message.id, pair))) wakeNow(tx, message.id);
  }
}
