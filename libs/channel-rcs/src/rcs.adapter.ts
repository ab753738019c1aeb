import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ChannelEvent } from '@tsunagu/core';
import {
  CancelResult,
  CapabilityResult,
  ChannelAdapter,
  ChannelAdapterInstance,
  ChannelError,
  ChannelHealth,
  ChannelTraits,
  ContactView,
  DirectReply,
  InboundRequest,
  InvalidInboundError,
  LengthCheck,
  OutboundAttempt,
  SendResult,
} from '@tsunagu/channels';
import { DeliveredIdsCache } from './delivered-ids.cache';
import { parseRbmError } from './rbm-error.parser';
import { mapRbmEvent } from './rbm-event.parser';
import { rbmTokenProvider } from './rbm-token.provider';
import { decodeRbmPush, readRbmHandshake, safeEqual, WebhookSigner } from './rbm-webhook.parser';
import { RbmClient, RbmResponse } from './rbm.client';
import { RcsContentSchema } from './rcs-content.schema';
import { buildAgentMessage, RBM_TEXT_MAX } from './rich-card.builder';
import { RCS_CHANNEL_OPTIONS, RcsAgentOptions, RcsChannelOptions, resolveRcsOptions, ResolvedRcsChannelOptions } from './rcs.options';

export const RCS_TRAITS: ChannelTraits = {
  simBound: false,
  supportsCancel: true,
  supportsReadReceipts: true,
  idempotentSend: true,
  reportsDelivery: true,
  needsMobileNumber: true,
};

/** RCS through Google's RBM REST API v1, with several agents per tenant. */
@Injectable()
@ChannelAdapter('rcs')
export class RcsAdapter implements ChannelAdapterInstance {
  readonly channel = 'rcs';
  readonly traits = RCS_TRAITS;
  readonly webhookPath = 'rbm';
  private readonly logger = new Logger('RcsAdapter');

  private readonly options: ResolvedRcsChannelOptions;
  private readonly clients = new Map<string, RbmClient>();
  private readonly signers: WebhookSigner<RcsAgentOptions>[];
  private readonly delivered: DeliveredIdsCache;

  constructor(@Inject(RCS_CHANNEL_OPTIONS) options: RcsChannelOptions) {
    this.options = resolveRcsOptions(options);
    for (const agent of this.options.agents) {
      const tokens = rbmTokenProvider(agent, this.options.requestTimeoutMs);
      this.clients.set(agent.id, new RbmClient(agent, tokens, this.options.requestTimeoutMs));
    }
    this.signers = this.options.agents.map((agent) => ({ clientToken: agent.clientToken, owner: agent }));
    this.delivered = new DeliveredIdsCache(this.options.deliveredCacheSize);
  }

  /** After the send workers have stopped: the kept-alive RBM connections go. */
  onApplicationShutdown(): void {
    for (const client of this.clients.values()) client.close();
  }

  /** RBM takes up to 3072 characters of text in one message, whatever the script. */
  checkLength(text: string): LengthCheck {
    const units = [...text].length;
    return { fits: units <= RBM_TEXT_MAX, limit: RBM_TEXT_MAX, units };
  }

  /** Accept-time check of the request's `rcs` object, with RbmContentSchema's paths. */
  validateContent(content: unknown): string[] {
    if (content == null) return [];
    const parsed = RcsContentSchema.safeParse(content);
    if (parsed.success) return [];
    return parsed.error.issues.map((i) => `rcs.${i.path.join('.')}: ${i.message}`.replace(/\.:/, ':'));
  }

  async capability(contact: ContactView): Promise<CapabilityResult> {
    const checkedAt = new Date();
    const client = this.defaultClient(contact.tenantId);
    if (!client) return { reachable: false, reason: 'no_rcs_agent', checkedAt, ttlSeconds: 0 };
    const { positive, negative } = this.options.capabilityTtlSeconds;
    try {
      const res = await client.capability(contact.phoneE164, randomUUID());
      if (res.status >= 200 && res.status < 300) {
        return { reachable: true, reason: 'rcs_capable', checkedAt, ttlSeconds: positive };
      }
      if (res.status === 404) return { reachable: false, reason: 'not_rcs_capable', checkedAt, ttlSeconds: negative };
    } catch {
      // Timeout, refused connection or no token: fall through.
    }
    // Not cached (ttl 0) and not reachable: this message moves on to the next channel now,
    // the next message asks again.
    return { reachable: false, reason: 'capability_lookup_failed', checkedAt, ttlSeconds: 0 };
  }

  async send(attempt: OutboundAttempt): Promise<SendResult> {
    const client = this.clientFor(attempt);
    const body = buildAgentMessage(attempt);
    const res = await client.createMessage(attempt.to.phoneE164, attempt.attemptId, body);
    this.noteRenewal(res, attempt, client);
    // 409 ALREADY_EXISTS: an earlier try of this attempt was applied (its answer was lost).
    // The messageId is the idempotency key, so that earlier message is this one.
    if ((res.status >= 200 && res.status < 300) || res.status === 409) {
      return {
        providerMessageId: attempt.attemptId,
        route: client.agent.id,
        submittedAt: new Date(),
        awaitsDelivery: true,
        note: res.status === 409 ? 'already_exists' : undefined,
      };
    }
    throw parseRbmError({ status: res.status, body: res.body, retryAfter: res.retryAfter });
  }

