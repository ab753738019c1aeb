import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ChannelEvent, isUuid } from '@tsunagu/core';
import {
  CancelResult,
  CapabilityResult,
  ChannelAdapter,
  ChannelAdapterInstance,
  ChannelError,
  ChannelHealth,
  ChannelTraits,
  ContactView,
  InboundRequest,
  LengthCheck,
  OutboundAttempt,
  SendResult,
} from '@tsunagu/channels';
import {
  assertValidLineOptions,
  DEFAULT_LINE_REQUEST_TIMEOUT_MS,
  LINE_API_BASE_URL,
  LINE_CHANNEL_OPTIONS,
  LineChannelConfig,
  LineChannelOptions,
} from './line-channel.options';
import { classifyLineFailure, LineCallKind } from './line-error.parser';
import { LINE_MAX_TEXT_LENGTH, LineMessage, validateLineMessages } from './line-message.validator';
import { lineTokenSource, LineTokenSource } from './line-token.provider';
import { parseLineWebhook } from './line-webhook.parser';
import { LineApiClient, LineCallResult } from './line.client';

export const LINE_TRAITS: ChannelTraits = {
  // LINE runs on several devices per account: never proof of a SIM, never an OTP channel.
  simBound: false,
  supportsCancel: false,
  supportsReadReceipts: false,
  idempotentSend: true,
  reportsDelivery: false,
  needsMobileNumber: false,
};

/** Last API outcome of one LINE channel, for health(). */
interface ChannelStatus {
  /** `token`: no access token could be issued, so nothing was sent. */
  lastStatus: number | 'network' | 'timeout' | 'token' | null;
  lastCode: string | null;
  lastAt: Date | null;
  /** `x-line-request-id` of the last answer (on a 409, the accepted request's): for LINE support. */
  lastRequestId: string | null;
}

/** SHA-256 (hex) of the E.164 number: the only form of a phone number LINE's PNP API accepts. */
export function hashPhoneForPnp(phoneE164: string): string {
  return createHash('sha256').update(phoneE164, 'utf8').digest('hex');
}

/** Codes after which a channel is not healthy: its token or LINE itself is failing. */
const UNHEALTHY_CODES = new Set([
  'line_unauthorized',
  'line_network_error',
  'line_timeout',
  'line_server_error',
  'line_token_unavailable',
  'line_token_invalid_client',
  'line_token_refused',
]);

@Injectable()
@ChannelAdapter('line')
export class LineAdapter implements ChannelAdapterInstance {
  readonly channel = 'line';
  readonly traits = LINE_TRAITS;
  readonly webhookPath = 'line';

  private readonly logger = new Logger('LineAdapter');
  private readonly channels: readonly LineChannelConfig[];
  private readonly clients = new Map<string, LineApiClient>();
  private readonly tokens = new Map<string, LineTokenSource>();
  private readonly status = new Map<string, ChannelStatus>();
  private unknownDestinations = 0;

  constructor(@Inject(LINE_CHANNEL_OPTIONS) options: LineChannelOptions) {
    assertValidLineOptions(options);
    this.channels = options.channels.map((c) => ({ ...c }));
    const baseUrl = options.apiBaseUrl ?? LINE_API_BASE_URL;
    const timeoutMs = options.requestTimeoutMs ?? DEFAULT_LINE_REQUEST_TIMEOUT_MS;
    for (const c of this.channels) {
      const tokens = lineTokenSource(c, baseUrl, timeoutMs);
      this.tokens.set(c.id, tokens);
      this.clients.set(c.id, new LineApiClient({ baseUrl, tokens, timeoutMs }));
      this.status.set(c.id, { lastStatus: null, lastCode: null, lastAt: null, lastRequestId: null });
    }
  }

