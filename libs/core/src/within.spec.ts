import { TIMED_OUT, within } from './within';

describe('within', () => {
  it('answers the value of a promise that settles in time', async () => {
    await expect(within(Promise.resolve(7), 50)).resolves.toBe(7);
  });

  it('answers TIMED_OUT for one that does not, and a late rejection is never unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const slow = new Promise<number>((_, reject) => setTimeout(() => reject(new Error('late')), 30));
      await expect(within(slow, 5)).resolves.toBe(TIMED_OUT);
      await new Promise((r) => setTimeout(r, 60));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('passes a rejection in time on as a rejection', async () => {
    await expect(within(Promise.reject(new Error('refused')), 50)).rejects.toThrow('refused');
  });

  it('leaves no timer behind once the race is over', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    await within(Promise.resolve(1), 60_000);
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(before);
  });
});
