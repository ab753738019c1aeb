import { hostname } from 'node:os';
import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import {
  CancelResult,
  CapabilityResult,
  CHANNEL_EVENT_SINK,
  ChannelAdapter,
  ChannelAdapterInstance,
  ChannelError,
  ChannelEventSink,
  ChannelHealth,
  ChannelTraits,
  ContactView,
  ErasedPerson,
  ErasureSql,
  InvalidInboundError,
  LengthCheck,
  OutboundAttempt,
  ThroughputCost,
  RoutePlanRequest,
  SendResult,
} from '@tsunagu/channels';
import { ChannelEvent, DomainError, isDomainError } from '@tsunagu/core';
import { BindPool, PoolTimings } from './bind.pool';
import { normalizeMessageId } from './dlr.parser';
import { planSms, SmsTooLongError, splitSms } from './encoding/sms-encoding.planner';
import { isJapaneseNumber, selectSmsRoute, SmsRouteConfig } from './route.selector';
import { SMS_CHANNEL_OPTIONS, SmsChannelOptions } from './sms-channel.options';
import { SmsInboundReceiver } from './sms-inbound.receiver';
import { addressOf, relativeValidity, senderAllowedOn, SmppSourceAddress } from './smpp-address';
import { ESM_CLASS_UDHI } from './smpp/smpp.types';
import { submitParts } from './submit-parts';
import { RecentIds } from './recent-ids';

const MAX_MESSAGE_ID = 64;

@ChannelAdapter('sms')
@Injectable()
export class SmsAdapter implements ChannelAdapterInstance, OnModuleInit, OnApplicationShutdown {
  readonly channel = 'sms';
  readonly traits: ChannelTraits = {
    simBound: true,
    supportsCancel: true,
    supportsReadReceipts: false,
    idempotentSend: false,
    reportsDelivery: true,
    needsMobileNumber: true,
  };

  private readonly pools = new Map<string, BindPool>();
  private readonly instanceId: string;
  /** Receipt ids seen DELIVRD (noted by the inbound receiver): cancel answers too_late without asking the SMSC. */
  private readonly delivered: RecentIds<true>;
  /** Our normalised id → the SMSC's exact id and addresses, for cancel_sm. */
  private readonly submitted: RecentIds<{ raw: string; source: SmppSourceAddress; destination: string }>;
  private readonly timings: PoolTimings;
  /** Receipts, replies and the parts of long replies the binds take. */
  private readonly inbound: SmsInboundReceiver;
  private started = false;

  constructor(
    @Inject(SMS_CHANNEL_OPTIONS) private readonly options: SmsChannelOptions,
    @Inject(CHANNEL_EVENT_SINK) sink: ChannelEventSink,
  ) {
    const t = options.timing ?? {};
    this.timings = {
      windowWaitMs: t.windowWaitMs ?? 5000,
      submitTimeoutMs: t.submitTimeoutMs ?? 30000,
      bindTimeoutMs: t.bindTimeoutMs ?? 10000,
      enquireLinkTimeoutMs: t.enquireLinkTimeoutMs ?? 10000,
      reconnectInitialMs: t.reconnectInitialMs ?? 500,
      reconnectMaxMs: t.reconnectMaxMs ?? 30000,
      throttleBackoffMs: t.throttleBackoffMs ?? 1000,
      throttleBackoffMaxMs: t.throttleBackoffMaxMs ?? 10000,
    };
    for (const route of options.routes) {
      if (this.pools.has(route.name)) throw new Error(`SMS route "${route.name}" is configured twice; route names must be unique.`);
      this.pools.set(route.name, new BindPool(route, this.timings, (pdu, bind) => this.inbound.receive(route, pdu, bind)));
    }
    this.instanceId = options.instanceId ?? `${hostname()}:${process.pid}`;
    const ttlMs = (options.dlrWindowSeconds ?? 72 * 3600) * 1000;
    this.delivered = new RecentIds(ttlMs, 100_000);
    this.submitted = new RecentIds(ttlMs, 100_000);
    this.inbound = new SmsInboundReceiver(options, sink, this.delivered);
  }

  onModuleInit(): void {
    if (this.options.autoStart !== false) this.start();
  }

