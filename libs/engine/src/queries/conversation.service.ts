import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { DomainError } from '@tsunagu/core';
import { AttemptEntity, ContactEntity, EventEntity, MessageEntity } from '@tsunagu/database';
import { ContactService } from '../contacts/contact.service';
import { cursorAfter, cursorAt, decodeCursor } from './page-cursor';
import { assertId, attemptView } from './message-view.service';

export interface Page {
  limit: number;
  /** Opaque cursor: the last item of the previous page. */
  before?: string;
}

/**
 * A contact's own events (no message), newest first, on the `events_contact` index. A reply's
 * event is not one of them (the reply is in the timeline as a message): counted among the 50, a
 * chatty person's replies pushed an older opt-out off the list.
 */
export const CONTACT_EVENTS = `SELECT type, source, occurred_at FROM events
  WHERE detail->>'contactId' = $2 AND message_id IS NULL AND tenant_id = $1 AND type <> 'inbound.inbound_message'
  ORDER BY occurred_at DESC LIMIT 50`;

/**
 * A long SMS reply whose missing parts never came (its metadata says `incomplete`): of how many
 * parts how many arrived, so whoever reads it knows words may be missing. Null for a whole one.
 */
function partialReply(m: MessageEntity): { partsReceived: number | null; parts: number | null } | null {
  const meta = m.direction === 'inbound' ? (m.metadata as Record<string, unknown> | null) : null;
  if (meta?.incomplete !== true) return null;
  const count = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : null);
  return { partsReceived: count(meta.partsReceived), parts: count(meta.parts) };
}

/** One timeline per contact across every channel, both directions, newest first. */
@Injectable()
export class ConversationService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly contacts: ContactService,
  ) {}

  /**
   * A page of the contact's messages, newest first, through the contact's one conversation: on
   * `messages_conversation (conversation_id, created_at)` only the page's rows are read. By
   * `contact_id`, which no index leads with, every view read the whole messages table.
   */
  messagesPage(tenantId: string, contactId: string, take: number, before?: string) {
    const qb = this.db
      .getRepository(MessageEntity)
      .createQueryBuilder('m')
      .addSelect(cursorAt('m'), 'cursor_at')
      .where('m.conversation_id = (SELECT id FROM conversations WHERE contact_id = :contactId)', { contactId })
      .andWhere('m.tenant_id = :tenantId AND m.contact_id = :contactId', { tenantId })
      .orderBy('m.created_at', 'DESC')
      .addOrderBy('m.id', 'DESC')
      .take(take);
    if (before) {
      const c = decodeCursor(before);
      qb.andWhere('(m.created_at, m.id) < (:at, :id)', { at: c.at, id: c.id });
    }
    return qb;
  }

  async timeline(tenantId: string, contactId: string, page: Page) {
    assertId(contactId);
    const contact = await this.db.getRepository(ContactEntity).findOneBy({ id: contactId, tenantId });
    if (!contact) throw new DomainError('NOT_FOUND', 'No contact with this id.');
    const limit = Math.min(Math.max(page.limit, 1), 100);
    const { entities: rows, raw } = await this.messagesPage(tenantId, contactId, limit + 1, page.before).getRawAndEntities();
    const items = rows.slice(0, limit);
    const ids = items.map((m) => m.id);
    const [attempts, events] = ids.length
      ? await Promise.all([
          this.db.getRepository(AttemptEntity).find({ where: { messageId: In(ids) }, order: { seq: 'ASC' } }),
          this.db.getRepository(EventEntity).find({ where: { messageId: In(ids) }, order: { createdAt: 'ASC' } }),
        ])
      : [[], []];
    // Link, unlink, follow and unfollow: things that happened to the contact, not to a message.
    const contactEvents: { type: string; source: string; occurred_at: Date }[] = await this.db.query(CONTACT_EVENTS, [tenantId, contactId]);
    return {
      contactEvents: contactEvents.map((e) => ({ type: e.type, source: e.source, occurredAt: e.occurred_at.toISOString() })),
      contact: {
        id: contact.id,
        phone: this.contacts.maskedPhoneOf(contact),
        erasedAt: contact.erasedAt?.toISOString() ?? null,
        lineLinked: contact.lineUserId !== null,
        lineFollowing: contact.lineFollowing,
        optOuts: contact.optOuts,
      },
      items: items.map((m) => ({
        id: m.id,
        direction: m.direction,
        channel: m.channel,
        category: m.category,
        status: m.status,
        reason: m.reason,
        possibleDuplicate: m.possibleDuplicate,
        text: m.textRedacted ? null : m.text,
        textRedacted: m.textRedacted,
        partial: partialReply(m),
        createdAt: m.createdAt.toISOString(),
        attempts: attempts.filter((a) => a.messageId === m.id).map(attemptView),
        events: events
          .filter((e) => e.messageId === m.id)
          .map((e) => ({ type: e.type, source: e.source, status: e.status, reason: e.reason, occurredAt: e.occurredAt.toISOString() })),
      })),
      nextCursor: rows.length > limit ? cursorAfter(items[items.length - 1], raw) : null,
    };
  }
}
