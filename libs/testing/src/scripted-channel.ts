import { DynamicModule, Injectable, Module } from '@nestjs/common';
import {
  CapabilityResult,
  CancelResult,
  ChannelAdapter,
  ChannelAdapterInstance,
  ChannelError,
  ChannelHealth,
  ChannelTraits,
  InvalidInboundError,
  SendResult,
} from '@tsunagu/channels';
import { ChannelEvent, newId } from '@tsunagu/core';

export type ScriptedOutcome =
  /** `holdMs`: the send call itself takes this long (a slow provider); `afterMs`: the report's delay after it. */
  | { send: 'accept'; then?: 'deliver' | 'read' | 'fail' | 'none'; afterMs?: number; holdMs?: number }
  | { send: 'retryable' | 'permanent' | 'unknown_outcome'; times?: number };

/**
 * An in-memory provider for engine tests, until (and beside) the real channels: it keeps what it
 * "sent", answers per phone number as scripted, and pushes delivery events into the engine's
 * sink through `deliver()`, the way a provider's webhook would.
 */
export class ScriptedProvider {
  readonly sent: { attemptId: string; phone: string; text: string }[] = [];
  readonly cancelled = new Set<string>();
  readonly delivered = new Set<string>();
  reachable = new Map<string, boolean>();
  /** Per phone: the cancel call takes this long (a slow withdrawal), and is counted when it starts. */
  cancelHolds = new Map<string, number>();
  readonly cancelsStarted: string[] = [];
  outcomes = new Map<string, ScriptedOutcome>();
  failures = new Map<string, number>();
  sink: ((events: ChannelEvent[]) => Promise<void>) | null = null;

  constructor(readonly channel: string) {}

  script(phone: string, outcome: ScriptedOutcome): void {
    this.outcomes.set(phone, outcome);
    this.failures.delete(phone);
  }

  async event(type: ChannelEvent['type'], attemptId: string, extra: Partial<ChannelEvent> = {}): Promise<void> {
    if (type === 'delivered' || type === 'read') this.delivered.add(attemptId);
    await this.sink?.([{ channel: this.channel, type, attemptId, providerEventId: `${attemptId}-${type}`, occurredAt: new Date(), ...extra }]);
  }
}

export function scriptedChannelModule(channel: string, traits: ChannelTraits, provider: ScriptedProvider): DynamicModule {
  @ChannelAdapter(channel)
  @Injectable()
  class ScriptedAdapter implements ChannelAdapterInstance {
    readonly channel = channel;
    readonly traits = traits;

    async capability(contact: { phoneE164: string }): Promise<CapabilityResult> {
      const reachable = provider.reachable.get(contact.phoneE164) ?? true;
      return { reachable, reason: reachable ? 'reachable' : `not_${channel}_capable`, checkedAt: new Date(), ttlSeconds: 0 };
    }

    async send(attempt: { attemptId: string; to: { phoneE164: string }; text: string }): Promise<SendResult> {
      const phone = attempt.to.phoneE164;
      const outcome = provider.outcomes.get(phone) ?? { send: 'accept', then: 'deliver' };
      if (outcome.send !== 'accept') {
        const done = provider.failures.get(phone) ?? 0;
        if (outcome.times === undefined || done < outcome.times) {
          provider.failures.set(phone, done + 1);
          throw new ChannelError(outcome.send, `scripted_${outcome.send}`);
        }
      }
      if (outcome.send === 'accept' && outcome.holdMs) await new Promise((r) => setTimeout(r, outcome.holdMs));
      provider.sent.push({ attemptId: attempt.attemptId, phone, text: attempt.text });
      const then = outcome.send === 'accept' ? (outcome.then ?? 'deliver') : 'deliver';
      const afterMs = outcome.send === 'accept' ? (outcome.afterMs ?? 20) : 20;
      if (then !== 'none') {
        setTimeout(() => {
          if (provider.cancelled.has(attempt.attemptId)) return;
          const type = then === 'fail' ? 'failed' : 'delivered';
          void provider.event(type, attempt.attemptId, then === 'fail' ? { reason: 'undeliverable', permanent: true } : {}).then(async () => {
            if (then === 'read') await provider.event('read', attempt.attemptId);
          });
        }, afterMs).unref();
      }
      return { providerMessageId: `p-${newId()}`, submittedAt: new Date() };
    }

    async cancel(attempt: { attemptId: string; to: { phoneE164: string } }): Promise<CancelResult> {
      if (!traits.supportsCancel) return 'unsupported';
      provider.cancelsStarted.push(attempt.attemptId);
      const hold = provider.cancelHolds.get(attempt.to.phoneE164);
      if (hold) await new Promise((r) => setTimeout(r, hold));
      if (provider.delivered.has(attempt.attemptId)) return 'too_late';
      provider.cancelled.add(attempt.attemptId);
      return 'revoked';
    }

    async parseInbound(): Promise<ChannelEvent[]> {
      throw new InvalidInboundError('INVALID_PAYLOAD', 'the scripted channel has no webhook');
    }

    async health(): Promise<ChannelHealth> {
      return { up: true, detail: { scripted: true } };
    }
  }

  @Module({ providers: [ScriptedAdapter], exports: [ScriptedAdapter] })
  class ScriptedChannelModule {}

  return { module: ScriptedChannelModule, providers: [ScriptedAdapter] };
}
