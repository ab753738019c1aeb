import { randomWindow } from './random-bytes';

describe('randomWindow', () => {
  it('never hands out the same bytes twice, across pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 3000; i += 1) seen.add(randomWindow(12).toString('hex'));
    expect(seen.size).toBe(3000);
  });

  it('keeps a window it handed out intact when the pool is replaced', () => {
    const held = randomWindow(16);
    const copy = Buffer.from(held);
    for (let i = 0; i < 600; i += 1) randomWindow(16);
    expect(held.equals(copy)).toBe(true);
  });

  it('refuses sizes the pool cannot serve', () => {
    expect(() => randomWindow(0)).toThrow(RangeError);
    expect(() => randomWindow(257)).toThrow(RangeError);
  });
});
