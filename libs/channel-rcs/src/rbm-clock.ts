import { Logger } from '@nestjs/common';

/*
 * This machine's clock against the OAuth token endpoint's. The JWT assertion that buys an access
 * token carries `iat` and `exp`, and Google refuses one outside the window it accepts
 * (`invalid_grant`, "Invalid JWT: Token must be a short-lived token (60 minutes) and in a
 * reasonable timeframe. Check your iat and exp values in the JWT claim."): with the clock off, no
 * token, and every RCS send would fail as if the key were bad. Every token answer carries the
 * endpoint's time in its `Date` header; read against ours, it says how far off we are.
 */

/**
 * Farther apart than this, our clock is taken to be off, and assertions are signed with the token
 * endpoint's time. Within it, ours is used: `Date` has whole seconds and the answer took its time
 * to arrive, and Google accepts an assertion a little early or late.
 */
export const CLOCK_SKEW_LIMIT_MS = 60_000;

/** The words of Google's `error_description` for an assertion refused for its `iat`/`exp`. */
const TIME_REFUSED = /reasonable timeframe|iat and exp|short-lived token/i;

/** Whether a token endpoint's `error_description` says the assertion's time was refused. */
export function describesTimeRefusal(description: unknown): boolean {
  return typeof description === 'string' && TIME_REFUSED.test(description.slice(0, 500));
}

/** The endpoint's clock minus ours, from an answer's `Date` header and when it arrived; null without a readable one. */
export function skewOf(dateHeader: string | null | undefined, receivedAt: number): number | null {
  if (!dateHeader) return null;
  const at = Date.parse(dateHeader);
  return Number.isFinite(at) ? at - receivedAt : null;
}

/** For health: the last skew measured, when it was, and whether it is past the limit. */
export interface RbmClockState {
  /** The token endpoint's clock minus this machine's, in ms (positive: ours is behind). */
  skewMs: number;
  measuredAt: string;
  /** Past CLOCK_SKEW_LIMIT_MS: assertions are signed with the token endpoint's time meanwhile. */
  off: boolean;
}

/** Says "ahead by 312 s" or "behind by 312 s" for a skew as skewOf measures it. */
export function describeSkew(skewMs: number): string {
  return `${skewMs > 0 ? 'behind' : 'ahead of'} the RBM token endpoint's by ${Math.round(Math.abs(skewMs) / 1000)} s`;
}

/**
 * One agent's view of the token endpoint's clock, from the `Date` of every token answer, granted or
 * refused. One warning when our clock is found off (none again until it has agreed once more), a
 * line when it agrees again. Logs the agent and the skew only.
 */
export class TokenEndpointClock {
  private last: { skewMs: number; at: number } | null = null;
  private warned = false;
  private readonly logger = new Logger('RcsAdapter');

  constructor(
    private readonly agentId: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** A token answer arrived with this `Date` header (or none). */
  observe(dateHeader: string | null | undefined): void {
    const receivedAt = this.now();
    const skewMs = skewOf(dateHeader, receivedAt);
    if (skewMs === null) return;
    this.last = { skewMs, at: receivedAt };
    const off = Math.abs(skewMs) > CLOCK_SKEW_LIMIT_MS;
    if (off && !this.warned) {
      this.warned = true;
      this.logger.warn(
        { agentId: this.agentId, clockSkewMs: skewMs },
        `this machine's clock is ${describeSkew(skewMs)} (its Date header): access-token assertions are signed with the endpoint's time until the clocks agree; fix the machine's time sync (NTP)`,
      );
    } else if (!off && this.warned) {
      this.warned = false;
      this.logger.log({ agentId: this.agentId, clockSkewMs: skewMs }, "this machine's clock agrees with the RBM token endpoint's again");
    }
  }

  /** What to add to our clock to sign an assertion: the measured skew when it is past the limit, else nothing. */
  offsetMs(): number {
    return this.last && Math.abs(this.last.skewMs) > CLOCK_SKEW_LIMIT_MS ? this.last.skewMs : 0;
  }

  /** Null until a token answer with a `Date` has been seen. */
  state(): RbmClockState | null {
    if (!this.last) return null;
    return { skewMs: this.last.skewMs, measuredAt: new Date(this.last.at).toISOString(), off: Math.abs(this.last.skewMs) > CLOCK_SKEW_LIMIT_MS };
  }
}
