import { containsContextWord, contextWords } from './context-words';

describe('context words of a new password', () => {
  it("are the email's local part and the organisation's name, whole and in parts, from four characters", () => {
    expect(contextWords('Taro.Yamada@example.jp', 'acme-corp')).toEqual(['taro.yamada', 'taro', 'yamada', 'acme-corp', 'acme', 'corp']);
    expect(contextWords('ops@example.jp', 'jp')).toEqual([]);
  });

  it('are found anywhere in the password, whatever its case or width', () => {
    expect(containsContextWord('my name is YAMADA and I like tea', 'taro.yamada@example.jp', 'x')).toBe(true);
    expect(containsContextWord('ｙａｍａｄａ rides the night train', 'taro.yamada@example.jp', 'x')).toBe(true);
    expect(containsContextWord('we work at Acme Corp since 2019', 'ops@example.jp', 'acme-corp')).toBe(true);
    expect(containsContextWord('correct horse battery staple', 'taro.yamada@example.jp', 'acme-corp')).toBe(false);
    // A short local part forbids nothing: "ops" is in too many good phrases.
    expect(containsContextWord('tops of the mountains at dawn', 'ops@example.jp', 'jp')).toBe(false);
  });
});
