import { Injectable } from '@nestjs/common';
import { DomainError } from '@tsunagu/core';
import { StaffEntity } from '@tsunagu/database';
import { CallbackLogService, CallbackSummary, ContactService, ConversationService } from '@tsunagu/engine';
import { AuditService } from '../audit/audit.service';
import { namesPhoneNumber } from './audit-reason';
import { actorOf, hasRole } from '../http/console-request';

export const TIMELINE_PAGE_SIZE = 20;
export const REVEAL_REASON_MIN = 5;
export const REVEAL_REASON_MAX = 200;

export type Timeline = Awaited<ReturnType<ConversationService['timeline']>>;
/** `callbacks`: the message's status callbacks to the CRM at a glance; null when it had none. */
export type TimelineItem = Timeline['items'][number] & { otpHidden: boolean; callbacks: CallbackSummary | null };
export type ConsoleTimeline = Omit<Timeline, 'items'> & { items: TimelineItem[] };

/**
 * A contact's history as support staff see it: every view audited, OTP bodies never shown
 * (wiped once final by the engine, and hidden here while still in flight), the number masked
 * unless a supervisor reveals it with a reason.
 */
@Injectable()
export class HistoryService {
  constructor(
    private readonly conversations: ConversationService,
    private readonly contacts: ContactService,
    private readonly audit: AuditService,
    private readonly callbacks: CallbackLogService,
  ) {}

  async view(staff: StaffEntity, contactId: string, before: string | undefined): Promise<ConsoleTimeline> {
    const timeline = await this.conversations.timeline(staff.tenantId, contactId, { limit: TIMELINE_PAGE_SIZE, before });
    await this.audit.record({
      tenantId: staff.tenantId,
      actor: actorOf(staff),
      action: 'contact.view',
      subjectType: 'contact',
      subjectId: contactId,
      detail: { staffId: staff.id, page: before ? 'older' : 'newest' },
    });
    // Whether the CRM heard of each change: what support is asked when a CRM shows a stale state.
    const callbacks = await this.callbacks.summaries(staff.tenantId, timeline.items.map((item) => item.id));
    return {
      ...timeline,
      items: timeline.items.map((item) => {
        const otpHidden = item.category === 'otp';
        return { ...item, text: otpHidden ? null : item.text, otpHidden, callbacks: callbacks.get(item.id) ?? null };
      }),
    };
  }

  /** The full number, for a supervisor with a reason; the audit row keeps the reason, never the number. */
  async reveal(staff: StaffEntity, contactId: string, reason: string): Promise<string> {
    if (!hasRole(staff, 'supervisor')) throw new DomainError('FORBIDDEN', 'Only supervisors may reveal a number.');
    const why = reason.normalize('NFC').trim();
    if (why.length < REVEAL_REASON_MIN || why.length > REVEAL_REASON_MAX || namesPhoneNumber(why)) {
      throw new DomainError('VALIDATION_FAILED', 'A reason of 5 to 200 characters is required, without the phone number (the audit log keeps it).');
    }
    const contact = await this.contacts.get(staff.tenantId, contactId);
    if (!contact) throw new DomainError('NOT_FOUND', 'No contact with this id.');
    // First, so an erased contact (phoneOf refuses it) leaves no audit row of a reveal that did not happen.
    const number = this.contacts.phoneOf(contact);
    await this.audit.record({
      tenantId: staff.tenantId,
      actor: actorOf(staff),
      action: 'phone.reveal',
      subjectType: 'contact',
      subjectId: contact.id,
      reason: why,
      detail: { staffId: staff.id },
    });
    return number;
  }
}
