import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ChannelRegistry } from '@tsunagu/channels';
import { isTerminalMessage, newId } from '@tsunagu/core';
import { AttemptEntity, ContactEntity, MessageEntity } from '@tsunagu/database';
import { dueAt } from '../timers/due-at';
import { CapabilityFacts, MessageFacts, Step, nextStep } from '@tsunagu/policy';
import { ContactService } from '../contacts/contact.service';
import { StateRecorder } from '../events/state-recorder';
import { sendJob, writeOutbox } from '../infra/outbox';
import { Tx, queryOnce } from '../infra/tx';
import { TxGroups } from '../infra/tx-groups.service';
import { TenantSettingsService } from '../tenants/tenant-settings.service';
import { AttemptViews } from './attempt-views';
import { LockedRows, MessageForDecision } from './locked-rows';
import { buildFacts } from './message-facts';
import { ClaimedSend, SendAttemptService } from './send-attempt.service';
import { SENDER_NOT_APPROVED } from '../senders/sender-gate';

/** The contact's cached capability answer, written with the next locked decision. */
interface CapabilityCacheWrite {
  sql: string;
  params: unknown[];
}

type WithdrawStep = Extract<Step, { kind: 'withdraw' }>;

type Io =
  | { kind: 'capability'; channel: string; contact: ContactEntity }
  | { kind: 'withdraw'; step: WithdrawStep; attempt: AttemptEntity; message: MessageEntity; contact: ContactEntity }
  | null;

/** What the provider said to a withdrawal, recorded under the lock of the next decision. */
interface Withdrawal {
  attemptId: string;
  /** The attempt's status when the cancel was asked; a report that moved it since wins. */
  seenStatus: string;
  result: 'revoked' | 'too_late' | 'unsupported';
  because: string;
}

/** Set by a decision that claimed its new attempt for a direct send (`SendAttemptService.startDirect`). */
interface DirectClaim {
  claim: ClaimedSend | null;
}

/** How many policy steps one job may take (capability checks and withdrawals loop back). */
const MAX_STEPS = 8;

/**
 * Runs the fallback policy for one message. Called by the dispatcher whenever the message is due
 * (new, a deadline passed, a report woke it); holds the message row lock while deciding so concurrent reports and timers take turns.
 * Provider I/O (capability, cancel) happens between transactions, never holding the lock.
 */
@Injectable()
export class AdvanceService {
  private readonly log = new Logger(AdvanceService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly registry: ChannelRegistry,
    private readonly tenants: TenantSettingsService,
    private readonly contacts: ContactService,
    private readonly recorder: StateRecorder,
    private readonly views: AttemptViews,
    private readonly locked: LockedRows,
    private readonly txs: TxGroups,
    private readonly sends: SendAttemptService,
  ) {}

  /**
   * `peekFirst`: decide from an unlocked read (`peeked`, when the caller read it already); while
   * that asks for capability lookups (RCS, then another channel's), do them with no transaction
   * opened at all, deciding again from the same read with each answer. Anything the peek would
   * write is decided again under the lock.
   */
  async advance(
    messageId: string,
    { now = () => new Date(), peekFirst = false, peeked }: { now?: () => Date; peekFirst?: boolean; peeked?: MessageForDecision | null } = {},
  ): Promise<void> {
    const overrides: Record<string, CapabilityFacts> = {};
    const cacheWrites: CapabilityCacheWrite[] = [];
    let withdrawal: Withdrawal | null = null;
    let peek = peekFirst;
    for (let i = 0; i < MAX_STEPS; i++) {
      const pending: Withdrawal | null = withdrawal;
      withdrawal = null;
      if (peek && peeked === undefined) peeked = await this.locked.forDecision(this.locked.direct(), messageId, { lock: false });
      const io = peek
        ? await this.decide(this.locked.direct(), messageId, now(), overrides, [], null, { read: peeked })
        : await this.decideAndSend(messageId, now, overrides, cacheWrites.splice(0), pending);
      if (io === 'locked') {
        peek = false;
        continue;
      }
      if (!io) return;
      if (io.kind === 'capability') {
        // A lookup changes nothing in the rows read: a peek decides again from them, unlocked.
        const write = await this.checkCapability(io.contact, io.channel, overrides);
        if (write) cacheWrites.push(write);
      } else {
        withdrawal = await this.withdraw(io);
        peek = false;
        if (peeked) await this.askAhead(peeked, withdrawal, now(), overrides, cacheWrites);
      }
    }
    for (const w of cacheWrites) await queryOnce(this.db, w.sql, w.params);
    this.log.warn({ messageId }, 'advance took too many steps; it runs again when its lease lapses');
  }

  /** Resolves once every direct send started so far is recorded (graceful stop). */
  drainSends(): Promise<void> {
    return this.sends.drainDirect();
  }

