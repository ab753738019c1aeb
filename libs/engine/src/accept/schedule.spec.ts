import { DomainError } from '@tsunagu/core';
import { parseSchedule } from './schedule';

const now = new Date('2026-03-10T00:00:00Z');

function refusal(sendAt: string | undefined, expiresAt?: string): { code: string; message: string } {
  try {
    parseSchedule(sendAt, expiresAt, now, 30);
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    return { code: (err as DomainError).code, message: (err as DomainError).message };
  }
  throw new Error('the schedule was accepted');
}

describe('parseSchedule (BAD-INPUTS row 46)', () => {
  it('takes RFC 3339 times with a zone, with or without seconds and fractions', () => {
    expect(parseSchedule('2026-03-31T09:00+09:00', '2026-04-01T00:00:00.5Z', now, 30)).toEqual({
      sendAt: new Date('2026-03-31T00:00:00Z'),
      expiresAt: new Date('2026-04-01T00:00:00.500Z'),
    });
    expect(parseSchedule('2028-02-29T10:00:00+09:00', undefined, new Date('2028-02-01T00:00:00Z'), 30).sendAt).toEqual(new Date('2028-02-29T01:00:00Z'));
  });

  it.each(['2026-04-31T09:00:00+09:00', '2026-02-29T09:00:00Z', '2026-03-20T24:00:00Z', '2026-03-20T10:60:00Z', '2026-03-20T10:00:60Z', '2026-00-10T10:00:00Z'])(
    'refuses %s, a date or time that does not exist, rather than moving it to another day',
    (sendAt) => {
      expect(refusal(sendAt)).toEqual({ code: 'INVALID_SCHEDULE', message: expect.stringMatching(/does not exist|RFC 3339/) });
      expect(refusal(undefined, sendAt).code).toBe('INVALID_EXPIRY');
    },
  );

  it('still refuses a time without a zone, and one in the past', () => {
    expect(refusal('2026-03-20T10:00:00').code).toBe('INVALID_SCHEDULE');
    expect(refusal('2026-03-01T10:00:00Z')).toEqual({ code: 'INVALID_SCHEDULE', message: 'sendAt is in the past.' });
  });
});
