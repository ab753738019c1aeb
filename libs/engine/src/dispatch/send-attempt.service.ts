import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ChannelError, ChannelRegistry, OutboundAttempt, SendResult, isChannelError, sendsIdempotently } from '@tsunagu/channels';
import { TSUNAGU_CONFIG, TsunaguConfig } from '@tsunagu/config';
import { isTerminalMessage } from '@tsunagu/core';
import { AttemptEntity, ContactEntity, MessageEntity } from '@tsunagu/database';
import { providerBackoff } from '@tsunagu/jobs';
import { StateRecorder } from '../events/state-recorder';
import { ParkedEvents, ParkedRow } from '../events/parked-events';
import { dueAt, wakeNow } from '../timers/due-at';
import { sendJob, writeOutbox } from '../infra/outbox';
import { retryWhileDatabaseAway } from '../infra/database-away';
import { Tx, inTx } from '../infra/tx';
import { TxGroups } from '../infra/tx-groups.service';
import { AttemptViews } from './attempt-views';
import { BucketUnavailable, TokenBucket } from '../infra/token-bucket';
import { LockedRows } from './locked-rows';
import { SENDER_NOT_APPROVED, senderStillApproved } from '../senders/sender-gate';

/** How long a send waits before trying again when the throughput bucket cannot be read. */
const BUCKET_AWAY_WAIT_MS = 1000;

/**
 * How long a provider's answer is held while PostgreSQL is away, trying again to record it.
 * Kept well inside the reconciler's 60 s grace for a `submitting` attempt (provider call
 * included), so the answer is normally recorded before anyone settles the attempt as unknown.
 */
const RESULT_RECORD_BUDGET_MS = 20_000;

export type SendOutcome = 'sent' | 'skipped' | 'retry' | 'failed' | 'unknown';

/** An attempt committed as `submitting` by the caller's transaction, to be submitted once that commits. */
export interface ClaimedSend {
  attempt: AttemptEntity;
  view: OutboundAttempt;
}

/** Where a send is: `queued` sends run as BullMQ jobs (retried by the queue); direct ones in-process. */
interface SendRoute {
  finalTry: boolean;
  queued: boolean;
}

/** The provider account's shared throughput is spent: run this job again after `waitMs`, no retry used. */
export class ThroughputWait extends Error {
  constructor(readonly waitMs: number) {
    super(`throughput limit: wait ${waitMs} ms`);
    this.name = 'ThroughputWait';
  }
}

/** Thrown to the queue so BullMQ retries with backoff; carries the provider's Retry-After. */
export class RetryLater extends Error {
  constructor(
    readonly code: string,
    readonly retryAfterMs?: number,
  ) {
    super(`retryable: ${code}`);
    this.name = 'RetryLater';
  }
}

/**
 * One attempt, one send. The attempt is committed as `submitting` before the provider call;
 * finding it still `submitting` later means a crash mid-call, and for a channel that cannot
 * dedupe (SMPP) that is an unknown outcome — never a second SMS.
 */
/** The provider's request id of a refusal, for the attempt's event (what its support desk asks for). */
function requestIdOf(err: ChannelError): { providerRequestId: string } | null {
  return err.providerRequestId ? { providerRequestId: err.providerRequestId } : null;
}

@Injectable()
export class SendAttemptService {
  private readonly log = new Logger(SendAttemptService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly registry: ChannelRegistry,
    private readonly recorder: StateRecorder,
    private readonly views: AttemptViews,
    private readonly parked: ParkedEvents,
    private readonly buckets: TokenBucket,
    private readonly locked: LockedRows,
    private readonly txs: TxGroups,
    @Inject(TSUNAGU_CONFIG) private readonly config: TsunaguConfig,
  ) {}

  /** Direct sends reserved or running in this process, and their promises (for a graceful stop). */
  private reserved = 0;
  private readonly running = new Set<Promise<unknown>>();
  /** Provider ids whose `sent` this process is recording now (`channel:id`), until it is committed. */
  private readonly recording = new Map<string, Promise<unknown>>();

  /**
   * Settles once this process has recorded the send that got this provider id, when it is
   * recording it now; undefined otherwise. A receipt that beat the `sent` commit by a few
   * milliseconds waits for it here instead of being parked in PostgreSQL and replayed.
   */
  whenRecorded(channel: string, providerMessageId: string): Promise<unknown> | undefined {
    return this.recording.get(`${channel}:${providerMessageId}`);
  }

