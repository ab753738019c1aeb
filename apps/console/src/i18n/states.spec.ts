import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REASON_WORDS } from './states';

/**
 * Every reason a channel adapter can give (its ChannelError codes) reads as words on the console,
 * in both languages: staff answering a customer should not have to decode `line_forbidden`. Read
 * from the adapters' sources, so a new code without words fails here.
 */
describe('REASON_WORDS', () => {
  const root = join(__dirname, '../../../../libs');
  const sources = (readdirSync(root, { recursive: true }) as string[]).filter(
    (f) => f.endsWith('.ts') && !/\.(spec|int-spec)\.ts$/.test(f) && !f.split(/[\\/]/).includes('testing'),
  );
  const codes = new Set<string>();
  for (const file of sources) {
    for (const m of readFileSync(join(root, file), 'utf8').matchAll(/ChannelError\.(?:retryable|permanent|unknownOutcome)\(\s*'([a-z0-9_]+)'/g)) codes.add(m[1]);
  }

  it('finds the adapters\' codes', () => {
    expect(codes.size).toBeGreaterThanOrEqual(30);
    expect([...codes]).toEqual(expect.arrayContaining(['no_bind', 'rbm_token_clock_skew', 'line_forbidden']));
  });

  it('has Japanese and English words for each', () => {
    expect([...codes].filter((c) => !REASON_WORDS[c]?.ja || !REASON_WORDS[c]?.en).sort()).toEqual([]);
  });
});
