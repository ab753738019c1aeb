import { awayBackoffMs, isDatabaseAway, retryWhileDatabaseAway } from './database-away';

describe('isDatabaseAway', () => {
  it.each([
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['a reset socket', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    ['pg losing the connection', new Error('Connection terminated unexpectedly')],
    ['a client left unusable', new Error('Client has encountered a connection error and is not queryable')],
    ['a server shutting down (57P01)', Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })],
    ['a server starting up (57P03)', Object.assign(new Error('the database system is starting up'), { code: '57P03' })],
    ['a connection failure (08006)', Object.assign(new Error('connection failure'), { code: '08006' })],
    ['a deadlock (40P01)', Object.assign(new Error('deadlock detected'), { code: '40P01' })],
    ['too many connections (53300)', Object.assign(new Error('sorry, too many clients already'), { code: '53300' })],
  ])('is true for %s', (_, err) => expect(isDatabaseAway(err)).toBe(true));

  it.each([
    ['a unique violation', Object.assign(new Error('duplicate key'), { code: '23505' })],
    ['a syntax error', Object.assign(new Error('syntax error at or near'), { code: '42601' })],
    ['a bug in our code', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['nothing', null],
    ['a string', 'Connection terminated'],
  ])('is false for %s', (_, err) => expect(isDatabaseAway(err)).toBe(false));
});

describe('retryWhileDatabaseAway', () => {
  const away = () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });

  it('runs again while the database is away, then returns what the run gave', async () => {
    let tries = 0;
    const waits: number[] = [];
    const result = await retryWhileDatabaseAway(
      async () => {
        tries++;
        if (tries < 3) throw away();
        return 'recorded';
      },
      { budgetMs: 10_000, sleep: async (ms) => waits.push(ms) },
    );
    expect(result).toBe('recorded');
    expect(tries).toBe(3);
    expect(waits).toEqual([200, 400]);
  });

  it('does not run again for an error the statement itself caused', async () => {
    let tries = 0;
    const err = Object.assign(new Error('duplicate key'), { code: '23505' });
    await expect(
      retryWhileDatabaseAway(
        async () => {
          tries++;
          throw err;
        },
        { budgetMs: 10_000, sleep: async () => undefined },
      ),
    ).rejects.toBe(err);
    expect(tries).toBe(1);
  });

  it('gives up with the last error once the next wait would pass the budget', async () => {
    let tries = 0;
    const waits: number[] = [];
    await expect(
      retryWhileDatabaseAway(
        async () => {
          tries++;
          throw away();
        },
        { budgetMs: 1000, sleep: async (ms) => waits.push(ms) },
      ),
    ).rejects.toThrow('ECONNREFUSED');
    // These sleeps take no time, so the fourth wait (1.6 s) is the first that would end past 1 s.
    expect(waits).toEqual([200, 400, 800]);
    expect(tries).toBe(4);
  });

  it('backs off from 0.2 s, doubling, to at most 3.2 s', () => {
    expect([1, 2, 3, 4, 5, 6, 9].map(awayBackoffMs)).toEqual([200, 400, 800, 1600, 3200, 3200, 3200]);
  });
});
