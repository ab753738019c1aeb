import { ChannelError } from '@tsunagu/channels';
import { rbmNetworkError } from './rbm-error.parser';
import { RbmHttp, RbmHttpAnswer } from './rbm-http';
import { RbmTokenProvider } from './rbm-token.provider';
import { RbmAgentMessage } from './rich-card.builder';
import { agentBaseUrl, RcsAgentOptions } from './rcs.options';

export interface RbmResponse {
  status: number;
  body: unknown;
  retryAfter: string | null;
}

export interface RbmCallStatus {
  at: Date;
  /** The HTTP status, or what stopped the call before an answer. */
  outcome: number | 'unreachable' | 'token_unavailable';
}

/**
 * The three RBM REST calls the adapter makes, for one agent. Answers come back as status + body
 * for the adapter to interpret; only failures with no HTTP answer throw (as ChannelErrors).
 * Phone numbers appear in URLs as RBM requires, and are never logged here.
 */
export class RbmClient {
  private last: RbmCallStatus | null = null;
  private readonly http = new RbmHttp();

  constructor(
    readonly agent: RcsAgentOptions,
    private readonly tokens: RbmTokenProvider,
    private readonly timeoutMs: number,
  ) {}

  get lastCall(): RbmCallStatus | null {
    return this.last;
  }

  /** Lets go of the kept-alive connections. */
  close(): void {
    this.http.close();
  }

  /** For health: whether an access token can be had now (cached or fresh). */
  token(): Promise<string> {
    return this.tokens.token();
  }

  capability(phoneE164: string, requestId: string): Promise<RbmResponse> {
    return this.call('GET', `/v1/phones/${encodeURIComponent(phoneE164)}/capabilities`, { requestId });
  }

  createMessage(phoneE164: string, messageId: string, body: RbmAgentMessage): Promise<RbmResponse> {
    return this.call('POST', `/v1/phones/${encodeURIComponent(phoneE164)}/agentMessages`, { messageId }, body);
  }

  revoke(phoneE164: string, messageId: string): Promise<RbmResponse> {
    const path = `/v1/phones/${encodeURIComponent(phoneE164)}/agentMessages/${encodeURIComponent(messageId)}`;
    return this.call('DELETE', path, {});
  }

  private async call(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    query: Record<string, string>,
    body?: unknown,
  ): Promise<RbmResponse> {
    let token: string;
    try {
      token = await this.tokens.token();
    } catch {
      this.last = { at: new Date(), outcome: 'token_unavailable' };
      throw ChannelError.retryable('rbm_token_unavailable', this.tokens.error ?? 'no access token');
    }
    const url = new URL(`${agentBaseUrl(this.agent)}${path}`);
    for (const [key, value] of Object.entries({ ...query, agentId: this.agent.id })) url.searchParams.set(key, value);

    let answer: RbmHttpAnswer;
    try {
      answer = await this.http.request(url, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        timeoutMs: this.timeoutMs,
      });
    } catch (err) {
      this.last = { at: new Date(), outcome: 'unreachable' };
      throw rbmNetworkError(err);
    }
    this.last = { at: new Date(), outcome: answer.status };
    if (answer.status === 401) this.tokens.invalidate();
    return { status: answer.status, body: parseBody(answer.text), retryAfter: answer.retryAfter };
  }
}

function parseBody(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