  /**
   * One locked decision in a shared transaction. With a direct-send slot free, a new attempt is
   * claimed in that transaction and submitted as soon as it commits; the slot goes back otherwise.
   */
  private async decideAndSend(
    messageId: string,
    now: () => Date,
    overrides: Record<string, CapabilityFacts>,
    cacheWrites: CapabilityCacheWrite[],
    withdrawal: Withdrawal | null,
  ): Promise<Io | 'locked'> {
    const direct: DirectClaim | null = this.sends.reserveDirect() ? { claim: null } : null;
    let io: Io | 'locked';
    try {
      io = await this.txs.run((tx) => {
        // A shared transaction may run a member again: only its last run's claim was committed.
        if (direct) direct.claim = null;
        return this.decide(tx, messageId, now(), overrides, cacheWrites, withdrawal, { direct });
      });
    } catch (err) {
      if (direct) this.sends.releaseDirect();
      throw err;
    }
    if (direct?.claim) this.sends.startDirect(direct.claim);
    else if (direct) this.sends.releaseDirect();
    return io;
  }

  /**
   * One decision inside a caller's transaction that holds the message lock (a report was just
   * applied), written with the caller's commit. False when the next step needs a provider call
   * first (capability, withdraw): the caller wakes the message for the dispatcher instead.
   * `held`: the message as the caller locked and read it, with the report applied, so it is not
   * read again.
   */
  async decideWithin(tx: Tx, messageId: string, held?: MessageForDecision): Promise<boolean> {
    const io = await this.decide(tx, messageId, new Date(), {}, [], null, { read: held });
    return io === null;
  }

  private async decide(
    tx: Tx | Pick<Tx, 'query'>,
    messageId: string,
    now: Date,
    overrides: Record<string, CapabilityFacts>,
    cacheWrites: CapabilityCacheWrite[],
    withdrawal: Withdrawal | null,
    { read, direct = null }: { read?: MessageForDecision | null; direct?: DirectClaim | null } = {},
  ): Promise<Io | 'locked'> {
    // `read`: the rows the caller already has (a peek's unlocked read, a report's locked one).
    const rows = read !== undefined ? read : await this.locked.forDecision(tx, messageId);
    // The capability answers just fetched are cached on the contact in this same transaction;
    // written after the read, they travel in the commit's one statement rather than as a statement before the read.
    if ('write' in tx) for (const w of cacheWrites) tx.write(w.sql, w.params);
    if (!rows) return null;
    const { message, attempts, contact, senderApproved } = rows;
    if (message.direction !== 'outbound' || isTerminalMessage(message.status as never)) return null;
    // The withdrawal just asked of the provider is recorded here, under this lock, and the policy
    // decides on from it in the same transaction (the fallback attempt starts in the same commit).
    if (withdrawal && 'write' in tx) {
      const attempt = attempts.find((a) => a.id === withdrawal.attemptId);
      if (attempt && attempt.status === withdrawal.seenStatus) await this.recordWithdrawal(tx, message, attempt, withdrawal);
    }
    const tenant = await this.tenants.get(message.tenantId, 'write' in tx ? tx : undefined);
    const facts = buildFacts(message, attempts, contact, this.registry.traits(), tenant.policy.quietHours, now, overrides);
    let step = nextStep(facts, now);
    // Only under the lock (a peek decides a start again there): the sender is asked once, right
    // before the SMS it would go out as; barred, the policy decides again without SMS.
    // Read with the message (LockedRows' SENDER_APPROVED), so the hot path pays no round trip for it.
    if ('write' in tx && step.kind === 'start_attempt' && step.channel === 'sms' && !senderApproved) {
      facts.barred = { ...facts.barred, sms: SENDER_NOT_APPROVED };
      step = nextStep(facts, now);
    }

    switch (step.kind) {
      case 'check_capability':
        return { kind: 'capability', channel: step.channel, contact };
      case 'withdraw': {
        const attempt = attempts.find((a) => a.seq === step.seq);
        return attempt ? { kind: 'withdraw', step, attempt, message, contact } : null;
      }
    }
    if (!('write' in tx)) return 'locked'; // a peek: every other step writes, so decide it under the lock
    switch (step.kind) {
      case 'wait':
        this.schedule(tx, message, step.until);
        return null;
      case 'complete':
        await this.recorder.message(tx, message, step.status, { source: 'engine', channel: step.channel, reason: null });
        return null;
      case 'finish':
        this.decision(tx, message, 'finish', facts, { status: step.status, reason: step.reason, skipped: step.skipped });
        await this.recorder.message(tx, message, step.status, { source: 'engine', reason: step.reason, detail: { skipped: step.skipped } });
        return null;
      case 'start_attempt':
        await this.start(tx, message, contact, step, facts, now, direct);
        return null;
    }
  }