  /**
   * After every module's onModuleDestroy: the send workers have stopped taking jobs and finished
   * the submits in hand by then, so unbinding here loses no outstanding submit.
   */
  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  /** Opens every route's binds (they connect and rebind in the background). */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const pool of this.pools.values()) pool.start();
    this.inbound.start();
  }

  /** Unbinds every bind; outstanding submits end as unknown outcomes. */
  async close(): Promise<void> {
    this.started = false;
    await Promise.all([...this.pools.values()].map((p) => p.close()));
    await this.inbound.stop();
  }

  /** Resolves once every route has a bound bind (or the timeout passes: returns false). */
  async ready(timeoutMs = 10000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if ([...this.pools.values()].every((p) => p.up)) return true;
      await new Promise((r) => setTimeout(r, 20));
    }
    return false;
  }

  async capability(contact: ContactView): Promise<CapabilityResult> {
    const checkedAt = new Date();
    const answer = (reachable: boolean, reason: string): CapabilityResult => ({ reachable, reason, checkedAt, ttlSeconds: 3600 });
    if (contact.optOuts.includes('sms')) return answer(false, 'opted_out');
    if (!/^\+[1-9]\d{6,14}$/.test(contact.phoneE164)) return answer(false, 'invalid_number');
    const kind = isJapaneseNumber(contact.phoneE164) ? 'domestic_direct' : 'international';
    if (!this.options.routes.some((r) => r.kind === kind)) return answer(false, 'no_route');
    return answer(true, 'sms_route_available');
  }

  async send(attempt: OutboundAttempt): Promise<SendResult> {
    const route = this.routeFor(attempt);
    const pool = this.pools.get(route.name) as BindPool;
    let split;
    try {
      split = splitSms(attempt.text, { maxSegments: route.maxSegments || 10, udh16: route.udh16 });
    } catch (err) {
      if (err instanceof SmsTooLongError) throw ChannelError.permanent('body_too_long', err.message);
      throw err;
    }
    const sender = attempt.sender ?? route.defaultSender ?? '';
    // The accept refused this already (planRoute); a route changed since is refused here, unsent.
    if (sender && !senderAllowedOn(route.kind, sender)) throw ChannelError.permanent('sender_not_allowed_on_route', 'an alphanumeric sender on a domestic direct route');
    const source = addressOf(sender);
    const destination = attempt.to.phoneE164.replace(/^\+/, '');
    const multipart = split.parts.length > 1;
    const common = {
      service_type: '',
      ...source,
      dest_addr_ton: 1,
      dest_addr_npi: 1,
      destination_addr: destination,
      esm_class: multipart ? ESM_CLASS_UDHI : 0,
      registered_delivery: 1,
      data_coding: split.dataCoding,
      validity_period: relativeValidity(Math.min(attempt.timeoutSeconds, route.validityPeriodSeconds ?? Infinity)),
    };

    const submittedAt = new Date();
    const submitted = await submitParts(pool, common, split.parts, this.timings);
    const ids = submitted.messageIds.map((messageId): string | null => {
      const raw = messageId.trim();
      // Sent, but its receipts cannot be matched: the engine ends it `unknown` after the DLR window.
      if (!raw || raw.length > MAX_MESSAGE_ID) return null;
      const id = normalizeMessageId(raw);
      this.submitted.set(id, { raw, source, destination });
      return id;
    });

    const result: SendResult = {
      providerMessageId: ids[0] ?? null,
      partIds: ids.filter((id): id is string => id !== null),
      route: route.name,
      bind: submitted.bind,
      submittedAt,
    };
    if (ids.includes(null)) result.note = 'smsc_id_missing';
    return result;
  }

  async cancel(attempt: OutboundAttempt): Promise<CancelResult> {
    const id = attempt.providerMessageId ? normalizeMessageId(attempt.providerMessageId) : null;
    if (!id) return 'unsupported';
    if (this.delivered.get(id)) return 'too_late';
    const route = attempt.route ? this.options.routes.find((r) => r.name === attempt.route) : this.routeFor(attempt);
    const bind = route ? this.pools.get(route.name)?.anyBound() : null;
    if (!route || !bind) return 'unsupported';
    const known = this.submitted.get(id);
    const source = known?.source ?? addressOf(attempt.sender ?? route.defaultSender ?? '');
    const resp = await bind.request(
      'cancel_sm',
      {
        service_type: '',
        message_id: known?.raw ?? attempt.providerMessageId,
        ...source,
        dest_addr_ton: 1,
        dest_addr_npi: 1,
        destination_addr: known?.destination ?? attempt.to.phoneE164.replace(/^\+/, ''),
      },
      this.options.timing?.cancelTimeoutMs ?? 10000,
    );
    if (resp.command_status === 0) return 'revoked';
    return this.delivered.get(id) ? 'too_late' : 'unsupported';
  }

  /** Accept-time length rule, measured for the first domestic route (the one Japanese numbers use). */
  checkLength(text: string): LengthCheck {
    const route = this.options.routes.find((r) => r.kind === 'domestic_direct') ?? this.options.routes[0];
    const plan = planSms(text, { maxSegments: route?.maxSegments || 10, udh16: route?.udh16 });
    return { fits: plan.fits, limit: plan.limit, units: plan.units, encoding: plan.encoding, segments: plan.segments, remainingInLast: plan.remainingInLast };
  }

  /** Segments against the route's submits-per-second: carriers throttle per PDU, not per message. */
  throughputCost(attempt: OutboundAttempt): ThroughputCost | null {
    const route = this.options.routes.find((r) => r.name === attempt.route) ?? this.options.routes.find((r) => r.kind === 'domestic_direct');
    if (!route || !route.throughputPerSecond) return null;
    const plan = planSms(attempt.text, { maxSegments: route.maxSegments || 10, udh16: route.udh16 });
    return { key: route.name, units: Math.max(1, plan.segments), perSecond: route.throughputPerSecond };
  }

  /** Accept-time route choice; throws DomainError('DESTINATION_NOT_ALLOWED') when no route may carry it. */
  planRoute(request: RoutePlanRequest): { route: string | null } {
    const route = selectSmsRoute(this.options.routes, { ...request, unhealthy: this.unhealthyRoutes() });
    if (request.sender && !senderAllowedOn(route.kind, request.sender)) {
      throw new DomainError('SENDER_NOT_APPROVED', 'An alphanumeric sender cannot be used on a domestic direct route: Japanese carriers show a number or a short code.', {
        reason: 'alphanumeric_on_domestic_route',
        route: route.name,
      });
    }
    return { route: route.name };
  }

  /** Parts of long replies from the person's number to the tenant's addresses, waiting or joined: gone with the erasure. */
  erasePerson(person: ErasedPerson, sql: ErasureSql): Promise<number> {
    return this.inbound.erase(person, sql);
  }

  async parseInbound(): Promise<ChannelEvent[]> {
    throw new InvalidInboundError('INVALID_PAYLOAD', 'SMS arrives over SMPP binds, not webhooks');
  }

  async health(): Promise<ChannelHealth> {
    const routes = Object.fromEntries([...this.pools].map(([name, pool]) => [name, pool.health()]));
    return {
      up: [...this.pools.values()].some((p) => p.up),
      detail: { instanceId: this.instanceId, routes, ...this.inbound.counters() },
    };
  }

  /** Routes with no bound bind or backing off: chosen only when nothing healthy fits. */
  private unhealthyRoutes(): Set<string> {
    return new Set([...this.pools].filter(([, p]) => !p.healthy).map(([name]) => name));
  }

  private routeFor(attempt: OutboundAttempt): SmsRouteConfig {
    if (attempt.route) {
      const named = this.options.routes.find((r) => r.name === attempt.route);
      if (!named) throw ChannelError.permanent('unknown_route', `no SMS route named "${attempt.route}" is configured`);
      return named;
    }
    try {
      return selectSmsRoute(this.options.routes, {
        destinationE164: attempt.to.phoneE164,
        domestic: isJapaneseNumber(attempt.to.phoneE164),
        category: attempt.category,
        allowInternational: attempt.allowInternational,
        unhealthy: this.unhealthyRoutes(),
      });
    } catch (err) {
      if (isDomainError(err)) throw ChannelError.permanent('destination_not_allowed', err.message);
      throw err;
    }
  }
}
