import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DomainError, newId } from '@tsunagu/core';
import { ContactEntity } from '@tsunagu/database';
import { assertId } from '../queries/message-view.service';
import { assertNotErased } from './contact-erased';

const LINE_USER_ID = /^U[0-9a-f]{32}$/;

/** A LINE user id as LINE writes them: a malformed one, once on a contact, would fail every LINE send to it. */
export function assertLineUserId(lineUserId: string, field: string): void {
  if (!LINE_USER_ID.test(lineUserId)) throw new DomainError('VALIDATION_FAILED', 'A LINE user id is U followed by 32 hexadecimal digits.', { field });
}

/**
 * LINE account linking is run by the CRM (LINE's own linking flow); it hands us the user id.
 * The link and unlink are events on the contact, so they show in the conversation.
 */
@Injectable()
export class LineLinkService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async link(tenantId: string, contactId: string, lineUserId: string, actor: string): Promise<{ contactId: string; lineLinked: true }> {
    assertId(contactId);
    assertLineUserId(lineUserId, 'lineUserId');
    await this.db.transaction(async (m) => {
      const contact = await m.getRepository(ContactEntity).findOne({ where: { id: contactId, tenantId }, lock: { mode: 'pessimistic_write' } });
      if (!contact) throw new DomainError('NOT_FOUND', 'No contact with this id.');
      assertNotErased(contact);
      const taken = await m.getRepository(ContactEntity).findOneBy({ tenantId, lineUserId });
      if (taken && taken.id !== contactId) throw new DomainError('CONFLICT', 'This LINE user is linked to another contact.');
      await m.query(`UPDATE contacts SET line_user_id = $2, line_following = true, opt_outs = array_remove(opt_outs, 'line'), updated_at = now() WHERE id = $1`, [contactId, lineUserId]);
      await this.event(m, tenantId, contactId, 'contact.line_linked', actor);
    });
    return { contactId, lineLinked: true };
  }

  async unlink(tenantId: string, contactId: string, actor: string): Promise<{ contactId: string; lineLinked: false }> {
    assertId(contactId);
    await this.db.transaction(async (m) => {
      const contact = await m.getRepository(ContactEntity).findOne({ where: { id: contactId, tenantId }, lock: { mode: 'pessimistic_write' } });
      if (!contact) throw new DomainError('NOT_FOUND', 'No contact with this id.');
      await m.query(`UPDATE contacts SET line_user_id = NULL, line_following = NULL, updated_at = now() WHERE id = $1`, [contactId]);
      await this.event(m, tenantId, contactId, 'contact.line_unlinked', actor);
    });
    return { contactId, lineLinked: false };
  }

  private async event(m: import('typeorm').EntityManager, tenantId: string, contactId: string, type: string, actor: string): Promise<void> {
    await m.query(`INSERT INTO events (id, tenant_id, source, type, detail, occurred_at) VALUES ($1, $2, 'api', $3, $4, now())`, [
      newId(),
      tenantId,
      type,
      JSON.stringify({ contactId, actor }),
    ]);
  }
}
