import { DomainError } from '@tsunagu/core';

/**
 * The one canonical form of a message body, applied before counting, storing and sending.
 *
 * Why NFC: `ｶﾞ` can arrive as `カ` + U+3099 or as the precomposed `ガ`; the segment counter, the
 * GSM-7/UCS-2 choice and the SMSC must all see the same code points, or the price quoted at
 * accept time differs from what is sent. Why not NFKC: NFKC would rewrite what the customer
 * wrote — half-width katakana `ｱｲｳ` would become full-width `アイウ`, `①` would become `1`,
 * and `髙`-style variants can change — which is an edit of the content, not a normalisation.
 * NFC only composes; half-width stays half-width.
 */
export function normalizeText(text: string): string {
  return text.normalize('NFC');
}

/**
 * Invisible characters that make a body look non-empty while showing nothing: zero-width space,
 * non-joiner, joiner, word joiner, BOM, soft hyphen, Mongolian vowel separator, invisible
 * operators.
 */
// (ZWJ sits outside the class: inside one, linters read it as joining its neighbours.)
const INVISIBLE = /[\u200B\u200C\u2060\uFEFF\u00AD\u180E\u2061-\u2064]|\u200D/g;

/**
 * Refuses bodies that are empty to the reader or that no channel can carry faithfully.
 * Errors carry an offset (in UTF-16 code units) and never the text.
 */
export function assertSendableText(text: string): void {
  if (typeof text !== 'string' || text.replace(INVISIBLE, '').trim().length === 0) {
    throw new DomainError('BODY_EMPTY', 'The message body is empty.');
  }
  const bad = findInvalidChar(text);
  if (bad !== null) {
    throw new DomainError('INVALID_TEXT', invalidMessage(bad.reason), {
      offset: bad.offset,
      reason: bad.reason,
    });
  }
}

type InvalidReason = 'lone_surrogate' | 'control_character';

/**
 * Lone surrogates are not text: no encoder can turn them into UTF-8 or a valid UCS-2 SMS.
 * Control characters: SMPP fields are C-strings, so a NUL ends the body early, and ESC/C1
 * sequences drive terminals and GSM escape tables. Only tab, line feed and carriage return pass.
 */
export function findInvalidChar(text: string): { offset: number; reason: InvalidReason } | null {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++; // a well-formed pair
        continue;
      }
      return { offset: i, reason: 'lone_surrogate' };
    }
    if (c >= 0xdc00 && c <= 0xdfff) return { offset: i, reason: 'lone_surrogate' };
    if (isForbiddenControl(c)) return { offset: i, reason: 'control_character' };
  }
  return null;
}

function isForbiddenControl(c: number): boolean {
  if (c === 0x09 || c === 0x0a || c === 0x0d) return false;
  return c < 0x20 || c === 0x7f || (c >= 0x80 && c <= 0x9f);
}

function invalidMessage(reason: InvalidReason): string {
  return reason === 'lone_surrogate'
    ? 'The message body is not valid Unicode text (unpaired surrogate).'
    : 'The message body contains a control character; only tab and line breaks are allowed.';
}

// An unpaired surrogate: a high one not followed by a low one, or a low one not after a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether PostgreSQL can store this string as text or inside jsonb. */
export function isStorableString(s: string): boolean {
  return !s.includes('\u0000') && !LONE_SURROGATE.test(s);
}

/**
 * The path (`metadata.note`, `line[0].text`) of the first string in a JSON value, key or value,
 * that PostgreSQL cannot store: a NUL (text and jsonb refuse it) or an unpaired surrogate (it has
 * no UTF-8 form, and jsonb refuses its escape). Null when every string is storable. Unchecked,
 * such a string fails the statement that stores it, after every other check has passed.
 */
export function findUnstorableString(value: unknown, path = ''): string | null {
  if (typeof value === 'string') return isStorableString(value) ? null : path || '(body)';
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnstorableString(value[i], `${path}[${i}]`);
      if (found !== null) return found;
    }
    return null;
  }
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const at = path ? `${path}.${k}` : k;
      if (!isStorableString(k)) return at;
      const found = findUnstorableString(v, at);
      if (found !== null) return found;
    }
  }
  return null;
}
