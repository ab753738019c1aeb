import { DomainError } from '@tsunagu/core';

/**
 * SMS travels unencrypted through carriers and SMSCs, and bodies are stored for support. A card
 * number or a My Number (個人番号) in a body is refused before anything is stored or logged.
 * Errors report an offset into the caller's string so the sender can find it; never the value.
 */

/**
 * Separators people put between digit groups: spaces, dashes, dots, slashes, a tab, the katakana
 * middle dot. NFKC has already folded '－', '．', '／', '･' and U+3000 to these.
 */
const SEPARATORS = new Set([' ', '\t', '-', '.', '/', '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2212', '\u30FC', '\u30FB']);

/**
 * Characters a phone shows as nothing, or only as a mark on the digit before: format characters
 * (zero-width space and joiners, soft hyphen, word joiner, BOM, direction marks) and combining
 * marks (a keycap's U+FE0F U+20E3). Between two digits they hide nothing from the reader, so they
 * neither end a group nor count as a separator.
 */
const INVISIBLE = /^[\p{Cf}\p{M}]$/u;

/** A digit group and where its first digit sits in the ORIGINAL string. */
interface Group {
  digits: string;
  offset: number;
}

/**
 * Maximal runs of digit groups joined by single separators of one kind, e.g. `4111 1111 1111
 * 1111` is one run of four groups. A card number is written with one separator throughout; where
 * the kind changes (`v1.2.3 192.168…`, `2024-12-31 10`) a new run begins at the group before it,
 * so dates, versions and addresses side by side are not read as one long number. Digits are read
 * after NFKC so `４１１１` counts, but NFKC is applied one code point at a time so every digit
 * keeps the offset of the character it came from (NFKC of the whole string can change length —
 * `①` → `1`, `㍻` → `平成` — and shift every later offset).
 */
function digitRuns(text: string): Group[][] {
  const runs: Group[][] = [];
  let run: Group[] = [];
  let group: Group | null = null;
  /** The separator just read after `group`, not yet followed by a digit. */
  let pendingSeparator: string | null = null;
  /** The separator this run's groups are joined by, once it has two. */
  let runSeparator: string | null = null;

  const endRun = (): void => {
    if (group) run.push(group);
    if (run.length > 0) runs.push(run);
    run = [];
    group = null;
    pendingSeparator = null;
    runSeparator = null;
  };

  let i = 0;
  while (i < text.length) {
    const cp = text.codePointAt(i) as number;
    const width = cp > 0xffff ? 2 : 1;
    const ch = String.fromCodePoint(cp);
    // ASCII is already NFKC; only the rest pays for normalisation.
    const folded = cp < 0x80 ? ch : ch.normalize('NFKC');

    if (/^[0-9]+$/.test(folded)) {
      if (pendingSeparator !== null && group) {
        run.push(group);
        if (runSeparator !== null && runSeparator !== pendingSeparator) {
          runs.push(run);
          run = [group];
        }
        runSeparator = pendingSeparator;
        group = null;
      }
      pendingSeparator = null;
      if (!group) group = { digits: '', offset: i };
      group.digits += folded;
    } else if (cp >= 0x80 && INVISIBLE.test(ch)) {
      // as if it were not there: a group or a separator goes on across it
    } else if (SEPARATORS.has(folded) && group && pendingSeparator === null) {
      pendingSeparator = folded; // a single separator may continue the run
    } else {
      endRun();
    }
    i += width;
  }
  endRun();
  return runs;
}

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Issuer prefixes (IIN ranges) of the networks our customers' customers carry. */
export function hasCardPrefix(digits: string): boolean {
  const p2 = Number(digits.slice(0, 2));
  const p3 = Number(digits.slice(0, 3));
  const p4 = Number(digits.slice(0, 4));
  return (
    digits.startsWith('4') || // Visa
    (p2 >= 51 && p2 <= 55) || // Mastercard
    (p4 >= 2221 && p4 <= 2720) || // Mastercard 2-series
    p2 === 34 || p2 === 37 || // Amex
    (p4 >= 3528 && p4 <= 3589) || // JCB
    (p3 >= 300 && p3 <= 305) || p2 === 36 || p2 === 38 || // Diners
    p4 === 6011 || p2 === 65 || (p3 >= 644 && p3 <= 649) || // Discover
    p2 === 62 // UnionPay
  );
}

function isCardNumber(digits: string): boolean {
  return digits.length >= 13 && digits.length <= 19 && hasCardPrefix(digits) && luhnValid(digits);
}

/**
 * Offset of the first card number, or null.
 *
 * Candidates are windows of whole groups inside a run: `4111 1111 1111 1111 123` (number then
 * CVV) must still be caught, yet a group is never cut, so a long unbroken digit string such as
 * an order id is judged only as a whole. The prefix + Luhn + 13–19 length test keeps the false
 * positive rate of this wider search low.
 */
export function findCardNumber(text: string): number | null {
  for (const run of digitRuns(text)) {
    for (let start = 0; start < run.length; start++) {
      let digits = '';
      for (let end = start; end < run.length; end++) {
        digits += run[end].digits;
        if (digits.length > 19) break;
        if (isCardNumber(digits)) return run[start].offset;
      }
    }
  }
  return null;
}

const MY_NUMBER_WEIGHTS = [6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2];

/** The My Number check digit (番号法施行令第八条): weights 6,5,4,3,2,7,6,5,4,3,2 from the left. */
export function myNumberCheckDigit(first11: string): number {
  let sum = 0;
  for (let i = 0; i < 11; i++) sum += (first11.charCodeAt(i) - 48) * MY_NUMBER_WEIGHTS[i];
  const remainder = sum % 11;
  return remainder <= 1 ? 0 : 11 - remainder;
}

export function isMyNumber(digits: string): boolean {
  return (
    /^[0-9]{12}$/.test(digits) && myNumberCheckDigit(digits.slice(0, 11)) === Number(digits[11])
  );
}

/**
 * Offset of the first My Number, or null. Only a whole run of exactly 12 digits counts: one
 * check digit passes for about 1 in 10 random strings, so slicing 12 digits out of a longer
 * number (an order id, a card-like reference) would refuse far too many honest messages.
 */
export function findMyNumber(text: string): number | null {
  for (const run of digitRuns(text)) {
    const digits = run.map((g) => g.digits).join('');
    if (isMyNumber(digits)) return run[0].offset;
  }
  return null;
}

/** Card numbers are checked first: they are the larger harm and the stronger signal. */
export function assertNoSensitiveData(text: string): void {
  const card = findCardNumber(text);
  if (card !== null) {
    throw new DomainError(
      'BODY_CONTAINS_CARD_NUMBER',
      'The message body appears to contain a payment card number; SMS is not encrypted.',
      { offset: card },
    );
  }
  const myNumber = findMyNumber(text);
  if (myNumber !== null) {
    throw new DomainError(
      'BODY_CONTAINS_MY_NUMBER',
      'The message body appears to contain a My Number (individual number); SMS is not encrypted.',
      { offset: myNumber },
    );
  }
}