  /**
   * The new attempt. `direct`: claimed here (inserted `submitting`, both steps recorded as events)
   * unless the provider's throughput says wait; otherwise a send job, delayed by that wait.
   */
  private async start(
    tx: Tx,
    message: MessageEntity,
    contact: ContactEntity,
    step: Extract<Step, { kind: 'start_attempt' }>,
    facts: MessageFacts,
    now: Date,
    direct: DirectClaim | null,
  ): Promise<void> {
    const attemptId = newId();
    const deadline = new Date(now.getTime() + step.timeoutSeconds * 1000);
    const route = step.channel === 'sms' ? (message.plan?.smsRoute ?? null) : null;
    const attempt = newAttempt({ id: attemptId, tenantId: message.tenantId, messageId: message.id, seq: step.seq, channel: step.channel, sender: message.sender, route, timeoutSeconds: step.timeoutSeconds, deadlineAt: deadline });
    const claim = direct ? await this.sends.claimable(message, attempt, contact) : null;
    const claimed = claim && !('waitMs' in claim) ? claim : null;
    tx.write(
      `INSERT INTO attempts (id, tenant_id, message_id, seq, channel, status, sender, route, timeout_seconds, deadline_at, submitting_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, CASE WHEN $6 = 'submitting' THEN now() END)`,
      [attemptId, message.tenantId, message.id, step.seq, step.channel, claimed ? 'submitting' : 'pending', message.sender, route, step.timeoutSeconds, deadline],
    );
    this.decision(tx, message, 'channel', facts, { channel: step.channel, seq: step.seq, timeoutSeconds: step.timeoutSeconds, skipped: step.skipped });
    const attemptEvent = (status: 'pending' | 'submitting', detail: Record<string, unknown>) =>
      this.recorder.event(tx, { tenantId: message.tenantId, messageId: message.id, attemptId, source: 'engine', type: 'attempt.status', status, detail });
    attemptEvent('pending', { channel: step.channel, skipped: step.skipped });
    if (claimed) {
      // Both steps recorded, as a queued send records them: pending, then claimed.
      attempt.status = 'submitting';
      attemptEvent('submitting', { from: 'pending', channel: step.channel, ...this.sends.claimNote(claimed) });
    }
    // No fallback timer yet: the clock starts when the provider accepts (the send sets due_at).
    // Until then nothing is due; a lost send job is re-created by the reconciler from the attempt.
    if (message.status !== 'dispatching') {
      await this.recorder.message(tx, message, 'dispatching', { source: 'engine', channel: null, dueAt: null });
    } else {
      dueAt(tx, message.id, null);
    }
    if (claimed) {
      direct!.claim = claimed;
      return;
    }
    const availableAt = claim && 'waitMs' in claim ? new Date(Date.now() + claim.waitMs) : undefined;
    writeOutbox(tx, [sendJob(step.channel, attemptId, availableAt)]);
  }

  /** The next look: the row is the timer (`DueDispatcher`); `null` clears the lease the dispatcher set. */
  private schedule(tx: Tx, message: MessageEntity, until: Date | null): void {
    if ((message.dueAt?.getTime() ?? null) === (until?.getTime() ?? null)) return;
    dueAt(tx, message.id, until);
  }

  /** Stored with its inputs, so support can see why it went by SMS and not RCS. */
  private decision(tx: Tx, message: MessageEntity, kind: string, f: MessageFacts, outcome: Record<string, unknown>): void {
    const now = Date.now();
    const capabilities = Object.fromEntries(
      Object.entries(f.capabilities)
        .filter(([, c]) => c)
        .map(([ch, c]) => [ch, { reachable: c!.reachable, reason: c!.reason, ageSeconds: Math.round((now - c!.checkedAt.getTime()) / 1000) }]),
    );
    tx.write(`INSERT INTO decisions (id, tenant_id, message_id, kind, inputs, outcome) VALUES ($1, $2, $3, $4, $5, $6)`, [
      newId(),
      message.tenantId,
      message.id,
      kind,
      JSON.stringify({ category: f.category, capabilities, optOuts: f.optOuts, ...(f.barred ? { barred: f.barred } : {}), plan: f.plan, quietHours: f.quietHours }),
      JSON.stringify(outcome),
    ]);
  }

  /** A lookup failure counts as not reachable for this message, so nothing waits on a broken provider. */
  private async checkCapability(contact: ContactEntity, channel: string, overrides: Record<string, CapabilityFacts>): Promise<CapabilityCacheWrite | null> {
    let answer: { reachable: boolean; reason: string; checkedAt: Date; ttlSeconds: number };
    try {
      answer = await this.registry.get(channel).capability(this.contacts.view(contact));
    } catch {
      answer = { reachable: false, reason: 'capability_lookup_failed', checkedAt: new Date(), ttlSeconds: 0 };
    }
    overrides[channel] = { reachable: answer.reachable, reason: answer.reason, checkedAt: answer.checkedAt };
    if (answer.ttlSeconds > 0) {
      const cached = {
        reachable: answer.reachable,
        reason: answer.reason,
        checkedAt: answer.checkedAt.toISOString(),
        expiresAt: new Date(answer.checkedAt.getTime() + answer.ttlSeconds * 1000).toISOString(),
      };
      return {
        sql: `UPDATE contacts SET capabilities = capabilities || jsonb_build_object($2::text, $3::jsonb), updated_at = now() WHERE id = $1`,
        params: [contact.id, channel, JSON.stringify(cached)],
      };
    }
    return null;
  }