  async cancel(attempt: OutboundAttempt): Promise<CancelResult> {
    const messageId = attempt.providerMessageId ?? attempt.attemptId;
    if (this.delivered.has(messageId)) return 'too_late';
    const client = this.clientFor(attempt);
    const res = await client.revoke(attempt.to.phoneE164, messageId);
    this.noteRenewal(res, attempt, client);
    if (res.status === 404) return 'too_late';
    if (res.status >= 200 && res.status < 300) {
      // A revoke that races the delivery is answered 200 and then followed by DELIVERED; one seen meanwhile wins.
      return this.delivered.has(messageId) ? 'too_late' : 'revoked';
    }
    throw parseRbmError({ status: res.status, body: res.body, retryAfter: res.retryAfter });
  }

  async directReply(request: InboundRequest): Promise<DirectReply | null> {
    const handshake = readRbmHandshake(request.rawBody);
    if (!handshake) return null;
    const known = this.options.agents.some((agent) => safeEqual(handshake.clientToken, agent.clientToken));
    // The secret is echoed only to prove we hold the token; a wrong token gets nothing back.
    if (!known) throw new InvalidInboundError('INVALID_PAYLOAD', 'the handshake clientToken matches no agent');
    return { status: 200, body: { secret: handshake.secret } };
  }

  async parseInbound(request: InboundRequest): Promise<ChannelEvent[]> {
    const push = decodeRbmPush(request, this.signers);
    if (typeof push.data !== 'object' || push.data === null || Array.isArray(push.data)) {
      throw new InvalidInboundError('INVALID_PAYLOAD', 'message.data is not a JSON object');
    }
    const named = (push.data as { agentId?: unknown }).agentId;
    // Trust the agent whose token signed it; the payload's agentId only picks among those. One
    // client token can sign for every agent of a partner: a push naming an agent we do not hold is
    // not ours, and is ignored (200, counted) rather than put on whichever agent signed it (BAD-INPUTS 36).
    const agent = typeof named === 'string' ? push.owners.find((a) => sameAgent(a.id, named)) : push.owners[0];
    if (!agent) {
      this.logger.warn('RBM webhook for an agent with no configuration: ignored');
      return [];
    }
    const events = mapRbmEvent(push.data, {
      agentId: agent.id,
      tenantId: agent.tenantId,
      publishTime: push.publishTime,
      pubsubMessageId: push.pubsubMessageId,
      receivedAt: new Date(),
    });
    for (const event of events) {
      if ((event.type === 'delivered' || event.type === 'read') && event.attemptId) this.delivered.add(event.attemptId);
    }
    return events;
  }

  /**
   * From what the calls saw: health asks Google for no token of its own, as LINE's does not. A bad
   * key shows from the first capability check or send (`auth` then names the refusal, and the
   * channel is down); until then an agent is `not_issued`. No test or document relied on health
   * proving the key at start-up, and every worker reports health every few seconds: asking there
   * would send Google the very requests a refused key is held back from. Each agent's `clock` is
   * this machine's clock against the token endpoint's `Date` (`off: true` past a minute: the sends
   * go, signed by Google's time, but the machine's time sync needs fixing).
   */
  async health(): Promise<ChannelHealth> {
    const agents: Record<string, unknown> = {};
    let up = true;
    for (const [id, client] of this.clients) {
      const { up: authUp, ...auth } = client.tokenState();
      if (!authUp) up = false;
      const last = client.lastCall;
      agents[id] = {
        tenantId: client.agent.tenantId,
        region: client.agent.region,
        ...auth,
        lastCall: last ? { at: last.at.toISOString(), outcome: last.outcome } : null,
      };
    }
    return { up, detail: { agents, deliveredIdsRemembered: this.delivered.size } };
  }

  /** A 401 answered within the call by a new token and one more try: worth a line (ids only). */
  private noteRenewal(res: RbmResponse, attempt: OutboundAttempt, client: RbmClient): void {
    if (!res.renewedToken) return;
    this.logger.log({ attemptId: attempt.attemptId, agentId: client.agent.id, status: res.status }, 'RBM refused the access token (401): got a new one and sent once more');
  }

  /** attempt.route (the agent of an earlier send), then attempt.sender when it names an agent, then the default. */
  private clientFor(attempt: OutboundAttempt): RbmClient {
    for (const named of [attempt.route, attempt.sender]) {
      const client = named ? this.clients.get(named) : undefined;
      if (!client) continue;
      if (client.agent.tenantId !== attempt.tenantId) {
        throw ChannelError.permanent('rcs_agent_not_allowed', 'the named RBM agent belongs to another tenant');
      }
      return client;
    }
    const fallback = this.defaultClient(attempt.tenantId);
    if (!fallback) throw ChannelError.permanent('rcs_agent_not_configured', 'no RBM agent for this tenant');
    return fallback;
  }

  private defaultClient(tenantId: string): RbmClient | undefined {
    const agents = this.options.agents.filter((a) => a.tenantId === tenantId);
    const chosen = agents.find((a) => a.default) ?? agents[0];
    return chosen ? this.clients.get(chosen.id) : undefined;
  }
}

/** RBM may name the agent in full (`id@rbm.goog`) where the API takes the bare id. */
function sameAgent(configured: string, named: string): boolean {
  return named === configured || named.startsWith(`${configured}@`) || configured.startsWith(`${named}@`);
}