  /**
   * A slot for a send started in this process right after its decision commits
   * (`TSUNAGU_DIRECT_SENDS`). False when every slot is taken: that attempt goes by its send queue.
   */
  reserveDirect(): boolean {
    if (this.reserved >= this.config.worker.directSends) return false;
    this.reserved++;
    return true;
  }

  releaseDirect(): void {
    this.reserved--;
  }

  /**
   * Whether a decision's new attempt may be claimed (`submitting`) in the decision's own
   * transaction: the adapter's view of it, unless the provider account's shared throughput says
   * wait (then `waitMs`: the caller queues it for then). Nothing is written here.
   */
  async claimable(message: MessageEntity, attempt: AttemptEntity, contact: ContactEntity): Promise<ClaimedSend | { waitMs: number }> {
    const view = await this.views.outbound(attempt, message, contact);
    const cost = this.registry.get(attempt.channel).throughputCost?.(view);
    if (cost) {
      const waitMs = await this.takeThroughput(`throughput:${attempt.channel}:${cost.key}`, cost.perSecond, cost.units);
      if (waitMs > 0) return { waitMs };
    }
    return { attempt, view };
  }

  /**
   * What the claim's `submitting` event records of how it will be sent, for an adapter whose
   * answer depends on the attempt (`idempotentFor`; LINE: a push dedupes, a PNP send cannot): a
   * send a crash interrupts is judged by the form it was sent in, not the contact as it is by then.
   */
  claimNote(claim: ClaimedSend): { idempotent: boolean } | null {
    const adapter = this.registry.get(claim.attempt.channel);
    return adapter.idempotentFor ? { idempotent: adapter.idempotentFor(claim.view) } : null;
  }

  /**
   * Whether the interrupted claim of `attempt` was sent in a form the provider dedupes, as its
   * `submitting` event recorded (the rare path of a crash). Absent a record, the adapter's answer now.
   */
  private async claimedIdempotent(tx: Tx, attempt: AttemptEntity, now: boolean): Promise<boolean> {
    if (!now || !this.registry.get(attempt.channel).idempotentFor) return now;
    const rows = await tx.query<{ idempotent: string | null }>(
      `SELECT detail->>'idempotent' AS idempotent FROM events WHERE message_id = $1 AND attempt_id = $2 AND type = 'attempt.status' AND status = 'submitting'
       ORDER BY created_at DESC LIMIT 1`,
      [attempt.messageId, attempt.id],
    );
    return rows[0]?.idempotent !== 'false';
  }

  /**
   * Submits a claim its decision just committed, in the background of the caller's run; the slot
   * reserved for it is given back when the result is recorded. A worker killed before that leaves
   * the attempt `submitting`, which the reconciler settles (never a second SMS).
   */
  startDirect(claim: ClaimedSend): void {
    const run = this.submit(claim, { finalTry: false, queued: false })
      .catch((err: Error) => this.log.warn({ attemptId: claim.attempt.id, err: err.message }, 'direct send not recorded; the reconciler settles it'))
      .finally(() => {
        this.releaseDirect();
        this.running.delete(run);
      });
    this.running.add(run);
  }

