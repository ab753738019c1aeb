import { DomainError } from '@tsunagu/core';
import { assertSendableText, findInvalidChar, findUnstorableString, normalizeText } from './text.guard';

function refusal(text: string): DomainError {
  try {
    assertSendableText(text);
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a DomainError, nothing was thrown');
}

describe('normalizeText (row 47)', () => {
  it('composes combining marks: カ + U+3099 becomes ガ', () => {
    expect(normalizeText('\u30AB\u3099')).toBe('\u30AC');
    expect(normalizeText('e\u0301')).toBe('\u00E9');
  });

  it('keeps half-width katakana half-width (NFC, not NFKC)', () => {
    expect(normalizeText('ｱｲｳ')).toBe('ｱｲｳ');
    expect(normalizeText('ｶﾞ')).toBe('ｶﾞ'); // half-width voiced mark is a separate character
    expect(normalizeText('ｱｲｳ').normalize('NFKC')).toBe('アイウ'); // what NFKC would have done
  });

  it('keeps variant CJK and circled digits as written', () => {
    expect(normalizeText('髙橋')).toBe('髙橋');
    expect(normalizeText('①')).toBe('①');
  });

  it('is idempotent', () => {
    const once = normalizeText('ｶﾞ\u30AB\u3099 🇯🇵 👨‍👩‍👧');
    expect(normalizeText(once)).toBe(once);
  });
});

describe('assertSendableText', () => {
  it.each([
    ['承認コード🔐 123456'],
    ['👨‍👩‍👧 family and 🇯🇵 flag'], // ZWJ inside real text is fine
    ['line one\nline two\r\n\ttabbed'],
    ['ｱｲｳ ｶﾞ 髙'],
    ['{}[]~^\\|€'],
  ])('accepts %j', (text) => {
    expect(() => assertSendableText(text)).not.toThrow();
  });

  it.each([[''], ['   '], ['\n\t\r '], ['\u3000\u3000'], ['\u200B'], ['\u200B\u200C\u200D\uFEFF\u2060'], [' \u200B \u00A0']])(
    'row 15: %j is BODY_EMPTY',
    (text) => {
      expect(refusal(text).code).toBe('BODY_EMPTY');
    },
  );

  it.each([
    ['\uD83D', 0], // row 13: high surrogate at the end
    ['ab\uD83Dcd', 2], // high surrogate followed by a non-low
    ['ab\uDC00', 2], // lone low surrogate
    ['\uDE00\uD83D', 0], // reversed pair
  ])('row 13: %j is INVALID_TEXT at offset %i', (text, offset) => {
    const err = refusal(text);
    expect(err.code).toBe('INVALID_TEXT');
    expect(err.details).toEqual({ offset, reason: 'lone_surrogate' });
  });

  it.each([
    ['abc\u0000def', 3],
    ['\u001b[31mred', 0],
    ['bell\u0007', 4],
    ['del\u007f', 3],
    ['c1\u0085', 2],
    ['c1\u009b31m', 2],
  ])('row 16: %j is INVALID_TEXT at offset %i', (text, offset) => {
    const err = refusal(text);
    expect(err.code).toBe('INVALID_TEXT');
    expect(err.details).toEqual({ offset, reason: 'control_character' });
    expect(err.message).not.toContain(text);
  });

  it('refuses every C0 control but tab, LF and CR, plus DEL and every C1 control', () => {
    const allowed = new Set([0x09, 0x0a, 0x0d]);
    const controls = [...Array(0x20).keys(), 0x7f, ...Array.from({ length: 0x20 }, (_, i) => 0x80 + i)];
    for (const c of controls) {
      const found = findInvalidChar(`a${String.fromCharCode(c)}b`);
      expect([c, found]).toEqual([c, allowed.has(c) ? null : { offset: 1, reason: 'control_character' }]);
    }
    expect(findInvalidChar('\u00a0 ~ \u00ff')).toBeNull();
  });

  it('reports the first problem', () => {
    expect(findInvalidChar('😀ok\u0000\uD83D')).toEqual({ offset: 4, reason: 'control_character' });
    expect(findInvalidChar('😀')).toBeNull();
  });
});

describe('findUnstorableString', () => {
  it('names the path of a NUL or an unpaired surrogate, in values and in keys', () => {
    expect(findUnstorableString({ metadata: { note: 'a\u0000b' } })).toBe('metadata.note');
    expect(findUnstorableString({ line: [{ type: 'text' }, { type: 'text', text: '\uD83D' }] })).toBe('line[1].text');
    expect(findUnstorableString({ rcs: { 'k\u0000': 1 } })).toBe('rcs.k\u0000');
    expect(findUnstorableString({ sender: '\uDC00x' })).toBe('sender');
    expect(findUnstorableString('\u0000')).toBe('(body)');
  });

  it('passes well-formed text, pairs and other control characters (storable, if not sendable)', () => {
    expect(findUnstorableString({ text: '承認コード🔐 👨‍👩‍👧 🇯🇵', metadata: { esc: '\u001b[31m', n: 1, list: [null, true] } })).toBeNull();
  });
});
