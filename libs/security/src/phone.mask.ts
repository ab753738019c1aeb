import parsePhoneNumberFromString from 'libphonenumber-js/max';

/** Digits always hidden, whatever the length of the national number. */
const MIN_HIDDEN = 4;
const MAX_HEAD = 2;
const MAX_TAIL = 4;
const OPAQUE = '[phone]';

/**
 * Masks a phone number for logs and support screens: `+819012345678` → `+81 90-****-5678`.
 *
 * Keeps the country code (which operator/route), the first two national digits (mobile vs fixed
 * in Japan) and the last four (what a support agent confirms with the customer). Short national
 * numbers give up the head, then the tail, so at least four digits always stay hidden and never
 * more than the last four are shown.
 */
export function maskPhone(e164: string): string {
  if (typeof e164 !== 'string' || !/^\+[1-9]\d{5,16}$/.test(e164)) return OPAQUE;
  const parsed = parsePhoneNumberFromString(e164);
  const cc = parsed?.countryCallingCode;
  if (!cc) return OPAQUE;
  const national = e164.slice(1 + cc.length);
  return `+${cc} ${maskDigits(national)}`;
}

/** `9012345678` → `90-****-5678`; exported for the redactor's fallback on odd numbers. */
export function maskDigits(digits: string): string {
  const n = digits.length;
  const tail = clamp(n - MIN_HIDDEN, 0, MAX_TAIL);
  const head = clamp(n - MIN_HIDDEN - tail, 0, MAX_HEAD);
  const hidden = '*'.repeat(Math.max(n - head - tail, MIN_HIDDEN));
  return [digits.slice(0, head), hidden, tail > 0 ? digits.slice(n - tail) : '']
    .filter((part) => part.length > 0)
    .join('-');
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), max);
}
