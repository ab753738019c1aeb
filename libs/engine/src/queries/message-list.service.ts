import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DomainError, MESSAGE_STATUSES } from '@tsunagu/core';
import { MessageEntity } from '@tsunagu/database';
import { isStorableString } from '@tsunagu/security';
import { REFERENCE_MAX_LENGTH } from '../accept/message-request';
import { messageOutcome } from './message-view.service';
import { cursorAfter, cursorAt, decodeCursor } from './page-cursor';

export interface MessageListQuery {
  /** The CRM's reference (`metadata.reference`), exactly. */
  reference: string;
  status?: string;
  limit: number;
  before?: string;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/**
 * The messages a CRM sent under one of its references (an order, a case), newest first: on
 * `messages_crm_ref (tenant_id, crm_ref)`, so only that reference's rows are read. A list of a
 * tenant's whole traffic is not offered: nothing indexes it, and the CRM has its own.
 */
@Injectable()
export class MessageListService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async byReference(tenantId: string, q: MessageListQuery) {
    if (!q.reference || q.reference.length > REFERENCE_MAX_LENGTH) {
      throw new DomainError('INVALID_REQUEST', `Give the reference to list by (reference=…, up to ${REFERENCE_MAX_LENGTH} characters).`);
    }
    // No message can have been sent with such a reference, and PostgreSQL refuses it as a parameter.
    if (!isStorableString(q.reference)) throw new DomainError('INVALID_REQUEST', 'The reference must not contain a NUL character or an unpaired surrogate.');
    if (q.status !== undefined && !(MESSAGE_STATUSES as readonly string[]).includes(q.status)) {
      throw new DomainError('INVALID_REQUEST', `status is one of ${MESSAGE_STATUSES.join(', ')}.`);
    }
    if (!Number.isInteger(q.limit) || q.limit < 1 || q.limit > 100) throw new DomainError('INVALID_REQUEST', 'limit must be 1 to 100.');
    const qb = this.db
      .getRepository(MessageEntity)
      .createQueryBuilder('m')
      .addSelect(cursorAt('m'), 'cursor_at')
      .where('m.tenant_id = :tenantId AND m.crm_ref = :reference', { tenantId, reference: q.reference })
      .orderBy('m.created_at', 'DESC')
      .addOrderBy('m.id', 'DESC')
      .take(q.limit + 1);
    if (q.status) qb.andWhere('m.status = :status', { status: q.status });
    if (q.before) {
      const c = decodeCursor(q.before);
      qb.andWhere('(m.created_at, m.id) < (:at, :id)', { at: c.at, id: c.id });
    }
    const { entities: rows, raw } = await qb.getRawAndEntities();
    const items = rows.slice(0, q.limit);
    return {
      items: items.map((m) => ({
        id: m.id,
        ...messageOutcome(m),
        reference: m.crmRef,
        createdAt: m.createdAt.toISOString(),
        completedAt: iso(m.completedAt),
      })),
      nextCursor: rows.length > q.limit ? cursorAfter(items[items.length - 1], raw) : null,
    };
  }
}