  /**
   * Reachable through a linked, still-following LINE user (push), or through the phone number
   * when the tenant's channel has LINE notification messages (PNP). Computed from the contact
   * row alone, so it is never cached: follow/unfollow events change it at once.
   */
  async capability(contact: ContactView): Promise<CapabilityResult> {
    const answer = (reachable: boolean, reason: string): CapabilityResult => ({
      reachable,
      reason,
      checkedAt: new Date(),
      ttlSeconds: 0,
    });
    // A blocked account receives neither push nor notification messages.
    if (contact.lineUserId && contact.lineFollowing === false) return answer(false, 'line_unfollowed');
    if (contact.lineUserId) return answer(true, 'line_linked');
    const channel = this.defaultChannel(contact.tenantId);
    if (channel?.pnpEnabled && contact.phoneE164) return answer(true, 'line_pnp');
    return answer(false, 'no_line_link');
  }

  /**
   * A push carries the attempt id as its retry key, so LINE dedupes a resend; a notification
   * message (PNP: no LINE user id, the phone's hash instead) cannot carry one, so one a crash
   * interrupted is settled as unknown, never sent again. The engine records this answer with the
   * claim, so a LINE link made between a PNP's crash and its recovery does not turn it into a push.
   */
  idempotentFor(attempt: OutboundAttempt): boolean {
    return !!attempt.to.lineUserId;
  }

  async send(attempt: OutboundAttempt): Promise<SendResult> {
    if (attempt.category === 'otp') {
      // The policy refuses this first (BAD-INPUTS #19); this is the last line of defence.
      throw ChannelError.permanent('line_not_allowed_for_otp', 'LINE is never used for one-time passwords');
    }
    if (!isUuid(attempt.attemptId)) {
      // LINE requires the retry key to be a UUID; anything else would be a 400 for every retry.
      throw ChannelError.permanent('line_invalid_retry_key', 'the attempt id is not a UUID');
    }
    const channel = this.channelFor(attempt);
    const messages = this.messagesFor(attempt);
    const client = this.clients.get(channel.id) as LineApiClient;
    // The lower-case attempt id: a push's X-Line-Retry-Key, a PNP send's X-Line-Delivery-Tag.
    const key = attempt.attemptId.toLowerCase();

    if (attempt.to.lineUserId) {
      const result = await client.push(attempt.to.lineUserId, messages, key);
      const { ids, requestId } = this.settle(channel, attempt, result, { retryKey: true }, (value) => value.sentMessageIds);
      return { providerMessageId: ids[0] ?? null, route: channel.id, submittedAt: new Date(), awaitsDelivery: false, note: 'push', providerRequestId: requestId };
    }
    if (!channel.pnpEnabled) {
      throw ChannelError.permanent('no_line_link', 'the contact has no LINE link and the channel has no notification messages');
    }
    if (!attempt.to.phoneE164) throw ChannelError.permanent('no_line_link', 'no phone number for a notification message');
    // LINE takes no retry key here (see pnpPush): the delivery tag names the delivery event.
    const result = await client.pnpPush(hashPhoneForPnp(attempt.to.phoneE164), messages, key);
    const { ids, requestId } = this.settle(channel, attempt, result, { retryKey: false }, () => []);
    // PNP answers with no message id; its delivery event names the delivery tag (the attempt id).
    return { providerMessageId: ids[0] ?? null, route: channel.id, submittedAt: new Date(), awaitsDelivery: true, note: 'pnp', providerRequestId: requestId };
  }

  /** Accept-time check of the plain text: one text message, at most 5000 UTF-16 units. */
  checkLength(text: string): LengthCheck {
    return { fits: text.length <= LINE_MAX_TEXT_LENGTH, limit: LINE_MAX_TEXT_LENGTH, units: text.length, encoding: 'utf-16' };
  }

  /** Accept-time check of a request's `line` message objects; the problems, or none. */
  validateContent(content: unknown): string[] {
    const checked = validateLineMessages(content);
    return checked.ok ? [] : checked.errors;
  }

  async cancel(): Promise<CancelResult> {
    return 'unsupported';
  }

  async parseInbound(request: InboundRequest): Promise<ChannelEvent[]> {
    const result = parseLineWebhook(request, this.channels);
    if (result.status === 'unknown_destination') {
      this.unknownDestinations += 1;
      this.logger.warn('LINE webhook for a destination with no configured channel: ignored');
    }
    return result.events;
  }

