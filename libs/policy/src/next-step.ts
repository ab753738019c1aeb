import { AttemptStatus, Category, ChannelName, MessageStatus } from '@tsunagu/core';
import { PolicyTraits } from './plan';
import { quietHoursEnd } from './quiet-hours';

export interface AttemptFacts {
  seq: number;
  channel: ChannelName;
  status: AttemptStatus;
  /** When the policy stops waiting for this attempt. */
  deadlineAt: Date | null;
  /** False when `sent` is as far as the channel reports (LINE push). */
  awaitsDelivery: boolean;
}

export interface CapabilityFacts {
  reachable: boolean;
  reason: string;
  checkedAt: Date;
}

export interface MessageFacts {
  status: MessageStatus;
  category: Category;
  plan: { channels: ChannelName[]; timeouts: Record<string, number>; successOn: 'delivered' | 'read' };
  sendAt: Date | null;
  expiresAt: Date | null;
  cancelRequested: boolean;
  attempts: readonly AttemptFacts[];
  /** Fresh cached capability answers; a channel missing here must be asked first. */
  capabilities: Record<ChannelName, CapabilityFacts | undefined>;
  optOuts: readonly ChannelName[];
  /**
   * Channels this message may not use now, with the reason: SMS once the message's sender is no
   * longer approved for its route (suspended or handed over since the accept). Skipped like an
   * opt-out, so the next channel is tried, or the message fails saying why.
   */
  barred?: Partial<Record<ChannelName, string>>;
  traits: Record<ChannelName, PolicyTraits>;
  quietHours: { start: string; end: string; timezone: string };
}

export interface SkippedChannel {
  channel: ChannelName;
  reason: string;
}

export type Step =
  | { kind: 'complete'; status: 'delivered' | 'read'; channel: ChannelName; seq: number }
  | { kind: 'finish'; status: 'failed' | 'expired' | 'cancelled'; reason: string; skipped: SkippedChannel[] }
  | { kind: 'withdraw'; seq: number; channel: ChannelName; because: 'fallback_timeout' | 'expired' | 'cancelled' }
  | { kind: 'check_capability'; channel: ChannelName }
  | { kind: 'start_attempt'; channel: ChannelName; seq: number; timeoutSeconds: number; skipped: SkippedChannel[] }
  | { kind: 'wait'; until: Date | null; because: string };

const IN_FLIGHT: ReadonlySet<AttemptStatus> = new Set(['pending', 'submitting', 'sent']);

function succeeded(a: AttemptFacts, facts: MessageFacts): 'delivered' | 'read' | null {
  if (a.status === 'read') return 'read';
  if (a.status === 'delivered') {
    const wantsRead = facts.plan.successOn === 'read' && facts.traits[a.channel]?.supportsReadReceipts;
    return wantsRead ? null : 'delivered';
  }
  if (a.status === 'sent' && !a.awaitsDelivery) return 'delivered';
  return null;
}

/** Still waiting on this attempt: in flight, or delivered while the policy wants a read receipt. */
function waitingOn(a: AttemptFacts, facts: MessageFacts): boolean {
  if (IN_FLIGHT.has(a.status)) return !(a.status === 'sent' && !a.awaitsDelivery);
  if (a.status === 'delivered') return succeeded(a, facts) === null;
  // An SMS whose submit outcome is unknown is never resent; the policy waits out its timeout.
  return a.status === 'unknown';
}

function earliest(...dates: (Date | null)[]): Date | null {
  const valid = dates.filter((d): d is Date => d !== null);
  return valid.length ? new Date(Math.min(...valid.map((d) => d.getTime()))) : null;
}

/**
 * The fallback policy, one step at a time. The engine runs it whenever anything happens to the
 * message (a timer, a report, a cancel request) and does what it says; running it again with the
 * same facts gives the same step, so a replayed job changes nothing.
 */
