import { HTTPFetchError, messagingApi } from '@line/bot-sdk';
import { TIMED_OUT, within } from '@tsunagu/core';
import { LineFailure } from './line-error.parser';
import { LineMessage } from './line-message.validator';

/** A call that reached LINE and was answered 2xx, or the failure to classify. */
export type LineCallResult<T> =
  | { ok: true; status: number; requestId: string | null; value: T }
  | { ok: false; failure: LineFailure };

export interface LineClientConfig {
  baseUrl: string;
  channelAccessToken: string;
  timeoutMs: number;
}

/**
 * The Messaging API for one LINE channel, through @line/bot-sdk v10's fetch-based
 * `MessagingApiClient` (its `baseURL` points it at the sandbox in tests). Turns every failure into
 * a `LineFailure` for the one error parser; never throws for HTTP or network trouble.
 */
export class LineApiClient {
  private readonly client: messagingApi.MessagingApiClient;

  constructor(private readonly config: LineClientConfig) {
    this.client = new messagingApi.MessagingApiClient({
      baseURL: config.baseUrl,
      channelAccessToken: config.channelAccessToken,
    });
  }

  /** `POST /v2/bot/message/push` with `X-Line-Retry-Key`. */
  async push(to: string, messages: readonly LineMessage[], retryKey: string): Promise<LineCallResult<{ sentMessageIds: string[] }>> {
    return this.call(async () => {
      const res = await this.client.pushMessageWithHttpInfo({ to, messages: asSdkMessages(messages) }, retryKey);
      return {
        status: res.httpResponse.status,
        requestId: res.httpResponse.headers.get('x-line-request-id'),
        value: { sentMessageIds: (res.body?.sentMessages ?? []).map((m) => m.id) },
      };
    });
  }

  /**
   * `POST /bot/pnp/push` (LINE notification message) with `X-Line-Delivery-Tag` and no retry key:
   * LINE refuses `X-Line-Retry-Key` on this API with 400, so a PNP send cannot be deduplicated and
   * the error parser treats answers that may follow acceptance as unknown outcomes.
   */
  async pnpPush(toHash: string, messages: readonly LineMessage[], deliveryTag: string): Promise<LineCallResult<Record<string, never>>> {
    return this.call(async () => {
      const res = await this.client.pushMessagesByPhoneWithHttpInfo({ to: toHash, messages: asSdkMessages(messages) }, deliveryTag);
      return { status: res.httpResponse.status, requestId: res.httpResponse.headers.get('x-line-request-id'), value: {} };
    });
  }

  private async call<T>(fn: () => Promise<{ status: number; requestId: string | null; value: T }>): Promise<LineCallResult<T>> {
    try {
      const settled = await within(fn(), this.config.timeoutMs);
      if (settled === TIMED_OUT) {
        // The request may still land: a push's retry key makes the resend safe; a PNP send's
        // outcome is unknown (see classifyLineFailure).
        return { ok: false, failure: { kind: 'timeout', timeoutMs: this.config.timeoutMs } };
      }
      return { ok: true, ...settled };
    } catch (err) {
      return { ok: false, failure: toFailure(err) };
    }
  }
}

/** Our validated message objects are plain JSON; the SDK's generated union types are not needed. */
function asSdkMessages(messages: readonly LineMessage[]): messagingApi.Message[] {
  return messages as unknown as messagingApi.Message[];
}

function toFailure(err: unknown): LineFailure {
  if (err instanceof HTTPFetchError) {
    return {
      kind: 'http',
      status: err.status,
      body: err.body,
      retryAfter: err.headers.get('retry-after'),
      requestId: err.headers.get('x-line-request-id'),
      acceptedRequestId: err.headers.get('x-line-accepted-request-id'),
    };
  }
  if (err instanceof SyntaxError) {
    // A 2xx whose body the SDK could not parse (it throws HTTPFetchError for non-2xx before
    // parsing). A push resent with the same retry key answers 409 with the message ids; a PNP
    // send was accepted, but without a retry key it is an unknown outcome, never resent.
    return { kind: 'network', detail: 'unreadable response body' };
  }
  // fetch() rejects with TypeError('fetch failed') and the socket error as its cause. Read by
  // shape, not instanceof: Node's built-in fetch makes its errors in another realm than a jest
  // test's, and the cause's code decides whether a PNP send may be retried.
  const { message, cause } = (typeof err === 'object' && err !== null ? err : {}) as { message?: unknown; cause?: { code?: unknown } };
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  return { kind: 'network', detail: code ?? (typeof message === 'string' ? message : 'unknown failure') };
}
