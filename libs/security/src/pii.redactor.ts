import parsePhoneNumberFromString from 'libphonenumber-js/max';
import { maskDigits, maskPhone } from './phone.mask';

/**
 * Redaction for log lines and for provider payloads stored on event rows. It errs towards hiding:
 * a masked order id is a nuisance, a logged phone number is an incident.
 */

const D = '[0-9０-９]';
const S = '[-‐－ 　.()（）]'; // separators as typed in Japan, full-width included
/** `+81 90-1234-5678`, `+819012345678`, `＋８１…`: a '+' then 7–15 digits with separators. */
const INTERNATIONAL = `[+＋]${D}(?:${S}{0,2}${D}){6,16}`;
/** `090-1234-5678`, `09012345678`, `03-1234-5678`, `(03)1234-5678`: a trunk 0 then 9–10 digits. */
const NATIONAL = `[(（]?[0０]${D}{1,4}[)）]?${S}?${D}{1,4}${S}?${D}{3,4}`;
/** Not glued to other digits: `20240101090012345678` is an id, not a phone number. */
const PHONE_IN_TEXT = new RegExp(`(?<![0-9０-９+＋])(?:${INTERNATIONAL}|${NATIONAL})(?![0-9０-９])`, 'g');

function asciiDigits(text: string): string {
  return text.replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0)).replace(/\D/g, '');
}

/** Masks one phone-looking match; falls back to hiding all but the last four digits. */
function maskMatch(match: string): string {
  const digits = asciiDigits(match);
  const international = /^[+＋]/.test(match);
  if (!international && (digits.length < 10 || digits.length > 11)) return match;
  const parsed = parsePhoneNumberFromString(international ? `+${digits}` : digits, 'JP');
  if (parsed?.number) return maskPhone(parsed.number as string);
  return international ? `+${maskDigits(digits)}` : maskDigits(digits);
}

/** Replaces everything that looks like a phone number with its masked form. */
export function redactPii(text: string): string {
  if (typeof text !== 'string' || text.length === 0) return text;
  return text.replace(PHONE_IN_TEXT, maskMatch);
}

export const REDACTED = '[redacted]';

/** Keys whose values are phone numbers: masked (support still recognises the last four). */
const PHONE_KEYS = /^(?:to|from|msisdn|recipient|destination|destinationaddr|sourceaddr|e164)$|phone|msisdn|mobile/;
/** Keys whose values are content or credentials: dropped. */
const SECRET_KEYS =
  /^(?:text|body|shortmessage|messagepayload|content|cookie|setcookie)$|secret|token|password|passwd|authorization|apikey|privatekey|credential|signature$/;

export interface RedactOptions {
  /** Deeper values become '[depth]'. Default 8. */
  maxDepth?: number;
  /** Longer arrays are cut, with a marker. Default 200. */
  maxArrayLength?: number;
  /** Extra key names (case-insensitive) to drop. */
  extraKeys?: string[];
}

/** Keys compared without case, '-' or '_': `phone_number`, `phoneNumber`, `Phone-Number`. */
function keyClass(key: string, extra: Set<string>): 'phone' | 'secret' | null {
  const k = key.toLowerCase().replace(/[-_]/g, '');
  if (extra.has(k)) return 'secret';
  if (SECRET_KEYS.test(k)) return 'secret';
  if (PHONE_KEYS.test(k)) return 'phone';
  return null;
}

/**
 * Values under phone keys: strings are masked when they read as a number in any common written
 * form (E.164, national, or SMPP's international digits without '+'); anything else under such a
 * key — a LINE user id, a number as a JS number — is dropped, since it identifies a person too.
 */
function maskPhoneValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskPhoneValue);
  if (value === null || value === undefined) return value;
  if (typeof value !== 'string') return REDACTED;
  if (value.length === 0) return value;
  if (/^[+＋]?[0-9０-９ ().-]{6,30}$/.test(value)) {
    const digits = asciiDigits(value);
    const international = /^[+＋]/.test(value) || !digits.startsWith('0');
    const parsed = parsePhoneNumberFromString(international ? `+${digits}` : digits, 'JP');
    if (parsed?.countryCallingCode && digits.length >= 7) return maskPhone(parsed.number as string);
  }
  const masked = redactPii(value);
  return masked !== value ? masked : REDACTED;
}

/**
 * A deep copy safe to log or store: content and credential keys become '[redacted]', phone keys
 * are masked, and every other string still goes through redactPii (a phone number inside an
 * error description is still a phone number). Cycles and depth are bounded.
 */
export function redactObject(value: unknown, opts: RedactOptions = {}): unknown {
  const maxDepth = opts.maxDepth ?? 8;
  const maxArrayLength = opts.maxArrayLength ?? 200;
  const extra = new Set((opts.extraKeys ?? []).map((k) => k.toLowerCase().replace(/[-_]/g, '')));
  const seen = new WeakSet<object>();

  const walk = (node: unknown, depth: number): unknown => {
    if (typeof node === 'string') return redactPii(node);
    if (typeof node === 'bigint') return node.toString();
    if (typeof node === 'function' || typeof node === 'symbol') return undefined;
    if (node === null || typeof node !== 'object') return node;
    if (Buffer.isBuffer(node) || ArrayBuffer.isView(node)) return `[binary ${node.byteLength} bytes]`;
    if (node instanceof Date) return Number.isNaN(node.getTime()) ? null : node.toISOString();
    if (seen.has(node)) return '[circular]';
    if (depth >= maxDepth) return '[depth]';
    seen.add(node);
    try {
      if (Array.isArray(node)) {
        const out = node.slice(0, maxArrayLength).map((item) => walk(item, depth + 1));
        if (node.length > maxArrayLength) out.push(`[${node.length - maxArrayLength} more]`);
        return out;
      }
      if (node instanceof Map) return walk(Object.fromEntries(node), depth);
      if (node instanceof Set) return walk([...node], depth);
      const out: Record<string, unknown> = {};
      if (node instanceof Error) {
        out.name = node.name;
        out.message = redactPii(node.message);
      }
      for (const [key, child] of Object.entries(node)) {
        const kind = keyClass(key, extra);
        const scalarOrList = typeof child !== 'object' || child === null || Array.isArray(child);
        if (kind === 'secret') out[key] = child === undefined ? undefined : REDACTED;
        else if (kind === 'phone' && scalarOrList) out[key] = maskPhoneValue(child);
        else out[key] = walk(child, depth + 1);
      }
      return out;
    } finally {
      // Only true cycles are marked: the same object reached twice by different paths is fine.
      seen.delete(node);
    }
  };

  return walk(value, 0);
}
