import { ChannelError } from './channel-error';

/*
 * An access token a channel issues itself (LINE's stateless channel access tokens, RBM's OAuth
 * tokens): held until a fifth of its life is left, then renewed. One algorithm for every channel
 * that has one, so they renew, fall back and hold failures alike; each channel gives the issuer
 * and the code of a failure its issuer did not classify.
 */

/** A token as the provider issued it. */
export interface IssuedToken {
  accessToken: string;
  expiresInSeconds: number;
}

/** Renew once less than this share of a token's life is left (3 of LINE's 15 minutes, 12 of Google's 60). */
export const TOKEN_RENEW_WHEN_LEFT = 1 / 5;
/**
 * A token this close to its expiry is not sent: it could expire on the way. At most this many ms,
 * and never more than a twentieth of the token's life (the sandboxes issue tokens of seconds).
 */
export const TOKEN_EXPIRY_MARGIN_MS = 10_000;
/**
 * After the provider refused the credentials (LINE's invalid_client, a service-account key Google
 * refuses), every send would ask again and be refused again; this long, the refusal is answered
 * from memory. The credentials only change with a restart.
 */
export const TOKEN_REFUSED_HOLD_MS = 30_000;
/** After no token could be had (network, 5xx), the next try waits this long (sends are retried by the queue). */
export const TOKEN_UNAVAILABLE_HOLD_MS = 1_000;

/** A held token, times in ms of the provider's clock. */
export interface HeldToken {
  token: string;
  /** When the request that issued it was sent: its life is counted from there, to be safe. */
  issuedAt: number;
  expiresAt: number;
}

/**
 * `fresh`: send with it. `renew`: less than a fifth of its life left; issue a new one, and send
 * with this one only if that fails. `expired`: within the safety margin of its expiry, or past it.
 */
export type TokenPhase = 'none' | 'fresh' | 'renew' | 'expired';

export function tokenPhase(held: Pick<HeldToken, 'issuedAt' | 'expiresAt'> | null, now: number): TokenPhase {
  if (!held) return 'none';
  const life = Math.max(0, held.expiresAt - held.issuedAt);
  const margin = Math.min(TOKEN_EXPIRY_MARGIN_MS, life / 20);
  if (now >= held.expiresAt - margin) return 'expired';
  if (now >= held.expiresAt - life * TOKEN_RENEW_WHEN_LEFT) return 'renew';
  return 'fresh';
}

/** For health. Named `auth`, not `token`: logs and the console blank any key holding "token". */
export interface RenewingTokenState {
  /** `ok` (a token is held), `not_issued` (none asked for yet), or the code of the last failure to get one. */
  auth: string;
  /** When the held token expires (ISO), or null when none is held. */
  authValidUntil: string | null;
  up: boolean;
}

/** Monotonic, in epoch-like ms: a wall-clock step must not make a token look younger than it is. */
const monotonicNow = () => performance.timeOrigin + performance.now();

/**
 * Tokens issued on demand and renewed. One issuance is in flight at a time; every caller waiting
 * meanwhile gets its result. A failed renewal leaves the held token in use until it expires. A
 * refusal of the credentials (a permanent ChannelError) is held for TOKEN_REFUSED_HOLD_MS, other
 * failures for TOKEN_UNAVAILABLE_HOLD_MS.
 */
export class RenewingToken {
  private held: HeldToken | null = null;
  private inflight: Promise<HeldToken> | null = null;
  private hold: { error: ChannelError; until: number } | null = null;
  private lastError: ChannelError | null = null;

  constructor(
    private readonly issue: () => Promise<IssuedToken>,
    /** The retryable error an issuer's failure becomes when it is not a ChannelError (`line_token_unavailable`). */
    private readonly unavailable: { code: string; message: string },
    private readonly now: () => number = monotonicNow,
  ) {}

  /** A token to send with; concurrent callers share one issuance. Throws a classified ChannelError. */
  async token(): Promise<string> {
    const current = this.held;
    if (tokenPhase(current, this.now()) === 'fresh') return (current as HeldToken).token;
    try {
      return (await this.renewal()).token;
    } catch (err) {
      if (current && this.held === current && tokenPhase(current, this.now()) === 'renew') return current.token;
      throw err;
    }
  }

  /**
   * The provider answered 401 to `token`: forget it. Only that token is dropped: when concurrent
   * sends are refused with it, the first drop leads to one new token, and a later drop (or a late
   * 401 to an older token) leaves the new one alone, so the provider is asked once. True: another
   * token can be had, so one retry of the refused request is worth making.
   */
  refused(token: string): boolean {
    if (this.held?.token === token) this.held = null;
    return true;
  }

  /** From what sends saw: no token is asked for here. */
  state(): RenewingTokenState {
    const validUntil = this.held ? new Date(Date.now() + (this.held.expiresAt - this.now())).toISOString() : null;
    if (this.lastError) return { auth: this.lastError.code, authValidUntil: validUntil, up: false };
    return { auth: this.held ? 'ok' : 'not_issued', authValidUntil: validUntil, up: true };
  }

  /** Called with every failure to issue, as classified, before it is held and thrown. */
  protected issueFailed(_error: ChannelError): void {
    // Nothing to note here; a channel that reports refusals in its health overrides this.
  }

  private renewal(): Promise<HeldToken> {
    if (this.inflight) return this.inflight;
    if (this.hold && this.now() < this.hold.until) return Promise.reject(this.hold.error);
    this.inflight = this.issueOne().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  private async issueOne(): Promise<HeldToken> {
    const issuedAt = this.now();
    try {
      const issued = await this.issue();
      this.held = { token: issued.accessToken, issuedAt, expiresAt: issuedAt + issued.expiresInSeconds * 1000 };
      this.lastError = null;
      this.hold = null;
      return this.held;
    } catch (err) {
      const error = err instanceof ChannelError ? err : ChannelError.retryable(this.unavailable.code, this.unavailable.message);
      this.lastError = error;
      this.issueFailed(error);
      this.hold = { error, until: this.now() + (error.kind === 'permanent' ? TOKEN_REFUSED_HOLD_MS : TOKEN_UNAVAILABLE_HOLD_MS) };
      throw error;
    }
  }
}
