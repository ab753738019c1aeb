/** Facts and times shared by the next-step specs. */
import { AttemptStatus, ChannelName } from '@tsunagu/core';
import { AttemptFacts, CapabilityFacts, MessageFacts } from './next-step';
import { PolicyTraits } from './plan';

export const TRAITS: Record<string, PolicyTraits> = {
  rcs: { simBound: false, supportsCancel: true, supportsReadReceipts: true },
  sms: { simBound: true, supportsCancel: true, supportsReadReceipts: false },
  line: { simBound: false, supportsCancel: false, supportsReadReceipts: false },
};

/** Noon in Tokyo: outside the default quiet hours. */
export const NOW = new Date('2025-01-15T12:00:00+09:00');
/** 22:00 in Tokyo: inside the default quiet hours, which end at 08:00 on the 16th. */
export const NIGHT = new Date('2025-01-15T22:00:00+09:00');
export const MORNING = new Date('2025-01-16T08:00:00+09:00');

export function at(base: Date, seconds: number): Date {
  return new Date(base.getTime() + seconds * 1000);
}

export function reachable(): CapabilityFacts {
  return { reachable: true, reason: 'capable', checkedAt: at(NOW, -10) };
}

export function unreachable(reason: string): CapabilityFacts {
  return { reachable: false, reason, checkedAt: at(NOW, -10) };
}

export function facts(overrides: Partial<MessageFacts> = {}): MessageFacts {
  return {
    status: 'accepted',
    category: 'transactional',
    plan: { channels: ['rcs', 'sms', 'line'], timeouts: { rcs: 60, sms: 600, line: 86400 }, successOn: 'delivered' },
    sendAt: null,
    expiresAt: null,
    cancelRequested: false,
    attempts: [],
    capabilities: { rcs: reachable(), sms: reachable(), line: reachable() },
    optOuts: [],
    traits: TRAITS,
    quietHours: { start: '21:00', end: '08:00', timezone: 'Asia/Tokyo' },
    ...overrides,
  };
}

/** An attempt whose fallback deadline is a minute after NOW unless told otherwise. */
export function attempt(seq: number, channel: ChannelName, status: AttemptStatus, extra: Partial<AttemptFacts> = {}): AttemptFacts {
  return { seq, channel, status, deadlineAt: at(NOW, 60), awaitsDelivery: channel !== 'line', ...extra };
}

export function dispatching(attempts: AttemptFacts[], overrides: Partial<MessageFacts> = {}): MessageFacts {
  return facts({ status: 'dispatching', attempts, ...overrides });
}

