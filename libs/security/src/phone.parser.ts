import { DomainError } from '@tsunagu/core';
import { parsePhoneNumberWithError } from 'libphonenumber-js/max';

/**
 * A phone number as Tsunagu stores and reasons about it. `e164` is the one identity of a contact
 * (what we encrypt and blind-index); `type` drives the SMS eligibility check.
 */
export interface ParsedPhone {
  e164: string;
  /** ISO 3166-1 alpha-2 region, when the number belongs to exactly one. */
  country: string | undefined;
  /** libphonenumber's type: MOBILE, FIXED_LINE, FIXED_LINE_OR_MOBILE, VOIP, TOLL_FREE, UAN, PAGER, … */
  type: string | undefined;
  /** National format as a Japanese operator would write it, e.g. `090-1234-5678` (formatted when read). */
  readonly national: string;
}

const DEFAULT_REGION = 'JP';
/** Longest written form we accept: 15 E.164 digits plus generous punctuation. */
const MAX_LENGTH = 30;
/**
 * A cheap bound applied before normalisation, so a megabyte of input never reaches NFKC or the
 * library. NFKC of the allowed characters never grows them beyond this.
 */
const MAX_RAW_LENGTH = 64;

/** Dash look-alikes that people (and IMEs) type between digit groups; all treated as '-'. */
const DASHES = /[\u2010-\u2015\u2212\uFE63]/g;
/** Digits, space, hyphen, parentheses and dots, with at most one leading '+'. Nothing else. */
const ALLOWED = /^\+?[0-9 ().-]+$/;

/** Never include the raw value: it is personal data and error bodies end up in logs. */
function invalid(message: string, details?: Record<string, unknown>): DomainError {
  return new DomainError('INVALID_PHONE_NUMBER', message, details);
}

/**
 * Turns whatever a client sent into a canonical, valid phone number, or refuses it.
 *
 * The pre-check exists because libphonenumber is built to be forgiving: it strips control
 * characters, reads `ext.`/`;ext=`/`x12` as extensions and digs numbers out of text. For an
 * identity that is encrypted and indexed we want the opposite: one unambiguous reading or none.
 */
export function parsePhone(raw: unknown): ParsedPhone {
  if (typeof raw !== 'string') {
    throw invalid('The phone number must be a string.', { reason: 'not_a_string' });
  }
  if (raw.length === 0) throw invalid('The phone number is empty.', { reason: 'empty' });
  if (raw.length > MAX_RAW_LENGTH) {
    throw invalid('The phone number is too long.', { reason: 'too_long' });
  }

  // NFKC folds full-width digits, '＋', '－' and the ideographic space onto ASCII: Japanese
  // users type ０９０… and that is the same number.
  const text = raw.normalize('NFKC').replace(DASHES, '-').trim();
  if (text.length === 0) throw invalid('The phone number is empty.', { reason: 'empty' });
  if (text.length > MAX_LENGTH) {
    throw invalid('The phone number is too long.', { reason: 'too_long' });
  }
  if (!ALLOWED.test(text)) {
    // Covers control characters (NUL would survive the library), letters, extensions
    // (`ext.`, `;ext=`, `x12`, `#`) and a '+' anywhere but the start.
    throw invalid(
      'The phone number may only contain digits, spaces, hyphens, parentheses, dots and one leading +.',
      { reason: 'invalid_characters' },
    );
  }

  const digits = text.replace(/\D/g, '');
  if (digits.length === 0) throw invalid('The phone number has no digits.', { reason: 'empty' });
  if (digits.length > 17) {
    // 15 E.164 digits, plus a trunk '0' after +81 and one spare: anything longer is not a number.
    throw invalid('The phone number is too long.', { reason: 'too_long' });
  }

  // Documented decision (BAD-INPUTS row 4): "81 90 1234 5678" without '+' is ambiguous. A
  // Japanese national number always starts with the trunk prefix 0, so a leading 81 means the
  // sender meant a country code but dropped the '+'. We refuse rather than guess.
  if (!text.startsWith('+') && digits.startsWith('81')) {
    throw invalid('Write international numbers with a leading "+", e.g. +81 90-1234-5678.', {
      reason: 'ambiguous_country_code',
    });
  }

  let parsed;
  try {
    parsed = parsePhoneNumberWithError(text, { defaultCountry: DEFAULT_REGION });
  } catch {
    // The library's message can quote the input; ours does not.
    throw invalid('The phone number could not be read.', { reason: 'unparseable' });
  }
  if (parsed.ext) throw invalid('Phone extensions are not allowed.', { reason: 'extension' });
  if (!parsed.isValid()) throw invalid('The phone number is not valid.', { reason: 'not_valid' });

  // libphonenumber already drops a trunk 0 written after +81 (+8109012345678); keep a guard so a
  // future metadata change cannot split one person into two contacts.
  let e164 = parsed.number as string;
  if (e164.startsWith('+810')) e164 = `+81${e164.slice(4)}`;

  const number = parsed;
  return {
    e164,
    country: parsed.country,
    type: parsed.getType(),
    // Formatted when read: the accept path never reads it, and formatting was ~2% of the api's CPU.
    get national() {
      return number.formatNational();
    },
  };
}

/** SMS reaches mobiles only: toll-free, UAN (0570), VOIP (050), pager (020) and fixed lines do not. */
const SMS_CAPABLE_TYPES = new Set(['MOBILE', 'FIXED_LINE_OR_MOBILE']);

export function assertCanReceiveSms(p: ParsedPhone): void {
  if (p.type === undefined || !SMS_CAPABLE_TYPES.has(p.type)) {
    throw new DomainError('NUMBER_CANNOT_RECEIVE_SMS', 'This number cannot receive SMS.', {
      numberType: p.type ?? 'UNKNOWN',
    });
  }
}

export function isDomestic(p: ParsedPhone): boolean {
  return p.country === 'JP';
}
