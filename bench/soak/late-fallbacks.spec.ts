import { lateFallbacksBesideFaults } from './late-fallbacks';

describe('lateFallbacksBesideFaults', () => {
  const t0 = 1_000_000;
  const marks = [
    { atMs: 10_000, what: 'SIGKILL worker-1' },
    { atMs: 30_000, what: 'PostgreSQL stopped (fast shutdown)' },
    { atMs: 32_000, what: 'PostgreSQL started' },
  ];

  it('names the faults from 15 s before the deadline until the fallback, relative to the deadline', () => {
    const [late] = lateFallbacksBesideFaults([{ deadlineMs: t0 + 31_000, lateMs: 1500, next: 'sms' }], marks, t0);
    expect(late).toEqual({ at_s: 31, late_ms: 1500, next: 'sms', faults: ['-1.0s PostgreSQL stopped (fast shutdown)', '1.0s PostgreSQL started'] });
  });

  it('keeps a fault 14 s before the deadline', () => {
    const [late] = lateFallbacksBesideFaults([{ deadlineMs: t0 + 24_000, lateMs: 100, next: 'line' }], marks, t0);
    expect(late.faults).toEqual(['-14.0s SIGKILL worker-1']);
  });

  it('leaves a fault out once it is more than 15 s before the deadline, or after the fallback', () => {
    const [late] = lateFallbacksBesideFaults([{ deadlineMs: t0 + 26_000, lateMs: 100, next: 'end:failed' }], marks, t0);
    expect(late.faults).toEqual([]);
  });

  it('lists a reading over a window at the time it began, though it was noted when the window ended', () => {
    const noted = [...marks, { atMs: 32_000, what: 'the 2 s after: 92% of 2 cores busy' }, { atMs: 33_000, what: 'SIGKILL api-1' }];
    const swapped = [noted[0], noted[1], noted[2], noted[4], noted[3]];
    const [late] = lateFallbacksBesideFaults([{ deadlineMs: t0 + 31_000, lateMs: 2500, next: 'sms' }], swapped, t0);
    expect(late.faults).toEqual(['-1.0s PostgreSQL stopped (fast shutdown)', '1.0s PostgreSQL started', '1.0s the 2 s after: 92% of 2 cores busy', '2.0s SIGKILL api-1']);
  });
});
