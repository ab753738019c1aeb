/** Nest token under which `LineChannelModule.register()` provides the options. */
export const LINE_CHANNEL_OPTIONS = Symbol('LINE_CHANNEL_OPTIONS');

/** One LINE Official Account (a Messaging API channel) of a tenant. */
export interface LineChannelConfig {
  /** LINE's channel id; also the `account` on every event from this channel. */
  id: string;
  tenantId: string;
  /** The bot's user id: the `destination` of this channel's webhooks (`U` + 32 hex). */
  botUserId: string;
  /** Secret: signs webhooks, and with `id` issues access tokens (`issueAccessTokens`). Never logged. */
  channelSecret: string;
  /**
   * Secret: a long-lived Bearer token for the Messaging API, pasted from the LINE Developers
   * Console. Never logged. Give this or `issueAccessTokens`, not both.
   */
  channelAccessToken?: string;
  /**
   * Tsunagu issues its own stateless channel access tokens (15 minutes each) from `id` and
   * `channelSecret` at LINE's `POST /oauth2/v3/token`, caches them per channel and renews them
   * before they expire: no long-lived token to paste or leak. Instead of `channelAccessToken`.
   */
  issueAccessTokens?: boolean;
  /** LINE notification messages (PNP) are contracted for this channel: send by hashed phone. */
  pnpEnabled: boolean;
  /** The tenant's channel when an attempt names none. One per tenant at most. */
  default?: boolean;
}

export interface LineChannelOptions {
  channels: LineChannelConfig[];
  /** Messaging API base URL; `https://api.line.me` in production, the sandbox in tests. */
  apiBaseUrl?: string;
  /**
   * `https://api-data.line.me` (message content). Kept in the options so inbound media can be
   * fetched later without a config change; nothing reads it yet.
   */
  dataApiBaseUrl?: string;
  /**
   * Upper bound on one API call. The SDK's fetch has no timeout of its own; a hung call would hold
   * the send job forever. A timeout is retryable: the retry key makes the resend safe.
   */
  requestTimeoutMs?: number;
}

export const LINE_API_BASE_URL = 'https://api.line.me';
export const LINE_DATA_API_BASE_URL = 'https://api-data.line.me';
export const DEFAULT_LINE_REQUEST_TIMEOUT_MS = 10_000;
/** LINE's stateless channel access token endpoint, on the Messaging API's host (`apiBaseUrl`). */
export const LINE_STATELESS_TOKEN_PATH = '/oauth2/v3/token';

/**
 * LINE sends a PNP delivery event when the message reached the person; "if the event has not
 * arrived within 24 hours, assume the message was not delivered" (LINE notification messages
 * documentation). The engine's delivery timer for a PNP attempt should use this.
 */
export const LINE_PNP_DELIVERY_TIMEOUT_SECONDS = 24 * 60 * 60;

const BOT_USER_ID_RE = /^U[0-9a-f]{32}$/;
/** LINE channel ids are decimal numbers (the console's "Channel ID"); the token endpoint's client_id. */
const CHANNEL_ID_RE = /^[0-9]{1,20}$/;

/**
 * Checked when the adapter is built, so a bad configuration stops start-up with a message that
 * says what to fix. Messages name channel ids only, never secrets.
 */
export function assertValidLineOptions(options: LineChannelOptions): void {
  const problems: string[] = [];
  if (!options || !Array.isArray(options.channels)) {
    throw new Error('LINE channel options: `channels` must be an array of LINE channel configs.');
  }
  const ids = new Set<string>();
  const bots = new Set<string>();
  const defaults = new Map<string, string>();
  options.channels.forEach((c, i) => {
    const where = `channels[${i}]${c?.id ? ` (id ${c.id})` : ''}`;
    if (!c || typeof c.id !== 'string' || c.id === '') problems.push(`${where}: id is required`);
    else if (ids.has(c.id)) problems.push(`${where}: duplicate channel id`);
    else ids.add(c.id);
    if (typeof c?.tenantId !== 'string' || c.tenantId === '') problems.push(`${where}: tenantId is required`);
    if (typeof c?.botUserId !== 'string' || !BOT_USER_ID_RE.test(c.botUserId)) {
      problems.push(`${where}: botUserId must be the bot's user id, U followed by 32 hex digits`);
    } else if (bots.has(c.botUserId)) problems.push(`${where}: two channels share one botUserId`);
    else bots.add(c.botUserId);
    if (typeof c?.channelSecret !== 'string' || c.channelSecret === '') problems.push(`${where}: channelSecret is required`);
    problems.push(...accessTokenProblems(c, where));
    if (typeof c?.pnpEnabled !== 'boolean') problems.push(`${where}: pnpEnabled must be true or false`);
    if (c?.default) {
      const other = defaults.get(c.tenantId);
      if (other) problems.push(`${where}: tenant ${c.tenantId} already has default channel ${other}`);
      else defaults.set(c.tenantId, c.id);
    }
  });
  for (const [key, value] of [
    ['apiBaseUrl', options.apiBaseUrl],
    ['dataApiBaseUrl', options.dataApiBaseUrl],
  ] as const) {
    if (value !== undefined && !/^https?:\/\/[^/]+\/?$/.test(value)) {
      // The SDK resolves absolute paths (`/v2/bot/...`) against the base URL, so a path prefix
      // would be silently dropped: only scheme://host[:port] is accepted.
      problems.push(`${key} must be scheme://host[:port] without a path, got ${value}`);
    }
  }
  if (options.requestTimeoutMs !== undefined && !(options.requestTimeoutMs > 0)) {
    problems.push('requestTimeoutMs must be a positive number of milliseconds');
  }
  if (problems.length > 0) {
    throw new Error(`Invalid LINE channel options:\n- ${problems.join('\n- ')}`);
  }
}

/** Exactly one way to the Messaging API's Bearer token: a configured one, or issued ones. */
function accessTokenProblems(c: LineChannelConfig | undefined, where: string): string[] {
  const issue = c?.issueAccessTokens;
  if (issue !== undefined && typeof issue !== 'boolean') return [`${where}: issueAccessTokens must be true or false`];
  const token = c?.channelAccessToken;
  if (token !== undefined && (typeof token !== 'string' || token === '')) {
    return [`${where}: channelAccessToken must be a non-empty string (or leave it out and set issueAccessTokens: true)`];
  }
  if (issue && token !== undefined) {
    return [`${where}: give channelAccessToken or issueAccessTokens: true, not both`];
  }
  if (!issue && token === undefined) {
    return [`${where}: channelAccessToken is required, or issueAccessTokens: true to issue stateless tokens from id and channelSecret`];
  }
  if (issue && !(typeof c?.id === 'string' && CHANNEL_ID_RE.test(c.id))) {
    return [`${where}: issueAccessTokens needs id to be the LINE channel id (digits), the token endpoint's client_id`];
  }
  return [];
}
