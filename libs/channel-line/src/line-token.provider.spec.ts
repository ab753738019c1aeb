import { ChannelError } from '@tsunagu/channels';
import { IssuedLineToken } from './line-token.client';
import {
  ConfiguredLineToken,
  IssuedLineTokens,
  LINE_TOKEN_REFUSED_HOLD_MS,
  LINE_TOKEN_UNAVAILABLE_HOLD_MS,
  lineTokenPhase,
} from './line-token.provider';

const MIN = 60_000;

describe('lineTokenPhase', () => {
  // LINE's 15 minutes: renewed in the last 3, not sent in the last 10 s.
  const held = { issuedAt: 0, expiresAt: 15 * MIN };
  it.each([
    [null, 0, 'none'],
    [held, 0, 'fresh'],
    [held, 12 * MIN - 1, 'fresh'],
    [held, 12 * MIN, 'renew'],
    [held, 15 * MIN - 10_001, 'renew'],
    [held, 15 * MIN - 10_000, 'expired'],
    [held, 16 * MIN, 'expired'],
  ] as const)('%j at %d ms → %s', (token, now, phase) => {
    expect(lineTokenPhase(token, now)).toBe(phase);
  });

  it('keeps the margin under a twentieth of a short life (the sandbox issues tokens of seconds)', () => {
    const short = { issuedAt: 1000, expiresAt: 3000 };
    expect(lineTokenPhase(short, 2599)).toBe('fresh');
    expect(lineTokenPhase(short, 2600)).toBe('renew');
    expect(lineTokenPhase(short, 2899)).toBe('renew');
    expect(lineTokenPhase(short, 2900)).toBe('expired');
    expect(lineTokenPhase({ issuedAt: 5, expiresAt: 5 }, 5)).toBe('expired');
  });
});

/** An issuer the test answers by hand, on a clock the test moves. */
function rig() {
  let now = 1_000_000;
  const pending: { resolve: (t: IssuedLineToken) => void; reject: (e: unknown) => void }[] = [];
  let n = 0;
  const tokens = new IssuedLineTokens(
    () => new Promise<IssuedLineToken>((resolve, reject) => pending.push({ resolve, reject })),
    () => now,
  );
  const answer = async (expiresInSeconds = 900) => {
    const next = pending.shift();
    if (!next) throw new Error('no issuance was asked for');
    next.resolve({ accessToken: `t${++n}`, expiresInSeconds });
    await flush();
  };
  const fail = async (error: ChannelError) => {
    const next = pending.shift();
    if (!next) throw new Error('no issuance was asked for');
    next.reject(error);
    await flush();
  };
  return {
    tokens,
    pending,
    answer,
    fail,
    advance: (ms: number) => (now += ms),
  };
}
const flush = () => new Promise((resolve) => setImmediate(resolve));
const unavailable = ChannelError.retryable('line_token_unavailable', 'down');
const refused = ChannelError.permanent('line_token_invalid_client', 'wrong secret');

