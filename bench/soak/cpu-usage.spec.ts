import { busyShare, parseMachineTicks } from './cpu-usage';

// Two readings of a 2-core machine's /proc/stat, 1 s (200 ticks of its cores) apart.
const before = ['cpu  1000 10 500 8000 100 0 20 0 0 0', 'cpu0 500 5 250 4000 50 0 10 0 0 0', 'cpu1 500 5 250 4000 50 0 10 0 0 0', 'intr 1'].join('\n');
const after = ['cpu  1120 10 550 8025 105 0 20 0 0 0', 'cpu0 560 5 275 4012 53 0 10 0 0 0', 'cpu1 560 5 275 4013 52 0 10 0 0 0', 'intr 2'].join('\n');

describe('the machine CPU reading the soak marks after each PostgreSQL restart', () => {
  it('counts idle and iowait as spare, everything else as busy, and the cores', () => {
    expect(parseMachineTicks(before)).toEqual({ busy: 1530, total: 9630, cores: 2 });
  });

  it('gives the busy share of all cores between two readings', () => {
    // 170 busy ticks (120 user, 50 system) of 200: 85%.
    expect(busyShare(parseMachineTicks(before)!, parseMachineTicks(after)!)).toBeCloseTo(0.85, 5);
  });

  it('answers null for what is not /proc/stat', () => {
    expect(parseMachineTicks('')).toBeNull();
    expect(parseMachineTicks('cpu  a b c d e')).toBeNull();
    expect(parseMachineTicks('intr 1\ncpu  1 2 3 4 5')).toBeNull();
  });
});
