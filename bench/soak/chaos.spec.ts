import { parseFaultCounts, scheduleFaults } from './chaos';

describe('parseFaultCounts (the soak’s --faults)', () => {
  it('takes the named counts and gives every other kind none', () => {
    expect(parseFaultCounts('pg_restart=3,worker_kill=2')).toEqual({
      worker_kill: 2,
      api_kill: 0,
      redis_restart: 0,
      smpp_drop: 0,
      pg_restart: 3,
      early_receipts: 0,
      duplicate_receipts: 0,
    });
  });

  it.each(['pg_restarts=1', 'pg_restart', 'pg_restart=-1', 'pg_restart=two'])('refuses %s, naming the kinds', (spec) => {
    expect(() => parseFaultCounts(spec)).toThrow(/kinds: worker_kill, api_kill/);
  });

  it('schedules exactly the counts given', () => {
    const faults = scheduleFaults(parseFaultCounts('pg_restart=3'), 100_000, () => 0.5);
    expect(faults.map((f) => f.kind)).toEqual(['pg_restart', 'pg_restart', 'pg_restart']);
  });
});
