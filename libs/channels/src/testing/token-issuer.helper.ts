import { IssuedToken } from '../renewing-token';

/** Lets pending promise callbacks run, so what a settled issuance led to can be looked at. */
export const flushIssuance = () => new Promise((resolve) => setImmediate(resolve));

/**
 * A token issuer the test answers by hand, on a clock the test moves: hand `issue` and `now` to a
 * RenewingToken (or a channel's subclass), then `answer` or `fail` each issuance it asked for.
 * Tokens are `t1`, `t2`, … in the order they are answered.
 */
export function tokenIssuerByHand() {
  let now = 1_000_000;
  let issuedCount = 0;
  const pending: { resolve: (t: IssuedToken) => void; reject: (e: unknown) => void }[] = [];
  const settle = () => {
    const next = pending.shift();
    if (!next) throw new Error('no issuance was asked for');
    return next;
  };
  return {
    issue: () => new Promise<IssuedToken>((resolve, reject) => pending.push({ resolve, reject })),
    now: () => now,
    /** The issuances asked for and not answered yet. */
    pending,
    answer: async (expiresInSeconds = 900) => {
      settle().resolve({ accessToken: `t${++issuedCount}`, expiresInSeconds });
      await flushIssuance();
    },
    fail: async (error: unknown) => {
      settle().reject(error);
      await flushIssuance();
    },
    advance: (ms: number) => (now += ms),
  };
}
