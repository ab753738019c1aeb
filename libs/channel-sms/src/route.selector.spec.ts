import { DomainError } from '@tsunagu/core';
import { selectSmsRoute, SmsRouteConfig, SmsRouteRequest } from './route.selector';

function route(name: string, kind: SmsRouteConfig['kind']): SmsRouteConfig {
  return { name, kind, carriers: [], host: '127.0.0.1', port: 2775, systemId: 's', password: 'p', binds: 1, window: 10, throughputPerSecond: 0, enquireLinkSeconds: 30, maxSegments: 10 };
}

const jp: SmsRouteRequest = { destinationE164: '+819012345678', domestic: true, category: 'transactional', allowInternational: false };
const us: SmsRouteRequest = { destinationE164: '+14155552671', domestic: false, category: 'transactional', allowInternational: true };

function refusal(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('selectSmsRoute', () => {
  const docomo = route('docomo', 'domestic_direct');
  const kddi = route('kddi', 'domestic_direct');
  const intl = route('intl', 'international');

  it('sends Japanese numbers over a domestic direct route', () => {
    expect(selectSmsRoute([intl, docomo], jp).name).toBe('docomo');
    expect(selectSmsRoute([intl, docomo], { ...jp, allowInternational: true }).name).toBe('docomo');
  });

  it('treats a +81 number as Japanese even if the caller did not flag it', () => {
    expect(selectSmsRoute([intl, docomo], { ...jp, domestic: false, allowInternational: true }).name).toBe('docomo');
  });

  it('refuses the international route for a Japanese number', () => {
    const err = refusal(() => selectSmsRoute([intl], { ...jp, allowInternational: true }));
    expect(err.code).toBe('DESTINATION_NOT_ALLOWED');
    expect(err.message).not.toContain('9012345678');
  });

  it('refuses international for OTP even when allowed', () => {
    expect(refusal(() => selectSmsRoute([intl, docomo], { ...us, category: 'otp' })).code).toBe('DESTINATION_NOT_ALLOWED');
  });

  it('uses the international route for a foreign number only when allowed', () => {
    expect(selectSmsRoute([docomo, intl], us).name).toBe('intl');
    expect(refusal(() => selectSmsRoute([docomo, intl], { ...us, allowInternational: false })).code).toBe('DESTINATION_NOT_ALLOWED');
    expect(refusal(() => selectSmsRoute([docomo], us)).code).toBe('DESTINATION_NOT_ALLOWED');
  });

  it('prefers healthy routes, and falls back to an unhealthy one rather than refusing', () => {
    expect(selectSmsRoute([docomo, kddi], { ...jp, unhealthy: new Set(['docomo']) }).name).toBe('kddi');
    expect(selectSmsRoute([docomo, kddi], { ...jp, unhealthy: new Set(['docomo', 'kddi']) }).name).toBe('docomo');
  });
});
