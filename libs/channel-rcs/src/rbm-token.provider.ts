import { ChannelError } from '@tsunagu/channels';
import { IssuedRbmToken, rbmTokenIssuer } from './rbm-token.client';
import { RcsAgentOptions } from './rcs.options';

/*
 * One agent's OAuth access token: issued on demand from its service-account key, held until a
 * fifth of its life is left, then renewed. The same three calls as the LINE adapter's token
 * source (a token, a refused token dropped, the state for health), so the two channels read alike.
 */

export interface RbmTokenState {
  /** `ok` (a token is held), `not_issued` (none asked for yet), or the code of the last failure to get one. */
  auth: string;
  /** When the held token expires (ISO), or null when none is held. */
  authValidUntil: string | null;
  /**
   * The last refusal and when: RBM answering 401 to a held token (`rbm_unauthenticated`), or the
   * token endpoint refusing the key (`rbm_token_invalid_credentials`, `rbm_token_refused`). Kept
   * after a new token is had, so a refusal between two looks at health still shows.
   */
  authLastRefusal: { at: string; code: string } | null;
  up: boolean;
}

/** Renew once less than this share of a token's life is left (12 of Google's 60 minutes). */
export const RBM_TOKEN_RENEW_WHEN_LEFT = 1 / 5;
/**
 * A token this close to its expiry is not sent: it could expire on the way. At most this many ms,
 * and never more than a twentieth of the token's life (the sandbox can issue tokens of seconds).
 */
export const RBM_TOKEN_EXPIRY_MARGIN_MS = 10_000;
/**
 * After the token endpoint refused the key, every send would ask again and be refused again; this
 * long, the refusal is answered from memory. The key only changes with a restart.
 */
export const RBM_TOKEN_REFUSED_HOLD_MS = 30_000;
/** After no token could be had (network, 5xx), the next try waits this long (sends are retried by the queue). */
export const RBM_TOKEN_UNAVAILABLE_HOLD_MS = 1_000;

/** A held token, times in ms of the provider's clock. */
export interface HeldRbmToken {
  token: string;
  /** When the request that issued it was sent: its life is counted from there, to be safe. */
  issuedAt: number;
  expiresAt: number;
}

/**
 * `fresh`: send with it. `renew`: less than a fifth of its life left; issue a new one, and send
 * with this one only if that fails. `expired`: within the safety margin of its expiry, or past it.
 */
export type RbmTokenPhase = 'none' | 'fresh' | 'renew' | 'expired';

export function rbmTokenPhase(held: Pick<HeldRbmToken, 'issuedAt' | 'expiresAt'> | null, now: number): RbmTokenPhase {
  if (!held) return 'none';
  const life = Math.max(0, held.expiresAt - held.issuedAt);
  const margin = Math.min(RBM_TOKEN_EXPIRY_MARGIN_MS, life / 20);
  if (now >= held.expiresAt - margin) return 'expired';
  if (now >= held.expiresAt - life * RBM_TOKEN_RENEW_WHEN_LEFT) return 'renew';
  return 'fresh';
}

/** Monotonic, in epoch-like ms: a wall-clock step must not make a token look younger than it is. */
const monotonicNow = () => performance.timeOrigin + performance.now();

/**
 * One issuance is in flight at a time; every caller waiting meanwhile gets its result. A failed
 * renewal leaves the held token in use until it expires. A refusal of the key is held for
 * RBM_TOKEN_REFUSED_HOLD_MS, other failures for RBM_TOKEN_UNAVAILABLE_HOLD_MS.
 */
export class RbmTokenProvider {
  private held: HeldRbmToken | null = null;
  private inflight: Promise<HeldRbmToken> | null = null;
  private hold: { error: ChannelError; until: number } | null = null;
  private lastError: ChannelError | null = null;
  private lastRefusal: { at: Date; code: string } | null = null;

  constructor(
    private readonly issue: () => Promise<IssuedRbmToken>,
    private readonly now: () => number = monotonicNow,
  ) {}

  /** A token to send with. Throws a classified ChannelError when none can be had. */
  async token(): Promise<string> {
    const current = this.held;
    if (rbmTokenPhase(current, this.now()) === 'fresh') return (current as HeldRbmToken).token;
    try {
      return (await this.renewal()).token;
    } catch (err) {
      if (current && this.held === current && rbmTokenPhase(current, this.now()) === 'renew') return current.token;
      throw err;
    }
  }

  /**
   * RBM answered 401 to `token`: forget it. Only that token is dropped: when concurrent sends are
   * refused with it, the first drop leads to one new token, and a later drop (or a late 401 to an
   * older token) leaves the new one alone, so the token endpoint is asked once.
   */
  refused(token: string): void {
    this.lastRefusal = { at: new Date(), code: 'rbm_unauthenticated' };
    if (this.held?.token === token) this.held = null;
  }

  /** For health, from what sends saw: no token is asked for here. Named `auth`: logs and the console blank any key holding "token". */
  state(): RbmTokenState {
    const validUntil = this.held ? new Date(Date.now() + (this.held.expiresAt - this.now())).toISOString() : null;
    const authLastRefusal = this.lastRefusal ? { at: this.lastRefusal.at.toISOString(), code: this.lastRefusal.code } : null;
    if (this.lastError) return { auth: this.lastError.code, authValidUntil: validUntil, authLastRefusal, up: false };
    return { auth: this.held ? 'ok' : 'not_issued', authValidUntil: validUntil, authLastRefusal, up: true };
  }

  private renewal(): Promise<HeldRbmToken> {
    if (this.inflight) return this.inflight;
    if (this.hold && this.now() < this.hold.until) return Promise.reject(this.hold.error);
    this.inflight = this.issueOne().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  private async issueOne(): Promise<HeldRbmToken> {
    const issuedAt = this.now();
    try {
      const issued = await this.issue();
      this.held = { token: issued.accessToken, issuedAt, expiresAt: issuedAt + issued.expiresInSeconds * 1000 };
      this.lastError = null;
      this.hold = null;
      return this.held;
    } catch (err) {
      const error = err instanceof ChannelError ? err : ChannelError.retryable('rbm_token_unavailable', 'no RBM access token could be had');
      this.lastError = error;
      if (error.kind === 'permanent') this.lastRefusal = { at: new Date(), code: error.code };
      this.hold = { error, until: this.now() + (error.kind === 'permanent' ? RBM_TOKEN_REFUSED_HOLD_MS : RBM_TOKEN_UNAVAILABLE_HOLD_MS) };
      throw error;
    }
  }
}

/** The provider a configured agent gets: tokens from its service-account key at its token endpoint. */
export function rbmTokenProvider(agent: RcsAgentOptions, timeoutMs: number): RbmTokenProvider {
  return new RbmTokenProvider(rbmTokenIssuer(agent, timeoutMs));
}
