import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { ChannelRegistry, ErasedPerson } from '@tsunagu/channels';
import { DomainError, newId } from '@tsunagu/core';
import { ContactEntity } from '@tsunagu/database';
import { rowsOf } from '../infra/rows-of';
import { ContactService } from './contact.service';
import { CALLBACK_WORDS_GONE, MESSAGE_WORDS_GONE } from './message-words';
import { assertId } from '../queries/message-view.service';

export interface Erasure {
  contactId: string;
  erasedAt: string;
  /** Messages whose text and metadata were removed (every message of the contact, both ways). */
  messages: number;
}

/**
 * The tenant's addresses that replies are routed to it from: the rule of inbound routing
 * (`InboundService.tenantOfRecipient`): an address belongs to the organisation it is approved for,
 * else to the one whose suspended sender used it last; a `requested` sender owns nothing.
 */
const REPLY_ADDRESSES = `SELECT s.address FROM senders s WHERE s.tenant_id = $1 AND s.state <> 'requested'
  AND s.tenant_id = (SELECT o.tenant_id FROM senders o WHERE o.address = s.address AND o.state <> 'requested'
    ORDER BY o.state = 'approved' DESC, o.updated_at DESC LIMIT 1)`;

/**
 * A person's request to erase their data (APPI's deletion and suspension of use): what names or
 * describes them goes, what Tsunagu needs to show that it acted rightly stays.
 *
 * Gone: the number (an empty ciphertext; the blind index becomes a value no number hashes to, so
 * the next message to that number starts a new contact), the LINE link, the capability cache, every
 * message's text, rich content and metadata (its CRM reference too), the text and metadata in their CRM callbacks,
 * pending ones included, and what a channel adapter holds of them outside these tables (SMS: the
 * parts of long replies from their number to this tenant's addresses), through the adapter's
 * `erasePerson` on the same transaction. Kept: ids, states, reasons, timestamps, routes, the
 * events and decisions, the opt-outs (a "do not contact" is not the person's data to lose) and
 * the audit log, which never held a number. Refused while a message of the contact is still in flight: cancel it or let it end.
 */
@Injectable()
export class ContactErasureService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly contacts: ContactService,
    private readonly registry: ChannelRegistry,
  ) {}

  /** `reason`: the request's reference, kept in the audit row (the console asks for one). */
  async erase(tenantId: string, contactId: string, actor: string, reason: string | null = null): Promise<Erasure> {
    assertId(contactId);
    return this.db.transaction(async (m) => {
      // The row lock also waits out an accept that is adding a message to this contact.
      const contact = await m.getRepository(ContactEntity).findOne({ where: { id: contactId, tenantId }, lock: { mode: 'pessimistic_write' } });
      if (!contact) throw new DomainError('NOT_FOUND', 'No contact with this id.');
      if (contact.erasedAt) {
        const [{ n }] = (await m.query(`SELECT count(*)::int AS n FROM messages WHERE contact_id = $1`, [contactId])) as { n: number }[];
        return { contactId, erasedAt: contact.erasedAt.toISOString(), messages: n };
      }
      const [{ n: inFlight }] = (await m.query(`SELECT count(*)::int AS n FROM messages WHERE contact_id = $1 AND status IN ('accepted', 'dispatching')`, [contactId])) as { n: number }[];
      if (inFlight > 0) {
        throw new DomainError('CONFLICT', 'This contact has messages still in flight: cancel them or wait until they end, then erase.', { inFlight });
      }
      // Before the number goes: the adapters find what they hold by it.
      const channelRecords = await this.eraseInAdapters(m, contact);
      const [{ erased_at: erasedAt }] = rowsOf<{ erased_at: Date }>(
        await m.query(
          `UPDATE contacts SET phone_enc = '\\x'::bytea, phone_bidx = 'erased:' || id::text, line_user_id = NULL, line_following = NULL,
             capabilities = '{}'::jsonb, erased_at = now(), updated_at = now()
           WHERE id = $1 RETURNING erased_at`,
          [contactId],
        ),
      );
      // The words include `crm_ref`, the CRM's key for the person, which would still open their conversation.
      const messages = rowsOf<{ id: string }>(await m.query(`UPDATE messages SET ${MESSAGE_WORDS_GONE} WHERE contact_id = $1 RETURNING id`, [contactId])).length;
      await m.query(`UPDATE callbacks SET payload = ${CALLBACK_WORDS_GONE} WHERE message_id IN (SELECT id FROM messages WHERE contact_id = $1)`, [contactId]);
      await m.query(`INSERT INTO events (id, tenant_id, source, type, detail, occurred_at) VALUES ($1, $2, 'api', 'contact.erased', $3, now())`, [
        newId(),
        tenantId,
        JSON.stringify({ contactId, actor }),
      ]);
      await m.query(
        `INSERT INTO audit_log (id, tenant_id, actor, action, subject_type, subject_id, reason, detail) VALUES ($1, $2, $3, 'contact.erase', 'contact', $4, $5, $6)`,
        [newId(), tenantId, actor, contactId, reason, JSON.stringify({ messages, channelRecords })],
      );
      return { contactId, erasedAt: erasedAt.toISOString(), messages };
    });
  }

  /** Each adapter that keeps anything of people erases it on this transaction; the count, for the audit row. */
  private async eraseInAdapters(m: EntityManager, contact: ContactEntity): Promise<number> {
    const adapters = this.registry.names().map((name) => this.registry.get(name));
    if (!adapters.some((a) => a.erasePerson)) return 0;
    const person: ErasedPerson = {
      tenantId: contact.tenantId,
      contactId: contact.id,
      phoneE164: contact.phoneEnc.length > 0 ? this.contacts.phoneOf(contact) : null,
      lineUserId: contact.lineUserId,
      inboundAddresses: rowsOf<{ address: string }>(await m.query(REPLY_ADDRESSES, [contact.tenantId])).map((r) => r.address),
    };
    let erased = 0;
    for (const adapter of adapters) if (adapter.erasePerson) erased += await adapter.erasePerson(person, m);
    return erased;
  }
}
