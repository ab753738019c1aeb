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

  it('has the traits the policy relies on', () => {
    expect(adapter([{}]).traits).toEqual({ simBound: true, supportsCancel: true, supportsReadReceipts: false, idempotentSend: false, reportsDelivery: true, needsMobileNumber: true });
  });
});