describe('IssuedLineTokens', () => {
  it('issues once for concurrent callers and reuses the token while it is fresh', async () => {
    const r = rig();
    const waiting = [r.tokens.token(), r.tokens.token(), r.tokens.token()];
    await flush();
    expect(r.pending).toHaveLength(1);
    await r.answer();
    expect(await Promise.all(waiting)).toEqual(['t1', 't1', 't1']);
    r.advance(12 * MIN - 1);
    expect(await r.tokens.token()).toBe('t1');
    expect(r.pending).toHaveLength(0);
    expect(r.tokens.state()).toMatchObject({ auth: 'ok', up: true });
  });

  it('renews when a fifth of the life is left, callers sharing the one renewal', async () => {
    const r = rig();
    const first = r.tokens.token();
    await r.answer();
    expect(await first).toBe('t1');
    r.advance(12 * MIN);
    const during = [r.tokens.token(), r.tokens.token()];
    await flush();
    expect(r.pending).toHaveLength(1);
    await r.answer();
    expect(await Promise.all(during)).toEqual(['t2', 't2']);
  });

  it('sends with the held token while a renewal fails, and fails once it has expired', async () => {
    const r = rig();
    const first = r.tokens.token();
    await r.answer();
    await first;
    r.advance(13 * MIN);
    const renewing = r.tokens.token();
    await flush();
    await r.fail(unavailable);
    expect(await renewing).toBe('t1');
    expect(r.tokens.state()).toMatchObject({ auth: 'line_token_unavailable', up: false });
    // The next try waits a moment: a failing LINE is not asked on every send.
    expect(await r.tokens.token()).toBe('t1');
    expect(r.pending).toHaveLength(0);
    r.advance(2 * MIN);
    const late = expect(r.tokens.token()).rejects.toBe(unavailable);
    await flush();
    await r.fail(unavailable);
    await late;
  });

  it('holds a refusal of the credentials for a while instead of asking LINE on every send', async () => {
    const r = rig();
    const first = expect(r.tokens.token()).rejects.toBe(refused);
    await flush();
    await r.fail(refused);
    await first;
    await expect(r.tokens.token()).rejects.toBe(refused);
    expect(r.pending).toHaveLength(0);
    r.advance(LINE_TOKEN_REFUSED_HOLD_MS);
    const again = r.tokens.token();
    await flush();
    expect(r.pending).toHaveLength(1);
    await r.answer();
    expect(await again).toBe('t1');
    expect(r.tokens.state()).toMatchObject({ auth: 'ok', up: true });
  });

  it('holds an unavailable LINE only briefly', async () => {
    const r = rig();
    const first = expect(r.tokens.token()).rejects.toBe(unavailable);
    await flush();
    await r.fail(unavailable);
    await first;
    await expect(r.tokens.token()).rejects.toBe(unavailable);
    r.advance(LINE_TOKEN_UNAVAILABLE_HOLD_MS);
    const again = r.tokens.token();
    await flush();
    await r.answer();
    expect(await again).toBe('t1');
  });

  it('drops a refused token once: concurrent 401s with it lead to one new token', async () => {
    const r = rig();
    const first = r.tokens.token();
    await r.answer();
    const refusedToken = await first;
    expect(r.tokens.refused(refusedToken)).toBe(true);
    expect(r.tokens.refused(refusedToken)).toBe(true);
    const retries = [r.tokens.token(), r.tokens.token()];
    await flush();
    expect(r.pending).toHaveLength(1);
    await r.answer();
    expect(await Promise.all(retries)).toEqual(['t2', 't2']);
    // A late 401 to the old token leaves the new one alone.
    expect(r.tokens.refused(refusedToken)).toBe(true);
    expect(await r.tokens.token()).toBe('t2');
    expect(r.pending).toHaveLength(0);
  });

  it('never falls back to a refused token when its renewal fails', async () => {
    const r = rig();
    const first = r.tokens.token();
    await r.answer();
    r.advance(13 * MIN);
    r.tokens.refused(await first);
    const retry = expect(r.tokens.token()).rejects.toBe(unavailable);
    await flush();
    await r.fail(unavailable);
    await retry;
  });

  it('says when the held token expires, by the wall clock', async () => {
    const r = rig();
    expect(r.tokens.state()).toEqual({ auth: 'not_issued', authValidUntil: null, up: true });
    const first = r.tokens.token();
    await r.answer(900);
    await first;
    const until = Date.parse(r.tokens.state().authValidUntil as string);
    expect(Math.abs(until - (Date.now() + 900_000))).toBeLessThan(1000);
  });
});

describe('ConfiguredLineToken', () => {
  it('is the configured token, and a 401 to it is not worth a retry', async () => {
    const configured = new ConfiguredLineToken('long-lived');
    expect(await configured.token()).toBe('long-lived');
    expect(configured.refused()).toBe(false);
    expect(configured.state()).toEqual({ auth: 'configured', authValidUntil: null, up: true });
  });
});
