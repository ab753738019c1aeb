import { AttemptStatus, ChannelName } from '@tsunagu/core';
import { AttemptFacts, CapabilityFacts, MessageFacts, Step, nextStep } from './next-step';
import { PolicyTraits } from './plan';

const TRAITS: Record<string, PolicyTraits> = {
  rcs: { simBound: false, supportsCancel: true, supportsReadReceipts: true },
  sms: { simBound: true, supportsCancel: true, supportsReadReceipts: false },
  line: { simBound: false, supportsCancel: false, supportsReadReceipts: false },
};

/** Noon in Tokyo: outside the default quiet hours. */
const NOW = new Date('2025-01-15T12:00:00+09:00');
/** 22:00 in Tokyo: inside the default quiet hours, which end at 08:00 on the 16th. */
const NIGHT = new Date('2025-01-15T22:00:00+09:00');
const MORNING = new Date('2025-01-16T08:00:00+09:00');

function at(base: Date, seconds: number): Date {
  return new Date(base.getTime() + seconds * 1000);
}

function reachable(): CapabilityFacts {
  return { reachable: true, reason: 'capable', checkedAt: at(NOW, -10) };
}

function unreachable(reason: string): CapabilityFacts {
  return { reachable: false, reason, checkedAt: at(NOW, -10) };
}

