import { ChannelError, IssuedToken, RenewingToken, RenewingTokenState } from '@tsunagu/channels';
import { RbmClockState, TokenEndpointClock } from './rbm-clock';
import { rbmTokenIssuer } from './rbm-token.client';
import { RcsAgentOptions } from './rcs.options';

/*
 * One agent's OAuth access token: issued on demand from its service-account key and renewed as
 * every issued token is (RenewingToken: held until a fifth of its life is left, one issuance in
 * flight, a failed renewal leaving the held token in use until it expires). The same three calls
 * as the LINE adapter's token source (a token, a refused token dropped, the state for health), so
 * the two channels read alike; RBM's health also names the last refusal.
 */

export interface RbmTokenState extends RenewingTokenState {
  /**
   * The last refusal and when: RBM answering 401 to a held token (`rbm_unauthenticated`), or the
   * token endpoint refusing the key (`rbm_token_invalid_credentials`, `rbm_token_refused`) or the
   * assertion's time (`rbm_token_clock_skew`, when signing with its time did not help). Kept
   * after a new token is had, so a refusal between two looks at health still shows.
   */
  authLastRefusal: { at: string; code: string } | null;
  /**
   * This machine's clock against the token endpoint's, from the last token answer's `Date`: null
   * until one came. `off` while more than a minute apart (rbm-clock.ts): fix the machine's time.
   */
  clock: RbmClockState | null;
}

export class RbmTokenProvider extends RenewingToken {
  private lastRefusal: { at: Date; code: string } | null = null;

  constructor(
    issue: () => Promise<IssuedToken>,
    now?: () => number,
    /** The clock the issuer reads off the token endpoint's answers, for health. */
    private readonly clock?: TokenEndpointClock,
  ) {
    super(issue, { code: 'rbm_token_unavailable', message: 'no RBM access token could be had' }, now);
  }

  /** RBM answered 401 to `token`: forget it (only it), and note the refusal for health. */
  override refused(token: string): boolean {
    this.lastRefusal = { at: new Date(), code: 'rbm_unauthenticated' };
    return super.refused(token);
  }

  /** For health, from what sends saw: no token is asked for here. */
  override state(): RbmTokenState {
    const { auth, authValidUntil, up } = super.state();
    const authLastRefusal = this.lastRefusal ? { at: this.lastRefusal.at.toISOString(), code: this.lastRefusal.code } : null;
    return { auth, authValidUntil, authLastRefusal, clock: this.clock?.state() ?? null, up };
  }

  protected override issueFailed(error: ChannelError): void {
    if (error.kind === 'permanent' || error.code === 'rbm_token_clock_skew') this.lastRefusal = { at: new Date(), code: error.code };
  }
}

/** The provider a configured agent gets: tokens from its service-account key at its token endpoint. */
export function rbmTokenProvider(agent: RcsAgentOptions, timeoutMs: number): RbmTokenProvider {
  const clock = new TokenEndpointClock(agent.id);
  return new RbmTokenProvider(rbmTokenIssuer(agent, timeoutMs, clock), undefined, clock);
}