  async health(): Promise<ChannelHealth> {
    const channels: Record<string, unknown> = {};
    let up = true;
    for (const c of this.channels) {
      const s = this.status.get(c.id) as ChannelStatus;
      if (s.lastCode && UNHEALTHY_CODES.has(s.lastCode)) up = false;
      // From what the sends saw: health issues no token of its own.
      const { up: authUp, ...auth } = (this.tokens.get(c.id) as LineTokenSource).state();
      if (!authUp) up = false;
      channels[c.id] = { tenantId: c.tenantId, pnpEnabled: c.pnpEnabled, ...s, lastAt: s.lastAt?.toISOString() ?? null, ...auth };
    }
    return { up, detail: { channels, unknownDestinations: this.unknownDestinations } };
  }

  /** `attempt.sender` when it names one of the tenant's channels, else the tenant's default. */
  private channelFor(attempt: OutboundAttempt): LineChannelConfig {
    if (attempt.sender) {
      const named = this.channels.find((c) => c.id === attempt.sender && c.tenantId === attempt.tenantId);
      if (named) return named;
    }
    const channel = this.defaultChannel(attempt.tenantId);
    if (!channel) throw ChannelError.permanent('line_channel_not_configured', 'the tenant has no LINE channel');
    return channel;
  }

  /** The tenant's channel marked default, or its only channel. */
  private defaultChannel(tenantId: string): LineChannelConfig | undefined {
    const own = this.channels.filter((c) => c.tenantId === tenantId);
    return own.find((c) => c.default) ?? (own.length === 1 ? own[0] : undefined);
  }

  private messagesFor(attempt: OutboundAttempt): LineMessage[] {
    const messages: unknown =
      attempt.line && attempt.line.length > 0 ? attempt.line : [{ type: 'text', text: attempt.text }];
    const checked = validateLineMessages(messages);
    if (!checked.ok) {
      throw ChannelError.permanent('line_invalid_message', `LINE message objects rejected: ${checked.errors.join('; ')}`);
    }
    return messages as LineMessage[];
  }

  /**
   * Records the outcome for health and returns the value, or throws the classified error. Request
   * ids are logged with the attempt id (no user id, no number, no text) so a failure can be taken
   * to LINE's support.
   */
  private settle<T>(
    channel: LineChannelConfig,
    attempt: OutboundAttempt,
    result: LineCallResult<T>,
    call: LineCallKind,
    ids: (value: T) => string[],
  ): { ids: string[]; requestId: string | null } {
    const status = this.status.get(channel.id) as ChannelStatus;
    status.lastAt = new Date();
    if (result.renewedToken) {
      this.logger.log({ attemptId: attempt.attemptId, channelId: channel.id }, 'LINE refused the channel access token (401): issued a new one and sent once more');
    }
    if (result.ok) {
      Object.assign(status, { lastStatus: result.status, lastCode: null, lastRequestId: result.requestId });
      return { ids: ids(result.value), requestId: result.requestId };
    }
    const failure = result.failure;
    const outcome = classifyLineFailure(failure, call);
    status.lastStatus = failure.kind === 'http' ? failure.status : failure.kind;
    const requestId = failure.kind === 'http' ? (failure.requestId ?? null) : null;
    if (outcome.outcome === 'accepted_before') {
      // 409: the retry key was accepted by an earlier try of this attempt. LINE does not send it twice.
      Object.assign(status, { lastCode: null, lastRequestId: outcome.acceptedRequestId ?? requestId });
      this.logger.log({ attemptId: attempt.attemptId, channelId: channel.id, requestId, acceptedRequestId: outcome.acceptedRequestId }, 'LINE retry key accepted before (409): sent once');
      return { ids: outcome.sentMessageIds, requestId: outcome.acceptedRequestId ?? requestId };
    }
    Object.assign(status, { lastCode: outcome.error.code, lastRequestId: requestId });
    this.logger.warn(
      { attemptId: attempt.attemptId, channelId: channel.id, status: status.lastStatus, code: outcome.error.code, kind: outcome.error.kind, requestId },
      'LINE send failed',
    );
    throw outcome.error.withProviderRequestId(requestId);
  }
}
