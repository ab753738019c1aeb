import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ChannelRegistry } from '@tsunagu/channels';
import { isTerminalMessage, newId } from '@tsunagu/core';
import { ContactEntity, MessageEntity } from '@tsunagu/database';
import { QUEUES, jobIds } from '@tsunagu/jobs';
import { CapabilityFacts, MessageFacts, Step, nextStep } from '@tsunagu/policy';
import { ContactService } from '../contacts/contact.service';
import { StateRecorder } from '../events/state-recorder';
import { writeOutbox } from '../infra/outbox';
import { Tx, inTx } from '../infra/tx';
import { TenantSettingsService } from '../tenants/tenant-settings.service';
import { AttemptViews } from './attempt-views';
import { LockedRows } from './locked-rows';
import { buildFacts } from './message-facts';

/** The contact's cached capability answer, written with the next locked decision. */
interface CapabilityCacheWrite {
  sql: string;
  params: unknown[];
}

type Io = { kind: 'capability'; channel: string; contact: ContactEntity } | { kind: 'withdraw'; step: Extract<Step, { kind: 'withdraw' }> } | null;

/** How many policy steps one job may take (capability checks and withdrawals loop back). */
const MAX_STEPS = 8;

/**
 * Runs the fallback policy for one message. Called by a job whenever anything happened to the
 * message; holds the message row lock while deciding so concurrent reports and timers take turns.
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
  ) {}

  /**
   * `peekFirst`: decide once from an unlocked read; when that asks for provider I/O, do it with no
   * transaction opened at all. Anything the peek would write is decided again under the lock.
   */
  async advance(messageId: string, { now = () => new Date(), peekFirst = false }: { now?: () => Date; peekFirst?: boolean } = {}): Promise<void> {
    const overrides: Record<string, CapabilityFacts> = {};
    const cacheWrites: CapabilityCacheWrite[] = [];
    for (let i = 0; i < MAX_STEPS; i++) {
      const peek = peekFirst && i === 0;
      const io = peek
        ? await this.decide(this.locked.direct(), messageId, now(), overrides, [], { peek })
        : await inTx(this.db, (tx) => this.decide(tx, messageId, now(), overrides, cacheWrites.splice(0)));
      if (io === 'locked') continue;
      if (!io) return;
      if (io.kind === 'capability') {
        const write = await this.checkCapability(io.contact, io.channel, overrides);
        if (write) cacheWrites.push(write);
      } else await this.withdraw(messageId, io.step);
    }
    for (const w of cacheWrites) await this.db.query(w.sql, [...w.params]);
    this.log.warn({ messageId }, 'advance took too many steps; it will run again on its next timer');
  }

  private async decide(
    tx: Tx | Pick<Tx, 'query'>,
    messageId: string,
    now: Date,
    overrides: Record<string, CapabilityFacts>,
    cacheWrites: CapabilityCacheWrite[],
    { peek = false } = {},
  ): Promise<Io | 'locked'> {
    // The capability answers just fetched are cached on the contact in this same transaction.
    if ('write' in tx) for (const w of cacheWrites) tx.write(w.sql, w.params);
    const rows = await this.locked.forDecision(tx, messageId, { lock: !peek });
    if (!rows) return null;
    const { message, attempts, contact } = rows;
    if (message.direction !== 'outbound' || isTerminalMessage(message.status as never)) return null;
    const tenant = await this.tenants.get(message.tenantId, 'write' in tx ? tx : undefined);
    const facts = buildFacts(message, attempts, contact, this.registry.traits(), tenant.policy.quietHours, now, overrides);
    const step = nextStep(facts, now);

    switch (step.kind) {
      case 'check_capability':
        return { kind: 'capability', channel: step.channel, contact };
      case 'withdraw':
        return { kind: 'withdraw', step };
    }
    if (peek || !('write' in tx)) return 'locked'; // every other step writes: decide it under the lock
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
        await this.start(tx, message, step, facts, now);
        return null;
    }
  }

  private async start(
    tx: Tx,
    message: MessageEntity,
    step: Extract<Step, { kind: 'start_attempt' }>,
    facts: MessageFacts,
    now: Date,
  ): Promise<void> {
    const attemptId = newId();
    const deadline = new Date(now.getTime() + step.timeoutSeconds * 1000);
    const route = step.channel === 'sms' ? (message.plan?.smsRoute ?? null) : null;
    tx.write(
      `INSERT INTO attempts (id, tenant_id, message_id, seq, channel, status, sender, route, timeout_seconds, deadline_at)
       VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $8, $9)`,
      [attemptId, message.tenantId, message.id, step.seq, step.channel, message.sender, route, step.timeoutSeconds, deadline],
    );
    this.decision(tx, message, 'channel', facts, { channel: step.channel, seq: step.seq, timeoutSeconds: step.timeoutSeconds, skipped: step.skipped });
    this.recorder.event(tx, {
      tenantId: message.tenantId,
      messageId: message.id,
      attemptId,
      source: 'engine',
      type: 'attempt.status',
      status: 'pending',
      detail: { channel: step.channel, skipped: step.skipped },
    });
    // No fallback timer yet: the clock starts when the provider accepts (the send sets it). Until
    // then nothing is due; a lost send job is re-created by the reconciler from the pending attempt.
    if (message.status !== 'dispatching') {
      await this.recorder.message(tx, message, 'dispatching', { source: 'engine', channel: null, dueAt: null });
    } else {
      tx.write(`UPDATE messages SET due_at = NULL WHERE id = $1`, [message.id], { rowKey: `messages:${message.id}` });
    }
    writeOutbox(tx, [{ queue: QUEUES.send(step.channel), name: 'send', jobId: jobIds.send(attemptId), payload: { attemptId } }]);
  }

  private schedule(tx: Tx, message: MessageEntity, until: Date | null): void {
    if (until === null || message.dueAt?.getTime() === until.getTime()) return;
    tx.write(`UPDATE messages SET due_at = $2 WHERE id = $1`, [message.id, until], { rowKey: `messages:${message.id}` });
    writeOutbox(tx, [
      { queue: QUEUES.advance, name: 'advance', jobId: jobIds.advance(message.id, until), payload: { messageId: message.id }, availableAt: until },
    ]);
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
      JSON.stringify({ category: f.category, capabilities, optOuts: f.optOuts, plan: f.plan, quietHours: f.quietHours }),
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

  /** Falling back first withdraws the previous attempt; `too_late` means it was delivered: no fallback. */
  private async withdraw(messageId: string, step: Extract<Step, { kind: 'withdraw' }>): Promise<void> {
    const before = await this.locked.pairAt(this.locked.direct(), messageId, step.seq, { lock: false });
    if (!before) return;
    const { attempt } = before;
    const adapter = this.registry.get(attempt.channel);
    let result: 'revoked' | 'too_late' | 'unsupported' = 'unsupported';
    if (adapter.traits.supportsCancel && attempt.status === 'sent') {
      try {
        result = await adapter.cancel(await this.views.outbound(attempt, before.message, before.contact));
      } catch {
        result = 'unsupported';
      }
    }
    await inTx(this.db, async (tx) => {
      const pair = await this.locked.pair(tx, attempt.id);
      if (!pair || pair.attempt.status !== attempt.status) return; // a report moved it meanwhile: decide again
      const { message, attempt: fresh } = pair;
      if (result === 'too_late') {
        await this.recorder.attempt(tx, message, fresh, 'delivered', { source: 'engine', reason: 'cancel_too_late' });
        return;
      }
      // Not revocable (LINE, or still pending/submitting): stop waiting for it. If it arrives
      // after all, the late report is recorded and the message marked possible_duplicate.
      const status = result === 'revoked' ? 'revoked' : fresh.status === 'pending' ? 'revoked' : 'expired';
      await this.recorder.attempt(tx, message, fresh, status, { source: 'engine', reason: step.because, detail: { cancel: result } });
    });
  }
}