  /** Waits for every direct send in hand (graceful stop: after the dispatcher has stopped starting them). */
  async drainDirect(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running]);
  }

  /** A send job from the queue: claims the attempt (a transaction of its own), submits, records. */
  async send(attemptId: string, { finalTry }: { finalTry: boolean }): Promise<SendOutcome> {
    const claim = await this.txs.run(async (tx) => {
      const pair = await this.locked.pair(tx, attemptId);
      if (!pair) return null;
      const { message, attempt, contact } = pair;
      const adapter = this.registry.get(attempt.channel);
      if (attempt.status === 'submitting') {
        // A call a crash interrupted: sent again only where the provider dedupes it.
        const view = await this.views.outbound(attempt, message, contact);
        if (!(await this.claimedIdempotent(tx, attempt, sendsIdempotently(adapter, view)))) {
          await this.recorder.attempt(tx, message, attempt, 'unknown', { source: 'engine', reason: 'submit_interrupted' });
          this.wake(tx, message.id);
          return null;
        }
        if (!isTerminalMessage(message.status as never) && !message.cancelRequested) return { attempt, view };
      }
      if (attempt.status !== 'pending' && attempt.status !== 'submitting') return null;
      if (isTerminalMessage(message.status as never) || message.cancelRequested) {
        await this.recorder.attempt(tx, message, attempt, 'revoked', { source: 'engine', reason: 'message_final_before_send' });
        return null;
      }
      // A queued SMS (a retry, a throughput wait) may run well after its decision checked the
      // sender: suspended since, it fails here, unsent, and the policy moves on.
      if (attempt.channel === 'sms' && attempt.sender && !(await senderStillApproved(tx, message.tenantId, attempt.sender, attempt.route))) {
        await this.recorder.attempt(tx, message, attempt, 'failed', { source: 'engine', reason: SENDER_NOT_APPROVED }, { permanent: true });
        this.wake(tx, message.id);
        return null;
      }
      // Throughput is taken before the claim is written: a job that must wait rolls back and
      // leaves the attempt exactly as it was.
      const claim = await this.claimable(message, attempt, contact);
      if ('waitMs' in claim) throw new ThroughputWait(claim.waitMs);
      await this.recorder.attempt(tx, message, attempt, 'submitting', { source: 'engine', detail: this.claimNote(claim) });
      return claim;
    });
    if (!claim) return 'skipped';
    return this.submit(claim, { finalTry, queued: true });
  }

  /** The provider call for a committed claim, then its result in a transaction of its own. */
  private async submit(claim: ClaimedSend, how: SendRoute): Promise<SendOutcome> {
    const attemptId = claim.attempt.id;
    const adapter = this.registry.get(claim.attempt.channel);
    let result: SendResult;
    try {
      result = await adapter.send(claim.view);
    } catch (err) {
      return this.failed(attemptId, this.classify(err, sendsIdempotently(adapter, claim.view)), how);
    }
    const ids = result.partIds ?? (result.providerMessageId ? [result.providerMessageId] : []);
    const keys = ids.map((id) => `${claim.attempt.channel}:${id}`);
    const recorded = this.whileDatabaseAway(attemptId, 'sent', () => this.recordSent(claim, result, ids));
    const settled = recorded.catch(() => undefined);
    for (const key of keys) this.recording.set(key, settled);
    try {
      await this.parked.replayClaimed((await recorded) ?? []);
    } finally {
      for (const key of keys) if (this.recording.get(key) === settled) this.recording.delete(key);
    }
    return 'sent';
  }

  /**
   * The provider's answer (`ids`: its message id, or one per part), recorded under the message
   * lock. Safe to run again after a commit whose acknowledgement was lost: the attempt then
   * reads this provider id.
   */
  private recordSent(claim: ClaimedSend, result: SendResult, ids: string[]): Promise<ParkedRow[] | void> {
    const attemptId = claim.attempt.id;
    const adapter = this.registry.get(claim.attempt.channel);
    return this.txs.run(
      async (tx) => {
        const pair = await this.locked.pair(tx, attemptId);
        if (!pair) return;
        // Receipts that raced ahead of the submit response were parked: taken right after this
        // commit (same round trip), so a receipt parked meanwhile finds the attempt committed.
        if (ids.length) tx.afterCommit(...this.parked.claimStatement(claim.attempt.channel, ids));
        const { message, attempt } = pair;
        const awaitsDelivery = result.awaitsDelivery ?? adapter.traits.reportsDelivery;
        const deadline = new Date(Date.now() + attempt.timeoutSeconds * 1000);
        const extra = {
          provider_message_id: result.providerMessageId,
          route: result.route ?? attempt.route,
          bind: result.bind ?? null,
          awaits_delivery: awaitsDelivery,
          deadline_at: deadline,
        };
        if (attempt.status === 'submitting') {
          const detail = result.providerRequestId ? { providerRequestId: result.providerRequestId } : null;
          await this.recorder.attempt(tx, message, attempt, 'sent', { source: attempt.channel, reason: result.note ?? null, detail }, extra);
          // The fallback timer is the message's due_at. When `sent` already settles it (LINE push),
          // look now; otherwise nothing changes until a report (which wakes it) or the deadline.
          if (awaitsDelivery) dueAt(tx, message.id, deadline);
          else wakeNow(tx, message.id);
        } else if (result.providerMessageId && attempt.providerMessageId === result.providerMessageId) {
          return; // recorded already, by a try whose commit went through but whose answer was lost
        } else {
          // Withdrawn while the provider call was in flight: record what the provider said.
          tx.write(
            `UPDATE attempts SET provider_message_id = $2, route = COALESCE($3, route), bind = $4 WHERE id = $1`,
            [attempt.id, result.providerMessageId, extra.route, extra.bind],
            { rowKey: `attempts:${attempt.id}` },
          );
          this.recorder.event(tx, { tenantId: message.tenantId, messageId: message.id, attemptId: attempt.id, source: 'engine', type: 'attempt.sent_after_withdraw', anomaly: true });
          await this.recorder.possibleDuplicate(tx, message, 'sent_after_withdraw');
        }
        if (ids.length > 1) {
          const values = ids.map((_, i) => `($1, ${i}, $${i + 2})`).join(', ');
          tx.write(`INSERT INTO attempt_parts (attempt_id, part_index, provider_message_id) VALUES ${values} ON CONFLICT DO NOTHING`, [attempt.id, ...ids]);
        }
      },
      (tx) => tx.afterCommitRows<ParkedRow>(),
    );
  }

  /**
   * A provider's answer is not dropped because PostgreSQL restarted under it: recording is tried
   * again for `RESULT_RECORD_BUDGET_MS`. Only after that does the attempt stay `submitting` for
   * the reconciler (an SMS then ends unknown: sent, but not known to be).
   */
  private whileDatabaseAway<T>(attemptId: string, outcome: string, fn: () => Promise<T>): Promise<T> {
    return retryWhileDatabaseAway(fn, {
      budgetMs: RESULT_RECORD_BUDGET_MS,
      onRetry: (err, n) => this.log.warn({ attemptId, outcome, try: n, err: err instanceof Error ? err.message : String(err) }, 'database away; recording the provider answer again'),
    });
  }

  /**
   * Redis away: nothing is sent (the carrier's limit is never guessed), the transaction rolls back
   * with its lock, and the job runs again later without spending a retry.
   */
  private async takeThroughput(bucket: string, perSecond: number, units: number): Promise<number> {
    try {
      return await this.buckets.take(bucket, perSecond, units);
    } catch (err) {
      if (!(err instanceof BucketUnavailable)) throw err;
      this.log.warn({ bucket }, 'throughput bucket unavailable (Redis not answering); send deferred');
      return BUCKET_AWAY_WAIT_MS;
    }
  }

  private classify(err: unknown, idempotent: boolean): ChannelError {
    if (isChannelError(err)) return err;
    // An adapter bug or a socket error we did not classify: safe to retry only when the provider dedupes.
    this.log.error({ err: err instanceof Error ? err.message : String(err) }, 'adapter threw an unclassified error');
    return idempotent ? ChannelError.retryable('adapter_error') : ChannelError.unknownOutcome('adapter_error');
  }

  private async failed(attemptId: string, err: ChannelError, { finalTry, queued }: SendRoute): Promise<SendOutcome> {
    const retry = err.kind === 'retryable' && !finalTry;
    await this.whileDatabaseAway(attemptId, err.kind, () => this.recordFailure(attemptId, err, retry, queued));
    if (retry && queued) throw new RetryLater(err.code, err.retryAfterMs);
    if (retry) return 'retry';
    return err.kind === 'unknown_outcome' ? 'unknown' : 'failed';
  }

  /** A failed call, recorded under the lock; run again, it finds the attempt no longer `submitting`. */
  private recordFailure(attemptId: string, err: ChannelError, retry: boolean, queued: boolean): Promise<void> {
    return inTx(this.db, async (tx) => {
      const pair = await this.locked.pair(tx, attemptId);
      if (!pair || pair.attempt.status !== 'submitting') return;
      const { message, attempt } = pair;
      if (retry) {
        await this.recorder.attempt(tx, message, attempt, 'pending', { source: attempt.channel, reason: err.code, detail: requestIdOf(err) }, { retries: attempt.retries + 1 });
        // A direct send has no job to back off: its retries go by the send queue from here on,
        // the first one after the provider's Retry-After or the queue's first backoff.
        if (!queued) {
          const availableAt = new Date(Date.now() + providerBackoff(1, err));
          writeOutbox(tx, [sendJob(attempt.channel, attempt.id, availableAt)]);
        }
        return;
      }
      if (err.kind === 'unknown_outcome') {
        // Never resent: the policy waits out the timeout (it schedules that wait), then moves on.
        await this.recorder.attempt(tx, message, attempt, 'unknown', { source: attempt.channel, reason: err.code, detail: { kind: err.kind, ...requestIdOf(err) } });
        this.wake(tx, message.id);
        return;
      }
      const code = err.kind === 'retryable' ? `${err.code}_retries_exhausted` : err.code;
      await this.recorder.attempt(tx, message, attempt, 'failed', { source: attempt.channel, reason: code, detail: { kind: err.kind, ...requestIdOf(err) } }, { permanent: err.kind === 'permanent' });
      this.wake(tx, message.id);
    });
  }

  private wake(tx: Tx, messageId: string): void {
    wakeNow(tx, messageId);
  }
}
