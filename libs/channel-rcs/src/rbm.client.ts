import { ChannelError } from '@tsunagu/channels';
import { rbmNetworkError } from './rbm-error.parser';
import { RbmHttp, RbmHttpAnswer } from './rbm-http';
import { RbmTokenProvider, RbmTokenState } from './rbm-token.provider';
import { RbmAgentMessage } from './rich-card.builder';
import { agentBaseUrl, RcsAgentOptions } from './rcs.options';

export interface RbmResponse {
  status: number;
  body: unknown;
  retryAfter: string | null;
  /** The first try's token was refused (401): a new one was had and the request made once more. */
  renewedToken?: boolean;
}

export interface RbmCallStatus {
  at: Date;
  /** The HTTP status, or what stopped the call before an answer (no access token could be had). */
  outcome: number | 'unreachable' | 'no_token';
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

  /** For health: the access token as the calls left it; asks for none. */
  tokenState(): RbmTokenState {
    return this.tokens.state();
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

  /**
   * One try, and after a 401 one more with a new token, within the same call. A 401 is Google
   * refusing the Authorization header, which it checks before it reads the request (the sandbox
   * too): nothing was created, looked up or revoked, so making the same request again cannot do
   * anything twice, for all three calls. A create would be safe to resend even if that were not
   * so: it carries our messageId (the attempt id), RBM refuses a second create of it with 409
   * ALREADY_EXISTS, and the adapter's send() takes that 409 as this attempt's message already
   * sent, so the person gets one message either way. A capability check is a read. A revoke has
   * no key of its own (repeated after it was applied it would answer 404, read as `too_late`) and
   * rests on the 401 alone: refused, it was not applied. Only the 401 is retried here: a timeout,
   * a dropped socket or a 5xx may follow acceptance, and goes to the error parser and the queue as
   * before (resent later under the same messageId). A second 401 is returned as it is (retryable
   * `rbm_unauthenticated`), its token dropped too.
   */
  private async call(method: 'GET' | 'POST' | 'DELETE', path: string, query: Record<string, string>, body?: unknown): Promise<RbmResponse> {
    const first = await this.once(method, path, query, body);
    if (first.refusedToken === undefined) return first.response;
    this.tokens.refused(first.refusedToken);
    const second = await this.once(method, path, query, body);
    if (second.refusedToken !== undefined) this.tokens.refused(second.refusedToken);
    return { ...second.response, renewedToken: true };
  }

  /** One request with the current token; throws a ChannelError when no token can be had or no answer came. */
  private async once(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    query: Record<string, string>,
    body?: unknown,
  ): Promise<{ response: RbmResponse; refusedToken?: string }> {
    let token: string;
    try {
      token = await this.tokens.token();
    } catch (err) {
      this.last = { at: new Date(), outcome: 'no_token' };
      // Nothing was sent: the provider's classified error (permanent for a refused key) stands.
      throw err instanceof ChannelError ? err : ChannelError.retryable('rbm_token_unavailable', 'no RBM access token could be had');
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
    const response = { status: answer.status, body: parseBody(answer.text), retryAfter: answer.retryAfter };
    return { response, refusedToken: answer.status === 401 ? token : undefined };
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
