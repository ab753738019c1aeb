/** One official account the stand-in serves. */
export interface SandboxLineChannel {
  /** A long-lived token the Messaging API accepts; leave out for a channel that only uses issued ones. */
  channelAccessToken?: string;
  /** The channel id: `client_id` at the token endpoint. Without one, the channel is issued no tokens. */
  channelId?: string;
  /** Signs webhooks, and is the `client_secret` at the token endpoint. */
  channelSecret: string;
  /** `U` + 32 hex: the `destination` of its webhooks. */
  botUserId: string;
}

export interface SandboxLineOptions {
  channels: SandboxLineChannel[];
  /** Where signed webhooks are POSTed; none = events are only recorded. */
  webhookUrl?: string;
  /** Delay before a PNP delivery event (LINE sends it when the phone got the message). Default 200 ms. */
  pnpDeliveryDelayMs?: number;
  /** How long a `slow_accept` send waits before answering. Default 3000 ms. */
  slowResponseMs?: number;
  /** Messages each channel may send before every send answers the monthly-limit 429. Default unlimited. */
  monthlyQuota?: number;
  /** Life of a token from `POST /oauth2/v3/token`, in seconds. Default 900 (LINE's 15 minutes). */
  issuedTokenTtlSeconds?: number;
  /** Listen address for startSandboxLine; loopback only. Default 127.0.0.1:0. */
  host?: string;
  port?: number;
}

/**
 * What the next send to a recipient does. `retryable`, `permanent` and `unknown_outcome` are the
 * shared contract suite's names (aliases of server_error, bad_request and accept_then_error).
 */
export const SANDBOX_LINE_OUTCOMES = [
  'accept',
  'rate_limited', // 429 Too Many Requests
  'monthly_quota', // 429 "You have reached your monthly limit."
  'server_error', // 500
  'bad_request', // 400
  'forbidden', // 403
  'pnp_unreachable', // 422 (PNP: the number cannot receive notification messages)
  'accept_then_error', // applied, then answered 500: a push resent with the same key gets 409; a PNP resent is sent again
  'never_delivered', // PNP accepted but no delivery event ever follows
  'slow_accept', // applied, answered only after slowResponseMs: the caller's timeout fires first
  'retryable',
  'permanent',
  'unknown_outcome',
] as const;
export type SandboxLineOutcome = (typeof SANDBOX_LINE_OUTCOMES)[number];

/** Every API request the stand-in received, as received (the authorization header is not kept). */
export interface SandboxLineRequestRecord {
  seq: number;
  at: string;
  method: string;
  path: string;
  /** Which channel's token it carried; null when the token was unknown. */
  botUserId: string | null;
  retryKey: string | null;
  deliveryTag: string | null;
  /** Parsed JSON body, or null when it was not JSON. */
  body: unknown;
  rawBody: string;
  status: number;
  outcome: string;
  /** The `x-line-request-id` it was answered with. */
  requestId: string;
}

/** A message the stand-in "delivered" to a LINE user (one per accepted request). */
export interface SandboxLineMessageRecord {
  kind: 'push' | 'pnp';
  botUserId: string;
  to: string;
  retryKey: string | null;
  deliveryTag: string | null;
  requestId: string;
  sentMessageIds: string[];
  messages: unknown[];
  at: string;
}

/** A webhook the stand-in sent (or tried to send). */
export interface SandboxLineWebhookRecord {
  webhookEventId: string;
  type: string;
  botUserId: string;
  isRedelivery: boolean;
  /** HTTP status from the receiver, 0 when it could not be reached, null when no webhookUrl. */
  status: number | null;
  error?: string;
  at: string;
}

/**
 * A request to the token endpoint, as received: the form with `client_secret` (and any
 * `client_assertion`) replaced, so the records can be served over HTTP; never the issued token.
 */
export interface SandboxLineTokenRequestRecord {
  at: string;
  contentType: string | null;
  /** The form fields as parsed; null when the body was not a form. */
  form: Record<string, string> | null;
  status: number;
  /** LINE's OAuth `error`, or null when a token was issued. */
  error: string | null;
}

export interface SandboxLineRecords {
  requests: SandboxLineRequestRecord[];
  messages: SandboxLineMessageRecord[];
  webhooks: SandboxLineWebhookRecord[];
  /** Messages produced per X-Line-Retry-Key: any value above 1 is a duplicate send. */
  messagesByRetryKey: Record<string, number>;
  /** Tokens issued per channel id since the last reset. */
  tokensIssued: Record<string, number>;
  /** Token requests refused (wrong secret, unknown channel, bad form) since the last reset. */
  tokenRefusals: number;
  tokenRequests: SandboxLineTokenRequestRecord[];
}
