import { IssuedToken, RenewingToken } from '@tsunagu/channels';
import { LineChannelConfig } from './line-channel.options';
import { issueStatelessLineToken } from './line-token.client';

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

/**
 * Stateless channel access tokens for one channel, issued on demand and renewed as every issued
 * token is (RenewingToken): held until a fifth of their life is left, one issuance in flight, a
 * failed renewal leaving the held token in use until it expires.
 */
export class IssuedLineTokens extends RenewingToken implements LineTokenSource {
  readonly mode = 'issued' as const;

  constructor(issue: () => Promise<IssuedToken>, now?: () => number) {
    super(issue, { code: 'line_token_unavailable', message: 'no LINE channel access token could be issued' }, now);
  }
}

/** The token source a configured channel asks for. */
export function lineTokenSource(channel: LineChannelConfig, baseUrl: string, timeoutMs: number): LineTokenSource {
  if (!channel.issueAccessTokens) return new ConfiguredLineToken(channel.channelAccessToken as string);
  const request = { baseUrl, clientId: channel.id, clientSecret: channel.channelSecret, timeoutMs };
  return new IssuedLineTokens(() => issueStatelessLineToken(request));
}
