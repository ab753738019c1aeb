import { DomainError } from '@tsunagu/core';

/** A little slack for clocks: a sendAt a few seconds in the past means "now". */
const PAST_SLACK_MS = 60_000;

export function parseSchedule(
  sendAt: string | undefined,
  expiresAt: string | undefined,
  now: Date,
  maxDays: number,
): { sendAt: Date | null; expiresAt: Date | null } {
  const send = sendAt === undefined ? null : parseInstant(sendAt, 'INVALID_SCHEDULE', 'sendAt');
  const expires = expiresAt === undefined ? null : parseInstant(expiresAt, 'INVALID_EXPIRY', 'expiresAt');
  if (send) {
    if (send.getTime() < now.getTime() - PAST_SLACK_MS) {
      throw new DomainError('INVALID_SCHEDULE', 'sendAt is in the past.', { field: 'sendAt' });
    }
    if (send.getTime() > now.getTime() + maxDays * 86_400_000) {
      throw new DomainError('INVALID_SCHEDULE', `sendAt may be at most ${maxDays} days ahead.`, { field: 'sendAt', maxDays });
    }
  }
  if (expires) {
    if (expires.getTime() <= now.getTime()) {
      throw new DomainError('INVALID_EXPIRY', 'expiresAt is in the past.', { field: 'expiresAt' });
    }
    if (send && expires.getTime() <= send.getTime()) {
      throw new DomainError('INVALID_EXPIRY', 'expiresAt must be after sendAt.', { field: 'expiresAt' });
    }
  }
  return { sendAt: send, expiresAt: expires };
}

// RFC 3339 with an explicit offset: a time without a zone is ambiguous for a Japanese CRM.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * Whether the date and time as written exist: JavaScript's parser rolls `2027-04-31` over to
 * May 1st and `T24:00` to the next day, so a CRM's impossible date would be scheduled on another
 * day, silently. Each field must come back from UTC as it was written.
 */
function existsAsWritten(m: RegExpExecArray): boolean {
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map((f) => Number(f ?? 0));
  const d = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  return (
    d.getUTCFullYear() === year &&
    d.getUTCMonth() === month - 1 &&
    d.getUTCDate() === day &&
    d.getUTCHours() === hour &&
    d.getUTCMinutes() === minute &&
    d.getUTCSeconds() === second
  );
}

function parseInstant(value: string, code: 'INVALID_SCHEDULE' | 'INVALID_EXPIRY', field: string): Date {
  const m = RFC3339.exec(value);
  const date = new Date(m ? value : NaN);
  if (!m || Number.isNaN(date.getTime())) {
    throw new DomainError(code, `${field} must be an RFC 3339 time with a zone, e.g. 2026-12-01T09:00:00+09:00.`, { field });
  }
  if (!existsAsWritten(m)) throw new DomainError(code, `${field} names a date or time that does not exist (such as April 31st or 24:00).`, { field });
  return date;
}
