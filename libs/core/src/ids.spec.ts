import { isUuid, newId } from './ids';

describe('newId (UUIDv7)', () => {
  it('is a version-7, RFC 4122 variant UUID carrying its millisecond timestamp', () => {
    const at = Date.UTC(2026, 10, 25, 1, 2, 3, 456);
    const id = newId(at);
    expect(isUuid(id)).toBe(true);
    expect(id[14]).toBe('7');
    expect(['8', '9', 'a', 'b']).toContain(id[19]);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(at);
  });

  it('sorts by time, and never repeats across many pool refills', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => newId(1_800_000_000_000 + Math.floor(i / 10)));
    expect(new Set(ids).size).toBe(ids.length);
    // In the order they were made, within a millisecond too (a transaction's events share created_at).
    expect([...ids].sort()).toEqual(ids);
    // The random part differs even for ids of the same millisecond.
    expect(new Set(ids.slice(0, 10).map((id) => id.slice(19))).size).toBe(10);
  });

  it('counts up from a random start in each millisecond, and stays unique past 2,048 in one', () => {
    const at = 1_800_000_123_456;
    const starts = new Set(Array.from({ length: 20 }, (_, i) => newId(at + 10 * i).slice(15, 18)));
    expect(starts.size).toBeGreaterThan(10);
    const burst = Array.from({ length: 5000 }, () => newId(at + 1000));
    expect(new Set(burst).size).toBe(burst.length);
    const counters = burst.map((id) => parseInt(id.slice(15, 18), 16));
    // Monotonic until the 12-bit counter is spent, then a fresh random start, still unique.
    const firstDrop = counters.findIndex((c, i) => i > 0 && c <= counters[i - 1]);
    expect(firstDrop).toBeGreaterThanOrEqual(2048);
    expect(counters.slice(0, firstDrop)).toEqual(counters.slice(0, firstDrop).map((_, i) => counters[0] + i));
  });
});
