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
    const byTime = [...ids].sort();
    // Within one millisecond the order is random; across milliseconds it is the time order.
    expect(byTime.map((id) => id.slice(0, 13))).toEqual(ids.map((id) => id.slice(0, 13)));
    // The random part differs even for ids of the same millisecond.
    expect(new Set(ids.slice(0, 10).map((id) => id.slice(19))).size).toBe(10);
  });
});
