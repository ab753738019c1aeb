import { MessageFacts, Step, nextStep } from './next-step';
import { NOW, NIGHT, MORNING, at, reachable, unreachable, facts, attempt, dispatching } from './next-step.fixtures';

describe('nextStep: channels, schedules and quiet hours', () => {
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

    it('skips a barred channel (SMS whose sender was suspended) without asking its capability, falling back to the next', () => {
      const f = dispatching([attempt(1, 'rcs', 'revoked')], { barred: { sms: 'sender_not_approved' }, capabilities: { rcs: reachable(), sms: undefined, line: reachable() } });
      expect(nextStep(f, at(NOW, 61))).toEqual<Step>({
        kind: 'start_attempt',
        channel: 'line',
        seq: 2,
        timeoutSeconds: 86400,
        skipped: [{ channel: 'sms', reason: 'sender_not_approved' }],
      });
    });

    it('fails an OTP whose only channel is barred, saying why, and never reaches for another', () => {
      const f = facts({ category: 'otp', plan: { channels: ['sms'], timeouts: { sms: 600 }, successOn: 'delivered' }, barred: { sms: 'sender_not_approved' } });
      expect(nextStep(f, NOW)).toEqual<Step>({
        kind: 'finish',
        status: 'failed',
        reason: 'all_channels_failed',
        skipped: [{ channel: 'sms', reason: 'sender_not_approved' }],
      });
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

