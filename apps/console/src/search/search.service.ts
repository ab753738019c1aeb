import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { isUuid } from '@tsunagu/core';
import { ContactEntity, MessageEntity, StaffEntity } from '@tsunagu/database';
import { ContactService } from '@tsunagu/engine';
import { maskPhone, parsePhone } from '@tsunagu/security';
import { AuditService } from '../audit/audit.service';
import { actorOf } from '../http/console-request';
import { escapeLike } from './like';

export type SearchType = 'phone' | 'message' | 'ref';
export const SEARCH_PAGE_SIZE = 20;

export interface SearchHit {
  contactId: string;
  /** Null once the contact was erased. */
  phoneMasked: string | null;
  messageId: string | null;
  crmRef: string | null;
  status: string | null;
  channel: string | null;
  createdAt: Date | null;
}

export type SearchOutcome =
  /** `looked`: what was looked up, fit for the audit log (a number masked, a reference cut to 100). */
  | { kind: 'hits'; hits: SearchHit[]; page: number; hasNext: boolean; looked: string }
  | { kind: 'invalid'; problem: 'phone' | 'id' };

/**
 * Console search, always within the staff member's tenant. A phone number is found only through
 * the blind index (never by decrypting numbers); a CRM reference exactly, or by prefix with the
 * LIKE wildcards in the text escaped. Every value is a bound parameter.
 */
@Injectable()
export class SearchService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly contacts: ContactService,
    private readonly audit: AuditService,
  ) {}

  /**
   * A staff member's search, written to the audit log like every view of personal data: who looked
   * for what and what it found. A number searched is kept masked, never whole; when it found a
   * contact, the row names that contact. A query that could not be a number or an id looked up nothing.
   */
  async searchAs(staff: StaffEntity, type: SearchType, query: string, page: number): Promise<SearchOutcome> {
    const outcome = await this.search(staff.tenantId, type, query, page);
    if (outcome.kind === 'invalid') return outcome;
    const found = outcome.hits.length;
    const subject =
      type === 'phone'
        ? found
          ? { subjectType: 'contact', subjectId: outcome.hits[0].contactId }
          : { subjectType: 'phone', subjectId: outcome.looked }
        : { subjectType: type === 'message' ? 'message' : 'crm_ref', subjectId: outcome.looked };
    await this.audit.record({ tenantId: staff.tenantId, actor: actorOf(staff), action: 'contact.search', ...subject, detail: { staffId: staff.id, by: type, found, page: outcome.page } });
    return outcome;
  }

  async search(tenantId: string, type: SearchType, query: string, page: number): Promise<SearchOutcome> {
    const q = query.trim();
    if (type === 'phone') {
      let e164: string;
      try {
        e164 = parsePhone(q).e164;
      } catch {
        return { kind: 'invalid', problem: 'phone' };
      }
      const id = await this.contacts.findIdByPhone(tenantId, e164);
      const contact = id ? await this.contacts.get(tenantId, id) : null;
      return { kind: 'hits', hits: contact ? [this.hit(contact, null)] : [], page: 0, hasNext: false, looked: maskPhone(e164) };
    }
    if (type === 'message') {
      if (!isUuid(q)) return { kind: 'invalid', problem: 'id' };
      const message = await this.db.getRepository(MessageEntity).findOneBy({ tenantId, id: q });
      return { kind: 'hits', hits: message ? await this.withContacts(tenantId, [message]) : [], page: 0, hasNext: false, looked: q };
    }
    const p = Math.max(0, Math.min(page, 1000));
    const qb = this.db.getRepository(MessageEntity).createQueryBuilder('m').where('m.tenant_id = :tenantId', { tenantId });
    if (q.endsWith('*') && q.length > 1) {
      qb.andWhere(`m.crm_ref LIKE :prefix ESCAPE '\\'`, { prefix: `${escapeLike(q.slice(0, -1))}%` });
    } else {
      qb.andWhere('m.crm_ref = :ref', { ref: q });
    }
    const rows = await qb
      .orderBy('m.created_at', 'DESC')
      .addOrderBy('m.id', 'DESC')
      .limit(SEARCH_PAGE_SIZE + 1)
      .offset(p * SEARCH_PAGE_SIZE)
      .getMany();
    const hits = await this.withContacts(tenantId, rows.slice(0, SEARCH_PAGE_SIZE));
    return { kind: 'hits', hits, page: p, hasNext: rows.length > SEARCH_PAGE_SIZE, looked: q.slice(0, 100) };
  }

  private async withContacts(tenantId: string, messages: MessageEntity[]): Promise<SearchHit[]> {
    const ids = [...new Set(messages.map((m) => m.contactId))];
    const contacts = ids.length ? await this.db.getRepository(ContactEntity).createQueryBuilder('c').where('c.tenant_id = :tenantId AND c.id IN (:...ids)', { tenantId, ids }).getMany() : [];
    const byId = new Map(contacts.map((c) => [c.id, c]));
    return messages.filter((m) => byId.has(m.contactId)).map((m) => this.hit(byId.get(m.contactId)!, m));
  }

  private hit(contact: ContactEntity, m: MessageEntity | null): SearchHit {
    return {
      contactId: contact.id,
      phoneMasked: this.contacts.maskedPhoneOf(contact),
      messageId: m?.id ?? null,
      crmRef: m?.crmRef ?? null,
      status: m?.status ?? null,
      channel: m?.channel ?? null,
      createdAt: m?.createdAt ?? null,
    };
  }
}
