import { DomainError } from '@tsunagu/core';
import { PlanRequest, PolicySettings, PolicyTraits, planChannels } from './plan';

const TRAITS: Record<string, PolicyTraits> = {
  rcs: { simBound: false, supportsCancel: true, supportsReadReceipts: true },
  sms: { simBound: true, supportsCancel: true, supportsReadReceipts: false },
  line: { simBound: false, supportsCancel: false, supportsReadReceipts: false },
};

function settings(overrides: Partial<PolicySettings> = {}): PolicySettings {
  return {
    timeouts: { rcs: 60, sms: 600, line: 86400 },
    successOn: 'delivered',
    order: { otp: ['sms'], transactional: ['rcs', 'sms', 'line'], marketing: ['rcs', 'sms', 'line'] },
    quietHours: { start: '21:00', end: '08:00', timezone: 'Asia/Tokyo' },
    allowInternational: false,
    maxScheduleDays: 30,
    ...overrides,
  };
}

/** The DomainError `fn` throws; fails the test when it throws nothing or something else. */
function refusal(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a DomainError, but nothing was thrown');
}

function plan(request: PlanRequest, s: PolicySettings = settings(), traits = TRAITS) {
  return planChannels(request, s, traits);
}

describe('planChannels', () => {
  describe('default order per category', () => {
    it('sends transactional by RCS, then SMS, then LINE, with the configured timeouts', () => {
      expect(plan({ category: 'transactional' })).toEqual({
        channels: ['rcs', 'sms', 'line'],
        timeouts: { rcs: 60, sms: 600, line: 86400 },
        successOn: 'delivered',
      });
    });

    it('sends marketing by RCS, then SMS, then LINE', () => {
      expect(plan({ category: 'marketing' })).toEqual({
        channels: ['rcs', 'sms', 'line'],
        timeouts: { rcs: 60, sms: 600, line: 86400 },
        successOn: 'delivered',
      });
    });

    it('sends OTP by SMS only', () => {
      expect(plan({ category: 'otp' })).toEqual({ channels: ['sms'], timeouts: { sms: 600 }, successOn: 'delivered' });
    });

    it('drops a channel of the default order whose adapter is not enabled, silently', () => {
      const s = settings({ order: { otp: ['sms'], transactional: ['rcs', 'fax', 'sms'], marketing: ['rcs'] } });
      expect(plan({ category: 'transactional' }, s)).toEqual({
        channels: ['rcs', 'sms'],
        timeouts: { rcs: 60, sms: 600 },
        successOn: 'delivered',
      });
    });

    it('drops a non-SIM-bound channel of the default OTP order when it is not enabled', () => {
      const s = settings({ order: { otp: ['sms', 'line'], transactional: ['rcs'], marketing: ['rcs'] } });
      const { line: _line, ...withoutLine } = TRAITS;
      expect(plan({ category: 'otp' }, s, withoutLine)).toEqual({
        channels: ['sms'],
        timeouts: { sms: 600 },
        successOn: 'delivered',
      });
    });

    it('refuses with NO_REACHABLE_CHANNEL when no channel of the default order is enabled', () => {
      const err = refusal(() => plan({ category: 'otp' }, settings(), { rcs: TRAITS.rcs, line: TRAITS.line }));
      expect(err.code).toBe('NO_REACHABLE_CHANNEL');
      expect(err.status).toBe(422);
      expect(err.message).toBe('No channel of the otp policy is enabled.');
    });

    it('refuses an empty default order with INVALID_CHANNEL_POLICY', () => {
      const s = settings({ order: { otp: ['sms'], transactional: [], marketing: ['rcs'] } });
      expect(refusal(() => plan({ category: 'transactional' }, s)).code).toBe('INVALID_CHANNEL_POLICY');
    });
  });

  describe("the request's own channel list", () => {
    it('overrides the default order', () => {
      expect(plan({ category: 'transactional', channels: ['sms', 'rcs'] })).toEqual({
        channels: ['sms', 'rcs'],
        timeouts: { sms: 600, rcs: 60 },
        successOn: 'delivered',
      });
    });

    it('refuses an unknown channel with UNKNOWN_CHANNEL, naming it and the known ones', () => {
      const err = refusal(() => plan({ category: 'transactional', channels: ['rcs', 'fax'] }));
      expect(err.code).toBe('UNKNOWN_CHANNEL');
      expect(err.status).toBe(422);
      expect(err.details).toEqual({ unknown: ['fax'], known: ['rcs', 'sms', 'line'] });
    });

    it('refuses names inherited from Object.prototype as unknown channels', () => {
      // Traits come from Object.fromEntries, so `traits.constructor` is defined without being a channel.
      for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
        const err = refusal(() => plan({ category: 'transactional', channels: ['rcs', name] }));
        expect(err.code).toBe('UNKNOWN_CHANNEL');
        expect(err.details).toEqual({ unknown: [name], known: ['rcs', 'sms', 'line'] });
      }
    });

    it('drops a prototype name from a default order like any channel that is not enabled', () => {
      const s = settings({ order: { otp: ['sms'], transactional: ['rcs', 'constructor'], marketing: ['rcs'] } });
      expect(plan({ category: 'transactional' }, s)).toEqual({
        channels: ['rcs'],
        timeouts: { rcs: 60 },
        successOn: 'delivered',
      });
    });

    it('refuses an empty list with INVALID_CHANNEL_POLICY', () => {
      const err = refusal(() => plan({ category: 'transactional', channels: [] }));
      expect(err.code).toBe('INVALID_CHANNEL_POLICY');
      expect(err.status).toBe(422);
    });

    it('refuses a channel listed twice with INVALID_CHANNEL_POLICY, naming it', () => {
      const err = refusal(() => plan({ category: 'transactional', channels: ['sms', 'rcs', 'sms'] }));
      expect(err.code).toBe('INVALID_CHANNEL_POLICY');
      expect(err.details).toEqual({ channel: 'sms' });
    });
  });

  describe('OTP goes only by SIM-bound channels', () => {
    it.each([
      [['line'], ['line']],
      [['sms', 'line'], ['line']],
      [['rcs', 'sms'], ['rcs']],
      [['rcs', 'sms', 'line'], ['rcs', 'line']],
    ])('refuses channels %j with CHANNEL_NOT_ALLOWED_FOR_OTP, naming %j', (channels, refused) => {
      const err = refusal(() => plan({ category: 'otp', channels }));
      expect(err.code).toBe('CHANNEL_NOT_ALLOWED_FOR_OTP');
      expect(err.status).toBe(422);
      expect(err.details).toEqual({ channels: refused });
    });

    it('refuses a default OTP order that puts LINE in it, rather than trimming it', () => {
      const s = settings({ order: { otp: ['sms', 'line'], transactional: ['rcs'], marketing: ['rcs'] } });
      const err = refusal(() => plan({ category: 'otp' }, s));
      expect(err.code).toBe('CHANNEL_NOT_ALLOWED_FOR_OTP');
      expect(err.details).toEqual({ channels: ['line'] });
    });

    it('accepts any SIM-bound channel the registry knows, not only "sms"', () => {
      const traits = { ...TRAITS, sms2: { simBound: true, supportsCancel: false, supportsReadReceipts: false } };
      expect(plan({ category: 'otp', channels: ['sms', 'sms2'] }, settings(), traits)).toEqual({
        channels: ['sms', 'sms2'],
        timeouts: { sms: 600, sms2: 60 },
        successOn: 'delivered',
      });
    });

    it('reports an unknown channel before the OTP rule', () => {
      expect(refusal(() => plan({ category: 'otp', channels: ['line', 'fax'] })).code).toBe('UNKNOWN_CHANNEL');
    });

    it('does not apply the SIM-bound rule to other categories', () => {
      expect(plan({ category: 'transactional', channels: ['line'] }).channels).toEqual(['line']);
    });
  });

  describe('timeouts', () => {
    it('takes the request over the settings, and 60 s when neither names the channel', () => {
      const s = settings({ timeouts: { sms: 300 } });
      expect(plan({ category: 'transactional', timeouts: { rcs: 30 } }, s)).toEqual({
        channels: ['rcs', 'sms', 'line'],
        timeouts: { rcs: 30, sms: 300, line: 60 },
        successOn: 'delivered',
      });
    });

    it('accepts the bounds, 1 s and 604800 s (seven days)', () => {
      expect(plan({ category: 'transactional', timeouts: { rcs: 1, line: 604800 } }).timeouts).toEqual({
        rcs: 1,
        sms: 600,
        line: 604800,
      });
    });

    it('refuses a timeout for a channel that is not in the list', () => {
      const err = refusal(() => plan({ category: 'otp', timeouts: { rcs: 30 } }));
      expect(err.code).toBe('INVALID_CHANNEL_POLICY');
      expect(err.details).toEqual({ channel: 'rcs' });
    });

    it.each([0, -1, 1.5, 604801, Number.NaN, Number.POSITIVE_INFINITY])('refuses a timeout of %p seconds', (seconds) => {
      const err = refusal(() => plan({ category: 'transactional', timeouts: { sms: seconds } }));
      expect(err.code).toBe('INVALID_CHANNEL_POLICY');
      expect(err.details).toEqual({ channel: 'sms' });
      expect(err.message).toBe('The timeout for "sms" must be 1 to 604800 seconds.');
    });
  });

  describe('success condition', () => {
    it('is "delivered" by default', () => {
      expect(plan({ category: 'transactional' }).successOn).toBe('delivered');
    });

    it('follows the settings when the request says nothing', () => {
      expect(plan({ category: 'transactional' }, settings({ successOn: 'read' })).successOn).toBe('read');
    });

    it("follows the request over the settings, either way", () => {
      expect(plan({ category: 'transactional', successOn: 'read' }).successOn).toBe('read');
      expect(plan({ category: 'transactional', successOn: 'delivered' }, settings({ successOn: 'read' })).successOn).toBe(
        'delivered',
      );
    });
  });
});
