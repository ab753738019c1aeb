import { escapeLike } from '../search/like';
import { I18n } from '../i18n/i18n';
import { REASON_WORDS, words } from '../i18n/states';
import { csvCell } from './audit.service';

describe('console helpers', () => {
  it('quotes CSV cells and defuses spreadsheet formulas', () => {
    expect(csvCell('plain')).toBe('"plain"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    for (const f of ['=1+1', '+1', '-1', '@SUM(A1)']) expect(csvCell(f)).toBe(`"'${f}"`);
    expect(csvCell(null)).toBe('""');
  });

  it('escapes LIKE wildcards and the escape character', () => {
    expect(escapeLike('a%b_c\\d')).toBe('a\\%b\\_c\\\\d');
  });

  it('formats dates in Japan time, Japanese style, in either language', () => {
    const at = new Date('2025-01-31T15:30:00Z');
    expect(new I18n('ja').date(at)).toBe('2025/02/01 00:30:00 JST');
    expect(new I18n('en').date(at)).toBe('2025/02/01 00:30:00 JST');
    expect(new I18n('ja').num(1234567)).toBe('1,234,567');
  });

  it('puts reasons in words and shows unknown codes as they are', () => {
    expect(words(REASON_WORDS, 'fallback_timeout', 'en')).toContain('next channel');
    expect(words(REASON_WORDS, 'some_new_code', 'ja')).toBe('some new code');
  });
});