function facts(overrides: Partial<MessageFacts> = {}): MessageFacts {
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
function attempt(seq: number, channel: ChannelName, status: AttemptStatus, extra: Partial<AttemptFacts> = {}): AttemptFacts {
  return { seq, channel, status, deadlineAt: at(NOW, 60), awaitsDelivery: channel !== 'line', ...extra };
}

function dispatching(attempts: AttemptFacts[], overrides: Partial<MessageFacts> = {}): MessageFacts {
  return facts({ status: 'dispatching', attempts, ...overrides });
}

describe('nextStep', () => {
  describe('success', () => {
    it('completes on a delivered attempt', () => {
      expect(nextStep(dispatching([attempt(1, 'rcs', 'delivered')]), NOW)).toEqual<Step>({
        kind: 'complete',
        status: 'delivered',
        channel: 'rcs',
        seq: 1,
      });
    });

    it('completes as read on a read attempt', () => {
      expect(nextStep(dispatching([attempt(1, 'rcs', 'read')]), NOW)).toEqual<Step>({
        kind: 'complete',
        status: 'read',
        channel: 'rcs',
        seq: 1,
      });
    });

    it('counts `sent` as delivered when the channel reports no further (LINE push)', () => {
      const f = dispatching([attempt(1, 'rcs', 'revoked'), attempt(2, 'line', 'sent', { awaitsDelivery: false })]);
      expect(nextStep(f, NOW)).toEqual<Step>({ kind: 'complete', status: 'delivered', channel: 'line', seq: 2 });
    });

    it('does not count `sent` as delivered when the channel reports deliveries', () => {
      const f = dispatching([attempt(1, 'sms', 'sent', { awaitsDelivery: true })]);
      expect(nextStep(f, NOW)).toEqual<Step>({ kind: 'wait', until: at(NOW, 60), because: 'waiting_for_sms' });
    });

    describe('with successOn "read"', () => {
      const wantsRead = { channels: ['rcs', 'sms', 'line'], timeouts: { rcs: 60, sms: 600, line: 86400 }, successOn: 'read' as const };

      it('keeps waiting on a delivered attempt of a channel with read receipts', () => {
        const f = dispatching([attempt(1, 'rcs', 'delivered')], { plan: wantsRead });
        expect(nextStep(f, NOW)).toEqual<Step>({ kind: 'wait', until: at(NOW, 60), because: 'waiting_for_rcs' });
      });

      it('completes as read once the read receipt comes', () => {
        const f = dispatching([attempt(1, 'rcs', 'read')], { plan: wantsRead });
        expect(nextStep(f, NOW)).toEqual<Step>({ kind: 'complete', status: 'read', channel: 'rcs', seq: 1 });
      });

      it('falls back without a withdrawal when a delivered attempt is still unread at its deadline', () => {
        // Nothing is left to cancel on a delivered message; asking would loop on `too_late`.
        const f = dispatching([attempt(1, 'rcs', 'delivered')], { plan: wantsRead });
        expect(nextStep(f, at(NOW, 60))).toEqual<Step>({ kind: 'start_attempt', channel: 'sms', seq: 2, timeoutSeconds: 600, skipped: [] });
      });

      it('completes on delivery on a channel without read receipts', () => {
        const f = dispatching([attempt(1, 'rcs', 'revoked'), attempt(2, 'sms', 'delivered')], { plan: wantsRead });
        expect(nextStep(f, NOW)).toEqual<Step>({ kind: 'complete', status: 'delivered', channel: 'sms', seq: 2 });
      });

      it('completes on delivery on a channel whose traits are not known', () => {
        const f = dispatching([attempt(1, 'viber', 'delivered')], { plan: wantsRead });
        expect(nextStep(f, NOW)).toEqual<Step>({ kind: 'complete', status: 'delivered', channel: 'viber', seq: 1 });
      });
    });

    it('lets the first delivery win: one complete step, for the earliest attempt delivered', () => {
      // The RCS attempt was withdrawn too late and delivered after SMS started; the attempts arrive unsorted.
      const f = dispatching([attempt(2, 'sms', 'delivered'), attempt(1, 'rcs', 'delivered')]);
      expect(nextStep(f, NOW)).toEqual<Step>({ kind: 'complete', status: 'delivered', channel: 'rcs', seq: 1 });
    });

    it('completes on a late delivery of an earlier attempt while a later one is in flight', () => {
      const f = dispatching([attempt(1, 'rcs', 'delivered'), attempt(2, 'sms', 'sent')]);
      expect(nextStep(f, NOW)).toEqual<Step>({ kind: 'complete', status: 'delivered', channel: 'rcs', seq: 1 });
    });

    it('completes even after expiry or a cancel request: the person got it', () => {
      const f = dispatching([attempt(1, 'sms', 'delivered')], { cancelRequested: true, expiresAt: at(NOW, -1) });
      expect(nextStep(f, NOW)).toEqual<Step>({ kind: 'complete', status: 'delivered', channel: 'sms', seq: 1 });
    });
  });

  describe('cancel', () => {
    it('finishes as cancelled before any attempt', () => {
      expect(nextStep(facts({ cancelRequested: true }), NOW)).toEqual<Step>({
        kind: 'finish',
        status: 'cancelled',
        reason: 'cancelled_by_client',
        skipped: [],
      });
    });

    it.each<AttemptStatus>(['pending', 'submitting', 'sent'])('withdraws a live %s attempt first', (status) => {
      const f = dispatching([attempt(1, 'rcs', 'failed'), attempt(2, 'sms', status)], { cancelRequested: true });
      expect(nextStep(f, NOW)).toEqual<Step>({ kind: 'withdraw', seq: 2, channel: 'sms', because: 'cancelled' });
    });

    it('cancels without a withdrawal when the attempt was delivered and only the read receipt is awaited', () => {
      const f = dispatching([attempt(1, 'rcs', 'delivered')], {
        cancelRequested: true,
        plan: { channels: ['rcs'], timeouts: { rcs: 60 }, successOn: 'read' },
      });
      expect(nextStep(f, NOW)).toEqual<Step>({ kind: 'finish', status: 'cancelled', reason: 'cancelled_by_client', skipped: [] });
    });

    it.each<AttemptStatus>(['failed', 'revoked', 'expired'])('finishes as cancelled when the last attempt is %s', (status) => {
      const f = dispatching([attempt(1, 'rcs', status)], { cancelRequested: true });
      expect(nextStep(f, NOW)).toEqual<Step>({ kind: 'finish', status: 'cancelled', reason: 'cancelled_by_client', skipped: [] });
    });

    it('does not withdraw an attempt whose outcome is unknown: there is nothing to cancel', () => {
      const f = dispatching([attempt(1, 'sms', 'unknown')], { cancelRequested: true });
      expect(nextStep(f, NOW)).toEqual<Step>({ kind: 'finish', status: 'cancelled', reason: 'cancelled_by_client', skipped: [] });
    });

    it('takes precedence over expiry', () => {
      const f = dispatching([attempt(1, 'sms', 'sent')], { cancelRequested: true, expiresAt: at(NOW, -1) });
      expect(nextStep(f, NOW)).toEqual<Step>({ kind: 'withdraw', seq: 1, channel: 'sms', because: 'cancelled' });
    });
  });

  describe('expiry', () => {
    it('finishes as expired before any attempt, from exactly expiresAt', () => {
      expect(nextStep(facts({ expiresAt: NOW }), NOW)).toEqual<Step>({
        kind: 'finish',
        status: 'expired',
        reason: 'expired_before_delivery',
        skipped: [],
      });
    });

    it('withdraws a live attempt first', () => {
      const f = dispatching([attempt(1, 'rcs', 'sent')], { expiresAt: at(NOW, -1) });
      expect(nextStep(f, NOW)).toEqual<Step>({ kind: 'withdraw', seq: 1, channel: 'rcs', because: 'expired' });
    });

    it('finishes as expired when the last attempt is over', () => {
      const f = dispatching([attempt(1, 'rcs', 'revoked')], { expiresAt: at(NOW, -1) });
      expect(nextStep(f, NOW)).toEqual<Step>({ kind: 'finish', status: 'expired', reason: 'expired_before_delivery', skipped: [] });
    });

    it('does not withdraw an attempt whose outcome is unknown', () => {
      const f = dispatching([attempt(1, 'sms', 'unknown')], { expiresAt: at(NOW, -1) });
      expect(nextStep(f, NOW)).toEqual<Step>({ kind: 'finish', status: 'expired', reason: 'expired_before_delivery', skipped: [] });
    });

    it('waits only until expiresAt when it comes before the fallback deadline', () => {
      const f = dispatching([attempt(1, 'rcs', 'sent')], { expiresAt: at(NOW, 30) });
      expect(nextStep(f, NOW)).toEqual<Step>({ kind: 'wait', until: at(NOW, 30), because: 'waiting_for_rcs' });
    });

    it('starts an attempt one millisecond before expiresAt', () => {
      const f = facts({ expiresAt: at(NOW, 0.001) });
      expect(nextStep(f, NOW)).toEqual<Step>({ kind: 'start_attempt', channel: 'rcs', seq: 1, timeoutSeconds: 60, skipped: [] });
    });
  });

  describe('waiting on the current attempt', () => {
    it('waits until its deadline once the provider accepted it', () => {
      const f = dispatching([attempt(1, 'rcs', 'sent')]);
      expect(nextStep(f, NOW)).toEqual<Step>({ kind: 'wait', until: at(NOW, 60), because: 'waiting_for_rcs' });
    });

    it.each<AttemptStatus>(['pending', 'submitting'])('lets a %s attempt finish its send, even past its deadline (no withdraw mid-flight)', (status) => {
      const f = dispatching([attempt(1, 'rcs', status)]);
      expect(nextStep(f, at(NOW, 600))).toEqual<Step>({ kind: 'wait', until: null, because: 'sending_on_rcs' });
    });

    it('waits with no end when a sent attempt has neither deadline nor expiry', () => {
      const f = dispatching([attempt(1, 'rcs', 'sent', { deadlineAt: null })]);
      expect(nextStep(f, NOW)).toEqual<Step>({ kind: 'wait', until: null, because: 'waiting_for_rcs' });
    });

    it('waits for a send in flight no longer than the expiry', () => {
      const f = dispatching([attempt(1, 'rcs', 'submitting', { deadlineAt: null })], { expiresAt: at(NOW, 3600) });
      expect(nextStep(f, NOW)).toEqual<Step>({ kind: 'wait', until: at(NOW, 3600), because: 'sending_on_rcs' });
    });

    it('waits until expiry when there is no deadline', () => {
      const f = dispatching([attempt(1, 'rcs', 'sent', { deadlineAt: null })], { expiresAt: at(NOW, 3600) });
      expect(nextStep(f, NOW)).toEqual<Step>({ kind: 'wait', until: at(NOW, 3600), because: 'waiting_for_rcs' });
    });

    it.each<AttemptStatus>(['sent'])('withdraws a %s attempt from exactly its deadline', (status) => {
      const f = dispatching([attempt(1, 'rcs', status)]);
      expect(nextStep(f, at(NOW, 60))).toEqual<Step>({ kind: 'withdraw', seq: 1, channel: 'rcs', because: 'fallback_timeout' });
    });

    it('waits out the deadline of an attempt whose outcome is unknown', () => {
      const f = dispatching([attempt(1, 'rcs', 'revoked'), attempt(2, 'sms', 'unknown', { deadlineAt: at(NOW, 600) })]);
      expect(nextStep(f, NOW)).toEqual<Step>({ kind: 'wait', until: at(NOW, 600), because: 'waiting_for_sms' });
    });

    it('moves on from an unknown outcome at its deadline without a withdraw, never resending', () => {
      const f = dispatching([attempt(1, 'rcs', 'revoked'), attempt(2, 'sms', 'unknown', { deadlineAt: at(NOW, 600) })]);
      expect(nextStep(f, at(NOW, 600))).toEqual<Step>({
        kind: 'start_attempt',
        channel: 'line',
        seq: 3,
        timeoutSeconds: 86400,
        skipped: [],
      });
    });

    it('fails when an unknown outcome times out with no channel left', () => {
      const f = dispatching([attempt(1, 'sms', 'unknown')], { plan: { channels: ['sms'], timeouts: { sms: 600 }, successOn: 'delivered' } });
      expect(nextStep(f, at(NOW, 60))).toEqual<Step>({ kind: 'finish', status: 'failed', reason: 'all_channels_failed', skipped: [] });
    });
  });

  describe('choosing the next channel', () => {
    it('starts the first channel with its timeout, seq 1', () => {
      expect(nextStep(facts(), NOW)).toEqual<Step>({ kind: 'start_attempt', channel: 'rcs', seq: 1, timeoutSeconds: 60, skipped: [] });
    });

    it('gives the same step when run again with the same facts', () => {
      const f = facts();
      expect(nextStep(f, NOW)).toEqual(nextStep(f, NOW));
    });

    it('asks for the capability of a channel not in the cache', () => {
      const f = facts({ capabilities: { rcs: undefined, sms: reachable(), line: reachable() } });
      expect(nextStep(f, NOW)).toEqual<Step>({ kind: 'check_capability', channel: 'rcs' });
    });

    it('skips an unreachable channel with its reason', () => {
      const f = facts({ capabilities: { rcs: unreachable('rcs_not_supported'), sms: reachable(), line: reachable() } });
      expect(nextStep(f, NOW)).toEqual<Step>({
        kind: 'start_attempt',
        channel: 'sms',
        seq: 1,
        timeoutSeconds: 600,
        skipped: [{ channel: 'rcs', reason: 'rcs_not_supported' }],
      });
    });

    it('skips an opted-out channel without asking its capability', () => {
      const f = facts({ optOuts: ['rcs'], capabilities: { rcs: undefined, sms: reachable(), line: reachable() } });
      expect(nextStep(f, NOW)).toEqual<Step>({
        kind: 'start_attempt',
        channel: 'sms',
        seq: 1,
        timeoutSeconds: 600,
        skipped: [{ channel: 'rcs', reason: 'opted_out' }],
      });
    });

    it('falls back after a withdrawn attempt to the next channel, numbering it seq + 1', () => {
      const f = dispatching([attempt(1, 'rcs', 'revoked')]);
      expect(nextStep(f, at(NOW, 61))).toEqual<Step>({ kind: 'start_attempt', channel: 'sms', seq: 2, timeoutSeconds: 600, skipped: [] });
    });

    it('falls back after a failed attempt, skipping an opted-out channel', () => {
      const f = dispatching([attempt(1, 'rcs', 'failed'), attempt(2, 'sms', 'expired')], { optOuts: ['sms'] });
      expect(nextStep(f, NOW)).toEqual<Step>({ kind: 'start_attempt', channel: 'line', seq: 3, timeoutSeconds: 86400, skipped: [] });
    });

    it('reports skipped channels, then all_channels_failed', () => {
      const f = facts({
        optOuts: ['sms'],
        capabilities: { rcs: unreachable('rcs_not_supported'), sms: reachable(), line: unreachable('not_a_friend') },
      });
      expect(nextStep(f, NOW)).toEqual<Step>({
        kind: 'finish',
        status: 'failed',
        reason: 'all_channels_failed',
        skipped: [
          { channel: 'rcs', reason: 'rcs_not_supported' },
          { channel: 'sms', reason: 'opted_out' },
          { channel: 'line', reason: 'not_a_friend' },
        ],
      });
    });

    it('fails when the last channel of the plan has failed', () => {
      const f = dispatching([attempt(1, 'rcs', 'revoked'), attempt(2, 'sms', 'revoked'), attempt(3, 'line', 'failed')]);
      expect(nextStep(f, NOW)).toEqual<Step>({ kind: 'finish', status: 'failed', reason: 'all_channels_failed', skipped: [] });
    });

    it('never starts a channel already tried, even when the last attempt is off the plan', () => {
      const f = dispatching([attempt(1, 'rcs', 'failed'), attempt(2, 'viber', 'failed')], {
        plan: { channels: ['rcs', 'sms'], timeouts: { rcs: 60, sms: 600 }, successOn: 'delivered' },
      });
      expect(nextStep(f, NOW)).toEqual<Step>({ kind: 'start_attempt', channel: 'sms', seq: 3, timeoutSeconds: 600, skipped: [] });
    });
  });

  describe('scheduled sending', () => {
    it('waits until sendAt', () => {
      expect(nextStep(facts({ sendAt: at(NOW, 3600) }), NOW)).toEqual<Step>({ kind: 'wait', until: at(NOW, 3600), because: 'scheduled' });
    });

    it('starts from exactly sendAt', () => {
      expect(nextStep(facts({ sendAt: NOW }), NOW)).toEqual<Step>({ kind: 'start_attempt', channel: 'rcs', seq: 1, timeoutSeconds: 60, skipped: [] });
    });

    it('is cancelled while still scheduled', () => {
      const f = facts({ sendAt: at(NOW, 3600), cancelRequested: true });
      expect(nextStep(f, NOW)).toEqual<Step>({ kind: 'finish', status: 'cancelled', reason: 'cancelled_by_client', skipped: [] });
    });

    it('holds scheduled marketing that comes due in quiet hours until the morning', () => {
      const f = facts({ category: 'marketing', sendAt: at(NIGHT, -60) });
      expect(nextStep(f, NIGHT)).toEqual<Step>({ kind: 'wait', until: MORNING, because: 'quiet_hours' });
    });
  });

  describe('quiet hours', () => {
    const marketing = (overrides: Partial<MessageFacts> = {}) => facts({ category: 'marketing', ...overrides });

    it('holds marketing until 08:00 Tokyo, not dropping it', () => {
      expect(nextStep(marketing(), NIGHT)).toEqual<Step>({ kind: 'wait', until: MORNING, because: 'quiet_hours' });
    });

    it('holds marketing from exactly 21:00', () => {
      expect(nextStep(marketing(), new Date('2025-01-15T21:00:00+09:00'))).toEqual<Step>({
        kind: 'wait',
        until: MORNING,
        because: 'quiet_hours',
      });
    });

    it('sends marketing from exactly 08:00', () => {
      expect(nextStep(marketing(), MORNING)).toEqual<Step>({ kind: 'start_attempt', channel: 'rcs', seq: 1, timeoutSeconds: 60, skipped: [] });
    });

    it('sends marketing in the day', () => {
      expect(nextStep(marketing(), NOW)).toEqual<Step>({ kind: 'start_attempt', channel: 'rcs', seq: 1, timeoutSeconds: 60, skipped: [] });
    });

    it('holds only until expiresAt when that comes first', () => {
      const expiresAt = at(NIGHT, 3600);
      expect(nextStep(marketing({ expiresAt }), NIGHT)).toEqual<Step>({ kind: 'wait', until: expiresAt, because: 'quiet_hours' });
    });

    it('does not hold transactional messages', () => {
      expect(nextStep(facts(), NIGHT)).toEqual<Step>({ kind: 'start_attempt', channel: 'rcs', seq: 1, timeoutSeconds: 60, skipped: [] });
    });

    it('does not hold OTP messages', () => {
      const f = facts({ category: 'otp', plan: { channels: ['sms'], timeouts: { sms: 600 }, successOn: 'delivered' } });
      expect(nextStep(f, NIGHT)).toEqual<Step>({ kind: 'start_attempt', channel: 'sms', seq: 1, timeoutSeconds: 600, skipped: [] });
    });

    it('uses the configured window and time zone', () => {
      const f = marketing({ quietHours: { start: '21:00', end: '08:00', timezone: 'UTC' } });
      // 22:00 in Tokyo is 13:00 UTC: daytime in UTC.
      expect(nextStep(f, NIGHT)).toEqual<Step>({ kind: 'start_attempt', channel: 'rcs', seq: 1, timeoutSeconds: 60, skipped: [] });
    });

    it('lets an attempt already in flight run on', () => {
      const f = dispatching([attempt(1, 'rcs', 'sent', { deadlineAt: at(NIGHT, 60) })], { category: 'marketing' });
      expect(nextStep(f, NIGHT)).toEqual<Step>({ kind: 'wait', until: at(NIGHT, 60), because: 'waiting_for_rcs' });
    });

    it('withdraws a timed-out attempt in quiet hours (the withdraw sends nothing)', () => {
      const f = dispatching([attempt(1, 'rcs', 'sent', { deadlineAt: NIGHT })], { category: 'marketing' });
      expect(nextStep(f, NIGHT)).toEqual<Step>({ kind: 'withdraw', seq: 1, channel: 'rcs', because: 'fallback_timeout' });
    });

    it('holds a marketing fallback until the morning too', () => {
      const f = dispatching([attempt(1, 'rcs', 'revoked')], { category: 'marketing' });
      expect(nextStep(f, NIGHT)).toEqual<Step>({ kind: 'wait', until: MORNING, because: 'quiet_hours' });
    });

    it('holds the fallback after an unknown outcome times out in quiet hours', () => {
      const f = dispatching([attempt(1, 'rcs', 'revoked'), attempt(2, 'sms', 'unknown', { deadlineAt: NIGHT })], {
        category: 'marketing',
      });
      expect(nextStep(f, NIGHT)).toEqual<Step>({ kind: 'wait', until: MORNING, because: 'quiet_hours' });
    });

    it('holds rather than asks a capability in quiet hours', () => {
      const f = marketing({ capabilities: { rcs: undefined, sms: reachable(), line: reachable() } });
      expect(nextStep(f, NIGHT)).toEqual<Step>({ kind: 'wait', until: MORNING, because: 'quiet_hours' });
    });

    it('does not hold a failure: with no channel left it fails at once', () => {
      const f = dispatching([attempt(1, 'rcs', 'failed')], {
        category: 'marketing',
        plan: { channels: ['rcs'], timeouts: { rcs: 60 }, successOn: 'delivered' },
      });
      expect(nextStep(f, NIGHT)).toEqual<Step>({ kind: 'finish', status: 'failed', reason: 'all_channels_failed', skipped: [] });
    });

    it('does not hold a cancel or an expiry', () => {
      expect(nextStep(marketing({ cancelRequested: true }), NIGHT)).toEqual<Step>({
        kind: 'finish',
        status: 'cancelled',
        reason: 'cancelled_by_client',
        skipped: [],
      });
      expect(nextStep(marketing({ expiresAt: NIGHT }), NIGHT)).toEqual<Step>({
        kind: 'finish',
        status: 'expired',
        reason: 'expired_before_delivery',
        skipped: [],
      });
    });
  });
});