export function nextStep(facts: MessageFacts, now: Date): Step {
  const attempts = [...facts.attempts].sort((a, b) => a.seq - b.seq);

  // The first delivery wins, on any channel; a later report on another one is only recorded.
  for (const a of attempts) {
    const result = succeeded(a, facts);
    if (result) return { kind: 'complete', status: result, channel: a.channel, seq: a.seq };
  }

  const current = attempts.at(-1);
  // Only an attempt still in flight can be withdrawn: one delivered (but awaiting a read receipt)
  // or of unknown outcome has nothing left to cancel.
  const live = current && waitingOn(current, facts) && IN_FLIGHT.has(current.status) ? current : undefined;

  if (facts.cancelRequested) {
    if (live) return { kind: 'withdraw', seq: live.seq, channel: live.channel, because: 'cancelled' };
    return { kind: 'finish', status: 'cancelled', reason: 'cancelled_by_client', skipped: [] };
  }
  if (facts.expiresAt && now >= facts.expiresAt) {
    if (live) return { kind: 'withdraw', seq: live.seq, channel: live.channel, because: 'expired' };
    return { kind: 'finish', status: 'expired', reason: 'expired_before_delivery', skipped: [] };
  }

  if (current && waitingOn(current, facts)) {
    // The fallback clock runs from acceptance by the provider: a send still being retried (a
    // throttled SMSC, a 429) is not withdrawn mid-flight; it ends sent or failed first.
    if (current.status === 'pending' || current.status === 'submitting') {
      return { kind: 'wait', until: facts.expiresAt, because: `sending_on_${current.channel}` };
    }
    if (!current.deadlineAt || now < current.deadlineAt) {
      return { kind: 'wait', until: earliest(current.deadlineAt, facts.expiresAt), because: `waiting_for_${current.channel}` };
    }
    // An unknown outcome is never withdrawn nor resent, and a delivered-but-unread one has nothing
    // to withdraw: past the deadline, either moves straight on to the next channel.
    if (live) {
      return { kind: 'withdraw', seq: current.seq, channel: current.channel, because: 'fallback_timeout' };
    }
  }

  if (!current && facts.sendAt && now < facts.sendAt) return { kind: 'wait', until: earliest(facts.sendAt, facts.expiresAt), because: 'scheduled' };
  const step = nextChannel(facts, attempts, current, now);
  // Quiet hours hold every marketing send, a fallback as much as the first attempt; a failure with
  // nothing left to send is not held.
  if (facts.category === 'marketing' && step.kind !== 'finish') {
    const holdUntil = quietHoursEnd(now, facts.quietHours);
    if (holdUntil) return { kind: 'wait', until: earliest(holdUntil, facts.expiresAt), because: 'quiet_hours' };
  }
  return step;
}

function nextChannel(facts: MessageFacts, attempts: AttemptFacts[], current: AttemptFacts | undefined, _now: Date): Step {
  const tried = new Set(attempts.map((a) => a.channel));
  const startAt = current ? facts.plan.channels.indexOf(current.channel) + 1 : 0;
  const skipped: SkippedChannel[] = [];
  for (const channel of facts.plan.channels.slice(startAt)) {
    if (tried.has(channel)) continue;
    if (facts.optOuts.includes(channel)) {
      skipped.push({ channel, reason: 'opted_out' });
      continue;
    }
    const barred = facts.barred?.[channel];
    if (barred) {
      skipped.push({ channel, reason: barred });
      continue;
    }
    const capability = facts.capabilities[channel];
    if (!capability) return { kind: 'check_capability', channel };
    if (!capability.reachable) {
      skipped.push({ channel, reason: capability.reason });
      continue;
    }
    return {
      kind: 'start_attempt',
      channel,
      seq: (current?.seq ?? 0) + 1,
      timeoutSeconds: facts.plan.timeouts[channel],
      skipped,
    };
  }
  return { kind: 'finish', status: 'failed', reason: 'all_channels_failed', skipped };
}
