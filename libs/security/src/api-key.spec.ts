import { createHash } from 'node:crypto';
import { generateApiKey, hashApiKey, parseApiKey, safeEqual, sha256HexEqual } from './api-key';

describe('generateApiKey', () => {
  it('produces tsk_<12 base62>_<43 base64url> and its SHA-256', () => {
    const key = generateApiKey();
    expect(key.id).toMatch(/^[0-9A-Za-z]{12}$/);
    expect(key.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(key.secret, 'base64url')).toHaveLength(32);
    expect(key.token).toBe(`tsk_${key.id}_${key.secret}`);
    expect(key.hash).toBe(createHash('sha256').update(key.token).digest('hex'));
  });

  it('is unique and parses back, even when the secret contains _ or -', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const key = generateApiKey();
      expect(seen.has(key.id)).toBe(false);
      seen.add(key.id);
      expect(parseApiKey(key.token)).toEqual({ id: key.id, hash: key.hash });
    }
  });

  it('spreads id characters over the whole alphabet', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 500; i++) for (const c of generateApiKey().id) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(62);
  });
});

describe('parseApiKey', () => {
  const good = generateApiKey().token;

  it.each([
    ['empty', ''],
    ['wrong prefix', good.replace('tsk_', 'tsx_')],
    ['too short', good.slice(0, -1)],
    ['too long', `${good}A`],
    ['bad id char', `tsk_${'-'.repeat(12)}${good.slice(16)}`],
    ['bad secret char', `${good.slice(0, -1)}=`],
    ['Bearer prefix', `Bearer ${good}`],
    ['huge', 'tsk_'.repeat(100000)],
    ['non-ASCII', good.replace(/.$/, 'é')],
  ])('returns null for %s', (_name, token) => {
    expect(parseApiKey(token)).toBeNull();
  });

  it('returns null for non-strings without throwing', () => {
    for (const value of [undefined, null, 42, {}, ['tsk_']]) expect(parseApiKey(value)).toBeNull();
  });

  it('hashApiKey hashes the whole token', () => {
    expect(hashApiKey('tsk_x')).toBe(createHash('sha256').update('tsk_x').digest('hex'));
  });
});

describe('safeEqual', () => {
  it('compares strings and buffers', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual(Buffer.from('abc'), 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('', '')).toBe(true);
  });

  it('handles unequal lengths without throwing', () => {
    expect(safeEqual('abc', 'abcd')).toBe(false);
    expect(safeEqual('', 'a')).toBe(false);
    expect(safeEqual(Buffer.alloc(0), Buffer.alloc(64))).toBe(false);
  });

  it('compares UTF-8 bytes, not UTF-16 lengths', () => {
    expect(safeEqual('é', 'é')).toBe(true);
    expect(safeEqual('é', 'e\u0301')).toBe(false);
  });
});

describe('sha256HexEqual', () => {
  it('is true only for the same digest', () => {
    const a = hashApiKey('tsk_a');
    expect(sha256HexEqual(a, hashApiKey('tsk_a'))).toBe(true);
    expect(sha256HexEqual(a, hashApiKey('tsk_b'))).toBe(false);
  });

  it('is false, never a throw, for anything that is not a hex SHA-256', () => {
    const a = hashApiKey('tsk_a');
    expect(sha256HexEqual(a, a.slice(1))).toBe(false);
    expect(sha256HexEqual(a.toUpperCase(), a)).toBe(false);
    expect(sha256HexEqual('', '')).toBe(false);
  });
});
