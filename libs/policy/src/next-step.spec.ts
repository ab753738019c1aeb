import { AttemptStatus } from '@tsunagu/core';
import { Step, nextStep } from './next-step';
import { NOW, at, facts, attempt, dispatching } from './next-step.fixtures';

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

});
