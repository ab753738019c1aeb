import { ChannelError } from '@tsunagu/channels';
import { LineChannelConfig } from './line-channel.options';
import { IssuedLineToken, issueStatelessLineToken } from './line-token.client';

/**
 * Where one LINE channel's Bearer token comes from: the long-lived token in its config, or
 * stateless tokens Tsunagu issues itself. The same three calls as the RCS adapter's
 * RbmTokenProvider (token, a refused token dropped, the state for health), so the two channels
 * read alike.
 */
export interface LineTokenSource {
  readonly mode: 'configured' | 'issued';
  /** A token to send with; concurrent callers share one issuance. Throws a classified ChannelError. */
  token(): Promise<string>;
  /**
   * The Messaging API answered 401 to `token`: forget it. True when another token can be had, so
   * one retry of the refused request is worth making; false for a configured token.
   */
  refused(token: string): boolean;
  /** For health. Named `auth`, not `token`: logs and the console blank any key holding "token". */
  state(): LineTokenState;
}

export interface LineTokenState {
  /** `configured`, `ok` (a token is held), `not_issued` (none asked for yet), or the last failure's code. */
  auth: string;
  /** When the held issued token expires (ISO); null for a configured token or none held. */
  authValidUntil: string | null;
  up: boolean;
}

/** Renew once less than this share of a token's life is left (3 of LINE's 15 minutes). */
export const LINE_TOKEN_RENEW_WHEN_LEFT = 1 / 5;
/**
 * A token this close to its expiry is not sent: it could expire on the way. At most this many ms,
 * and never more than a twentieth of the token's life (the sandbox issues tokens of seconds).
 */
export const LINE_TOKEN_EXPIRY_MARGIN_MS = 10_000;
/**
 * After LINE refused the credentials (invalid_client), every send would ask again and be refused
 * again; this long, the refusal is answered from memory. The secret only changes with a restart.
 */
export const LINE_TOKEN_REFUSED_HOLD_MS = 30_000;
/** After LINE could not be reached for a token, the next try waits this long (sends are retried by the queue). */
export const LINE_TOKEN_UNAVAILABLE_HOLD_MS = 1_000;

/** A held token, times in ms of the provider's clock. */
export interface HeldLineToken {
  token: string;
  /** When the request that issued it was sent: its life is counted from there, to be safe. */
  issuedAt: number;
  expiresAt: number;
}

/**
 * `fresh`: send with it. `renew`: less than a fifth of its life left; issue a new one, and send
 * with this one only if that fails. `expired`: within the safety margin of its expiry, or past it.
 */
export type LineTokenPhase = 'none' | 'fresh' | 'renew' | 'expired';

export function lineTokenPhase(held: Pick<HeldLineToken, 'issuedAt' | 'expiresAt'> | null, now: number): LineTokenPhase {
  if (!held) return 'none';
  const life = Math.max(0, held.expiresAt - held.issuedAt);
  const margin = Math.min(LINE_TOKEN_EXPIRY_MARGIN_MS, life / 20);
  if (now >= held.expiresAt - margin) return 'expired';
  if (now >= held.expiresAt - life * LINE_TOKEN_RENEW_WHEN_LEFT) return 'renew';
  return 'fresh';
}

/** The long-lived token from the config. A 401 means the config is wrong: nothing to renew. */
export class ConfiguredLineToken implements LineTokenSource {
  readonly mode = 'configured' as const;
  constructor(private readonly value: string) {}
  async token(): Promise<string> {
    return this.value;
  }
  refused(): boolean {
    return false;
  }
  state(): LineTokenState {
    return { auth: 'configured', authValidUntil: null, up: true };
  }
}

/** Monotonic, in epoch-like ms: a wall-clock step must not make a token look younger than it is. */
const monotonicNow = () => performance.timeOrigin + performance.now();

/**
 * Stateless channel access tokens for one channel, issued on demand, held until a fifth of their
 * life is left, then renewed. One issuance is in flight at a time; every caller waiting meanwhile
 * gets its result. A failed renewal leaves the held token in use until it expires.
 */
export class IssuedLineTokens implements LineTokenSource {
  readonly mode = 'issued' as const;
  private held: HeldLineToken | null = null;
  private inflight: Promise<HeldLineToken> | null = null;
  private hold: { error: ChannelError; until: number } | null = null;
  private lastError: ChannelError | null = null;

  constructor(
    private readonly issue: () => Promise<IssuedLineToken>,
    private readonly now: () => number = monotonicNow,
  ) {}

  async token(): Promise<string> {
    const current = this.held;
    if (lineTokenPhase(current, this.now()) === 'fresh') return (current as HeldLineToken).token;
    try {
      return (await this.renewal()).token;
    } catch (err) {
      if (current && this.held === current && lineTokenPhase(current, this.now()) === 'renew') return current.token;
      throw err;
    }
  }

  refused(token: string): boolean {
    // Only the refused token is dropped: if a concurrent 401 already led to a new one, the retry
    // uses that, and LINE is not asked twice.
    if (this.held?.token === token) this.held = null;
    return true;
  }

  state(): LineTokenState {
    const validUntil = this.held ? new Date(Date.now() + (this.held.expiresAt - this.now())).toISOString() : null;
    if (this.lastError) return { auth: this.lastError.code, authValidUntil: validUntil, up: false };
    return { auth: this.held ? 'ok' : 'not_issued', authValidUntil: validUntil, up: true };
  }

  private renewal(): Promise<HeldLineToken> {
    if (this.inflight) return this.inflight;
    if (this.hold && this.now() < this.hold.until) return Promise.reject(this.hold.error);
    this.inflight = this.issueOne().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  private async issueOne(): Promise<HeldLineToken> {
    const issuedAt = this.now();
    try {
      const issued = await this.issue();
      this.held = { token: issued.accessToken, issuedAt, expiresAt: issuedAt + issued.expiresInSeconds * 1000 };
      this.lastError = null;
      this.hold = null;
      return this.held;
    } catch (err) {
      const error = err instanceof ChannelError ? err : ChannelError.retryable('line_token_unavailable', 'no LINE channel access token could be issued');
      this.lastError = error;
      this.hold = { error, until: this.now() + (error.kind === 'permanent' ? LINE_TOKEN_REFUSED_HOLD_MS : LINE_TOKEN_UNAVAILABLE_HOLD_MS) };
      throw error;
    }
  }
}

/** The token source a configured channel asks for. */
export function lineTokenSource(channel: LineChannelConfig, baseUrl: string, timeoutMs: number): LineTokenSource {
  if (!channel.issueAccessTokens) return new ConfiguredLineToken(channel.channelAccessToken as string);
  const request = { baseUrl, clientId: channel.id, clientSecret: channel.channelSecret, timeoutMs };
  return new IssuedLineTokens(() => issueStatelessLineToken(request));
}