  /** Falling back first withdraws the previous attempt: asks the provider, with no lock held. */
  private async withdraw(io: Extract<Io, { kind: 'withdraw' }>): Promise<Withdrawal> {
    const { attempt, message, contact, step } = io;
    const adapter = this.registry.get(attempt.channel);
    let result: Withdrawal['result'] = 'unsupported';
    if (adapter.traits.supportsCancel && attempt.status === 'sent') {
      try {
        result = await adapter.cancel(await this.views.outbound(attempt, message, contact));
      } catch {
        result = 'unsupported';
      }
    }
    return { attemptId: attempt.id, seenStatus: attempt.status, result, because: step.because };
  }

  /**
   * After a withdrawal, the decision under the lock records it and usually starts the next
   * channel, which may first need a capability answer. Asked there, that answer split the
   * fallback into two transactions: the withdrawal committed alone, then the new attempt. So the
   * questions are asked here, with no lock held, of the peeked rows as the withdrawal will leave
   * them; the locked decision then finds the answers in `overrides` and commits both at once.
   * Only answers are kept from this look: whatever it decides is decided again under the lock.
   */
  private async askAhead(peeked: MessageForDecision, w: Withdrawal, now: Date, overrides: Record<string, CapabilityFacts>, cacheWrites: CapabilityCacheWrite[]): Promise<void> {
    const attempts = peeked.attempts.map((a) =>
      a.id === w.attemptId && a.status === w.seenStatus ? Object.assign(Object.create(Object.getPrototypeOf(a) as object) as AttemptEntity, a, { status: statusAfterWithdrawal(w, a) }) : a,
    );
    const read = { ...peeked, attempts };
    for (let i = 0; i < MAX_STEPS; i++) {
      const io = await this.decide(this.locked.direct(), peeked.message.id, now, overrides, [], null, { read });
      if (!io || io === 'locked' || io.kind !== 'capability') return;
      const write = await this.checkCapability(io.contact, io.channel, overrides);
      if (write) cacheWrites.push(write);
    }
  }

  /** `too_late` means it was delivered: no fallback. */
  private async recordWithdrawal(tx: Tx, message: MessageEntity, attempt: AttemptEntity, w: Withdrawal): Promise<void> {
    const status = statusAfterWithdrawal(w, attempt);
    if (status === 'delivered') {
      await this.recorder.attempt(tx, message, attempt, 'delivered', { source: 'engine', reason: 'cancel_too_late' });
      return;
    }
    await this.recorder.attempt(tx, message, attempt, status, { source: 'engine', reason: w.because, detail: { cancel: w.result } });
  }
}

/**
 * What a withdrawal leaves the attempt as. `too_late`: it was delivered. Not revocable (LINE, or
 * still pending/submitting): stop waiting for it; if it arrives after all, the late report is
 * recorded and the message marked possible_duplicate.
 */
function statusAfterWithdrawal(w: Withdrawal, attempt: AttemptEntity): 'delivered' | 'revoked' | 'expired' | 'unknown' {
  if (w.result === 'too_late') return 'delivered';
  if (w.result === 'revoked' || attempt.status === 'pending') return 'revoked';
  // Sent, but the provider gave no id a receipt could match (SMS `smsc_id_missing`): nobody can say
  // whether it arrived, so it ends unknown (BAD-INPUTS 44), never resent.
  return attempt.status === 'sent' && !attempt.providerMessageId ? 'unknown' : 'expired';
}

/** The row `start` inserts, as the entity the adapters' view and the recorder read. */
function newAttempt(
  fields: Pick<AttemptEntity, 'id' | 'tenantId' | 'messageId' | 'seq' | 'channel' | 'sender' | 'route' | 'timeoutSeconds' | 'deadlineAt'>,
): AttemptEntity {
  const now = new Date();
  return Object.assign(new AttemptEntity(), {
    ...fields,
    status: 'pending',
    bind: null,
    providerMessageId: null,
    reason: null,
    permanent: null,
    retries: 0,
    awaitsDelivery: true,
    createdAt: now,
    submittingAt: null,
    sentAt: null,
    deliveredAt: null,
    readAt: null,
    finishedAt: null,
    updatedAt: now,
  });
}
