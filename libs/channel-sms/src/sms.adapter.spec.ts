import { DomainError } from '@tsunagu/core';
import type { SmsRouteConfig } from './route.selector';
import { SmsAdapter } from './sms.adapter';

// Not started: these answers need no bind, so the adapter is built without connecting anywhere.
function adapter(routes: Partial<SmsRouteConfig>[]): SmsAdapter {
  const full = routes.map((r, i) => ({
    name: `r${i}`, kind: 'domestic_direct', carriers: [], host: '127.0.0.1', port: 1, systemId: 's', password: 'p',
    binds: 1, window: 1, throughputPerSecond: 0, enquireLinkSeconds: 30, maxSegments: 10, ...r,
  })) as SmsRouteConfig[];
  return new SmsAdapter({ routes: full, autoStart: false }, { ingest: async () => undefined });
}

describe('SmsAdapter accept-time answers', () => {
  it('measures length with the domestic route rules', () => {
    const a = adapter([{ name: 'intl', kind: 'international', maxSegments: 3 }, { name: 'jp', maxSegments: 10 }]);
    expect(a.checkLength('あ'.repeat(670))).toMatchObject({ fits: true, limit: 670, segments: 10, encoding: 'ucs2' });
    expect(a.checkLength('あ'.repeat(671))).toMatchObject({ fits: false, limit: 670 });
    expect(a.checkLength('x'.repeat(1531))).toMatchObject({ fits: false, limit: 1530, encoding: 'gsm7' });
  });

  it('plans a route, refusing international for Japanese numbers and OTP', () => {
    const a = adapter([{ name: 'intl', kind: 'international' }, { name: 'jp' }]);
    const base = { tenantId: 't', domestic: true, category: 'transactional' as const, allowInternational: true };
    expect(a.planRoute({ ...base, destinationE164: '+819012345678' })).toEqual({ route: 'jp' });
    expect(a.planRoute({ ...base, destinationE164: '+14155552671', domestic: false })).toEqual({ route: 'intl' });
    expect(() => a.planRoute({ ...base, destinationE164: '+14155552671', domestic: false, category: 'otp' })).toThrow(DomainError);
    const intlOnly = adapter([{ name: 'intl', kind: 'international' }]);
    expect(() => intlOnly.planRoute({ ...base, destinationE164: '+819012345678' })).toThrow(DomainError);
  });

  it('refuses an alphanumeric sender on a domestic direct route, and takes it abroad', () => {
    const a = adapter([{ name: 'intl', kind: 'international' }, { name: 'jp' }]);
    const base = { tenantId: 't', domestic: true, category: 'transactional' as const, allowInternational: true };
    let refused: unknown;
    try {
      a.planRoute({ ...base, destinationE164: '+819012345678', sender: 'BANK-JP' });
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(DomainError);
    expect([(refused as DomainError).code, (refused as DomainError).details]).toEqual(['SENDER_NOT_APPROVED', { reason: 'alphanumeric_on_domestic_route', route: 'jp' }]);
    expect(a.planRoute({ ...base, destinationE164: '+819012345678', sender: '00051234' })).toEqual({ route: 'jp' });
    expect(a.planRoute({ ...base, destinationE164: '+819012345678', sender: '+819011112222' })).toEqual({ route: 'jp' });
    expect(a.planRoute({ ...base, destinationE164: '+14155552671', domestic: false, sender: 'BANK-JP' })).toEqual({ route: 'intl' });
  });

  it('never sends from an alphanumeric id on a domestic route, even one the accept did not see', async () => {
    const a = adapter([{ name: 'jp', defaultSender: 'BANK' }]);
    const attempt = { attemptId: '0190a000-0000-7000-8000-000000000001', messageId: 'm', tenantId: 't', category: 'transactional', to: { phoneE164: '+819012345678' }, text: 'x', sender: null, timeoutSeconds: 60, allowInternational: false, route: 'jp' };
    await expect(a.send(attempt as never)).rejects.toMatchObject({ kind: 'permanent', code: 'sender_not_allowed_on_route' });
  });

  it('has the traits the policy relies on', () => {
    expect(adapter([{}]).traits).toEqual({ simBound: true, supportsCancel: true, supportsReadReceipts: false, idempotentSend: false, reportsDelivery: true, needsMobileNumber: true });
  });
});
