import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { ContactView } from '@tsunagu/channels';
import { isUuid, newId } from '@tsunagu/core';
import { ContactEntity } from '@tsunagu/database';
import { PhoneCipher, maskPhone } from '@tsunagu/security';
import { assertNotErased } from './contact-erased';

export interface ContactRef {
  contactId: string;
  conversationId: string;
}

/**
 * Contacts are found only through the keyed blind index of their number; the number itself is
 * stored encrypted and decrypted in memory when an adapter needs it.
 */
@Injectable()
export class ContactService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly cipher: PhoneCipher,
  ) {}

  /** One statement: the contact and its conversation, created on first sight. */
  async upsert(manager: EntityManager, tenantId: string, e164: string): Promise<ContactRef> {
    const bidx = this.cipher.blindIndex(tenantId, e164);
    const rows: { contact_id: string; conversation_id: string }[] = await manager.query(
      `WITH c AS (
         INSERT INTO contacts (id, tenant_id, phone_enc, phone_bidx) VALUES ($1, $2, $3, $4)
         ON CONFLICT (tenant_id, phone_bidx) DO UPDATE SET updated_at = contacts.updated_at
         RETURNING id
       ), conv AS (
         INSERT INTO conversations (id, tenant_id, contact_id) SELECT $5, $2, id FROM c
         ON CONFLICT (contact_id) DO UPDATE SET last_activity_at = now()
         RETURNING id, contact_id
       )
       SELECT conv.contact_id, conv.id AS conversation_id FROM conv`,
      [newId(), tenantId, this.cipher.encrypt(e164), bidx, newId()],
    );
    return { contactId: rows[0].contact_id, conversationId: rows[0].conversation_id };
  }

  encrypt(e164: string): Buffer {
    return this.cipher.encrypt(e164);
  }

  blindIndex(tenantId: string, e164: string): string {
    return this.cipher.blindIndex(tenantId, e164);
  }

  async findIdByPhone(tenantId: string, e164: string): Promise<string | null> {
    const row = await this.db.getRepository(ContactEntity).findOne({
      select: { id: true },
      where: { tenantId, phoneBidx: this.cipher.blindIndex(tenantId, e164) },
    });
    return row?.id ?? null;
  }

  async findByLineUser(tenantId: string, lineUserId: string): Promise<ContactEntity | null> {
    return this.db.getRepository(ContactEntity).findOneBy({ tenantId, lineUserId });
  }

  /** Null for an id that is not one (a number typed where an id belongs is not a database error). */
  async get(tenantId: string, contactId: string): Promise<ContactEntity | null> {
    if (!isUuid(contactId)) return null;
    return this.db.getRepository(ContactEntity).findOneBy({ tenantId, id: contactId });
  }

  view(contact: ContactEntity): ContactView {
    return {
      tenantId: contact.tenantId,
      contactId: contact.id,
      phoneE164: this.phoneOf(contact),
      lineUserId: contact.lineUserId,
      lineFollowing: contact.lineFollowing ?? undefined,
      optOuts: contact.optOuts,
    };
  }

  /** The whole number, for a send or a supervisor's reveal; an erased contact has none. */
  phoneOf(contact: ContactEntity): string {
    assertNotErased(contact);
    return this.cipher.decrypt(contact.phoneEnc);
  }

  /** The number masked for display, or null once erased. */
  maskedPhoneOf(contact: ContactEntity): string | null {
    return contact.erasedAt ? null : maskPhone(this.cipher.decrypt(contact.phoneEnc));
  }
}
