import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DomainError, newId } from '@tsunagu/core';
import { ContactEntity } from '@tsunagu/database';
import { rowsOf } from '../infra/rows-of';
import { CALLBACK_WORDS_GONE, MESSAGE_WORDS_GONE } from './message-words';
import { assertId } from '../queries/message-view.service';

export interface Erasure {
  contactId: string;
  erasedAt: string;
  /** Messages whose text and metadata were removed (every message of the contact, both ways). */
  messages: number;
}

/**
 * A person's request to erase their data (APPI's deletion and suspension of use): what names or
 * describes them goes, what Tsunagu needs to show that it acted rightly stays.
 *
 * Gone: the number (an empty ciphertext; the blind index becomes a value no number hashes to, so
 * the next message to that number starts a new contact), the LINE link, the capability cache, every
 * message's text, rich content and metadata, and the text and metadata in their CRM callbacks,
 * pending ones included. Kept: ids, states, reasons, timestamps, routes, the events and decisions,
 * the opt-outs (a "do not contact" is not the person's data to lose) and the audit log, which never
 * held a number. Refused while a message of the contact is still in flight: cancel it or let it end.
 */
@Injectable()
export class ContactErasureService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

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
      const [{ erased_at: erasedAt }] = rowsOf<{ erased_at: Date }>(
        await m.query(
          `UPDATE contacts SET phone_enc = '\\x'::bytea, phone_bidx = 'erased:' || id::text, line_user_id = NULL, line_following = NULL,
             capabilities = '{}'::jsonb, erased_at = now(), updated_at = now()
           WHERE id = $1 RETURNING erased_at`,
          [contactId],
        ),
      );
      const messages = rowsOf<{ id: string }>(
        await m.query(`UPDATE messages SET ${MESSAGE_WORDS_GONE} WHERE contact_id = $1 RETURNING id`, [contactId]),
      ).length;
      await m.query(`UPDATE callbacks SET payload = ${CALLBACK_WORDS_GONE} WHERE message_id IN (SELECT id FROM messages WHERE contact_id = $1)`, [contactId]);
      await m.query(`INSERT INTO events (id, tenant_id, source, type, detail, occurred_at) VALUES ($1, $2, 'api', 'contact.erased', $3, now())`, [
        newId(),
        tenantId,
        JSON.stringify({ contactId, actor }),
      ]);
      await m.query(
        `INSERT INTO audit_log (id, tenant_id, actor, action, subject_type, subject_id, reason, detail) VALUES ($1, $2, $3, 'contact.erase', 'contact', $4, $5, $6)`,
        [newId(), tenantId, actor, contactId, reason, JSON.stringify({ messages })],
      );
      return { contactId, erasedAt: erasedAt.toISOString(), messages };
    });
  }
}
