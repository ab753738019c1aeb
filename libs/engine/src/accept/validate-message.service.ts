import { Inject, Injectable, Optional } from '@nestjs/common';
import { ChannelRegistry } from '@tsunagu/channels';
import { TSUNAGU_CONFIG, TsunaguConfig } from '@tsunagu/config';
import { DomainError } from '@tsunagu/core';
import { MessagePlan } from '@tsunagu/database';
import { planChannels } from '@tsunagu/policy';
import {
  AllLookup,
  assertCallbackUrlAllowed,
  assertCanReceiveSms,
  assertNoSensitiveData,
  assertSendableText,
  findUnstorableString,
  hostLookupOf,
  isDomestic,
  normalizeText,
  osResolver,
  parsePhone,
} from '@tsunagu/security';
import { CALLBACK_RESOLVER } from '../callbacks/callback-resolver';
import { assertLineUserId } from '../contacts/line-link.service';
import { TenantSettings } from '../tenants/tenant-settings.service';
import { MessageRequest, REFERENCE_MAX_LENGTH } from './message-request';
import { parseSchedule } from './schedule';

export interface ValidatedMessage {
  e164: string;
  text: string;
  plan: MessagePlan;
  sendAt: Date | null;
  expiresAt: Date | null;
  sender: string | null;
  callbackUrl: string | null;
}

/**
 * Everything that can refuse a message, in the order a CRM developer would want to hear it,
 * and all before anything is stored. The body is never echoed in an error.
 */
@Injectable()
export class ValidateMessageService {
  constructor(
    private readonly registry: ChannelRegistry,
    @Inject(TSUNAGU_CONFIG) private readonly config: TsunaguConfig,
    @Optional() @Inject(CALLBACK_RESOLVER) private readonly resolve: AllLookup = osResolver,
  ) {}

  async validate(tenant: TenantSettings, req: MessageRequest, now = new Date()): Promise<ValidatedMessage> {
    const phone = parsePhone(req.to.phone);
    const text = normalizeText(req.text);
    assertSendableText(text);
    assertStorable(req);
    // The same rule as linking by PUT /v1/contacts/{id}/line-link: the send stores it on the contact too.
    if (req.to.lineUserId) assertLineUserId(req.to.lineUserId, 'to.lineUserId');
    assertNoSensitiveData(text);

    const policy = tenant.policy;
    const plan = planChannels(
      { category: req.category, channels: req.channels, timeouts: req.timeouts, successOn: req.successOn },
      policy,
      this.registry.traits(),
    );
    const domestic = isDomestic(phone);
    if (!domestic && !policy.allowInternational) {
      throw new DomainError('DESTINATION_NOT_ALLOWED', 'This policy allows only Japanese numbers.', { country: phone.country ?? null });
    }
    const traits = this.registry.traits();
    if (req.category === 'otp' || plan.channels.some((c) => traits[c].needsMobileNumber)) {
      assertCanReceiveSms(phone);
    }

    for (const channel of plan.channels) {
      const check = this.registry.get(channel).checkLength?.(text);
      if (check && !check.fits) {
        throw new DomainError('BODY_TOO_LONG', `The text is too long for ${channel}: at most ${check.limit} characters in its encoding.`, {
          channel,
          limit: check.limit,
          units: check.units,
          segments: check.segments ?? null,
          encoding: check.encoding ?? null,
        });
      }
    }
    this.validateContent('rcs', req.rcs);
    this.validateContent('line', req.line);

    let smsRoute: string | null = null;
    for (const channel of plan.channels) {
      const routed = this.registry.get(channel).planRoute?.({
        tenantId: tenant.id,
        destinationE164: phone.e164,
        domestic,
        category: req.category,
        allowInternational: policy.allowInternational,
        sender: req.sender ?? null,
      });
      if (routed && channel === 'sms') smsRoute = routed.route;
    }
    // Whether the sender is registered and approved for that route is checked by the accept's
    // own statement (`sender_gate`), in the snapshot that stores the message.
    const sender = req.sender ?? null;

    const { sendAt, expiresAt } = parseSchedule(req.sendAt, req.expiresAt, now, policy.maxScheduleDays);
    const callbackUrl = req.callbackUrl ?? null;
    if (callbackUrl) await assertCallbackUrlAllowed(callbackUrl, { allowPrivate: this.config.callbacks.allowPrivateUrls, lookup: hostLookupOf(this.resolve) });

    return {
      e164: phone.e164,
      text,
      plan: { ...plan, allowInternational: policy.allowInternational, smsRoute },
      sendAt,
      expiresAt,
      sender,
      callbackUrl,
    };
  }

  private validateContent(channel: string, content: unknown): void {
    if (content === undefined) return;
    if (!this.registry.has(channel)) {
      throw new DomainError('UNKNOWN_CHANNEL', `Content for "${channel}" was given, but that channel is not enabled.`, { channel });
    }
    const problems = this.registry.get(channel).validateContent?.(content) ?? [];
    if (problems.length > 0) {
      throw new DomainError('VALIDATION_FAILED', `The ${channel} content is not valid.`, { channel, problems });
    }
  }
}

/**
 * The rest of the body (metadata, rcs, line, sender, callbackUrl, lineUserId) as PostgreSQL can
 * store it, and a reference the list can be asked for: refused here as the shape problems they
 * are (400, naming the path), not by the accept statement as a 500 or, for a NUL, as the lost
 * connection it causes (a 503 telling the CRM to retry a request that can never succeed). The
 * phone and the text have passed their own checks, with their own codes, before this.
 */
function assertStorable(req: MessageRequest): void {
  const at = findUnstorableString(req);
  if (at !== null) {
    throw new DomainError('INVALID_REQUEST', 'The request body is not valid.', { problems: [`${at} must not contain a NUL character or an unpaired surrogate`] });
  }
  const reference = req.metadata?.reference;
  if (typeof reference === 'string' && reference.length > REFERENCE_MAX_LENGTH) {
    throw new DomainError('INVALID_REQUEST', 'The request body is not valid.', { problems: [`metadata.reference must NOT have more than ${REFERENCE_MAX_LENGTH} characters`] });
  }
}
