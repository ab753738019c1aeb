import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DomainError, newId } from '@tsunagu/core';
import { IdempotencyKeyEntity } from '@tsunagu/database';
import { QUEUES, jobIds } from '@tsunagu/jobs';
import { ContactService } from '../contacts/contact.service';
import { writeOutbox } from '../infra/outbox';
import { TenantSettingsService } from '../tenants/tenant-settings.service';
import { AcceptResult, MessageRequest } from './message-request';
import { requestHash } from './request-hash';
import { ValidateMessageService } from './validate-message.service';

/**
 * Accepting is one transaction: the idempotency row, the contact, the message and the outbox
 * job. 202 only after it commits; a crash before then leaves nothing, a crash after it loses
 * nothing (the relay publishes the job, the reconciler re-creates it if Redis forgets).
 */
@Injectable()
export class AcceptMessageService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly tenants: TenantSettingsService,
    private readonly validator: ValidateMessageService,
    private readonly contacts: ContactService,
  ) {}

  async accept(tenantId: string, idempotencyKey: string, req: MessageRequest): Promise<AcceptResult> {
    const hash = requestHash(req);
    const replay = await this.replay(tenantId, idempotencyKey, hash);
    if (replay) return replay;

    const tenant = await this.tenants.get(tenantId);
    const v = await this.validator.validate(tenant, req);
    const messageId = newId();
    // The reconciler re-creates the first job from (id, due_at): the same job id as this one.
    const dueAt = v.sendAt ?? new Date();
    const body = { id: messageId, status: 'accepted' };

    const inserted = await this.db.transaction(async (m) => {
      // Taken first: a concurrent duplicate blocks here until this commits, then finds the row.
      const claimed: unknown[] = await m.query(
        `INSERT INTO idempotency_keys (tenant_id, key, request_hash, message_id, response_status, response_body)
         VALUES ($1, $2, $3, $4, 202, $5) ON CONFLICT DO NOTHING RETURNING 1`,
        [tenantId, idempotencyKey, hash, messageId, JSON.stringify(body)],
      );
      if (claimed.length === 0) return false;
      const contact = await this.contacts.upsert(m, tenantId, v.e164);
      if (req.to.lineUserId) {
        await m.query(`UPDATE contacts SET line_user_id = $1, line_following = COALESCE(line_following, true) WHERE id = $2 AND line_user_id IS NULL`, [
          req.to.lineUserId,
          contact.contactId,
        ]);
      }
      const reference = typeof req.metadata?.reference === 'string' ? req.metadata.reference : null;
      await m.query(
        `INSERT INTO messages (id, tenant_id, contact_id, conversation_id, direction, category, status, text, rcs, line, plan,
           sender, callback_url, metadata, crm_ref, send_at, expires_at, due_at)
         VALUES ($1, $2, $3, $4, 'outbound', $5, 'accepted', $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
        [
          messageId,
          tenantId,
          contact.contactId,
          contact.conversationId,
          req.category,
          v.text,
          req.rcs ? JSON.stringify(req.rcs) : null,
          req.line ? JSON.stringify(req.line) : null,
          JSON.stringify(v.plan),
          v.sender,
          v.callbackUrl,
          req.metadata ? JSON.stringify(req.metadata) : null,
          reference,
          v.sendAt,
          v.expiresAt,
          dueAt,
        ],
      );
      await m.query(
        `INSERT INTO events (id, tenant_id, message_id, source, type, status, occurred_at) VALUES ($1, $2, $3, 'api', 'accepted', 'accepted', now())`,
        [newId(), tenantId, messageId],
      );
      await writeOutbox(m, [
        {
          queue: QUEUES.advance,
          name: 'advance',
          jobId: jobIds.advance(messageId, dueAt),
          payload: { messageId },
          availableAt: dueAt,
        },
      ]);
      return true;
    });

    if (!inserted) {
      const again = await this.replay(tenantId, idempotencyKey, hash);
      if (again) return again;
      throw new DomainError('IDEMPOTENCY_IN_PROGRESS', 'A request with this Idempotency-Key is still being processed; retry shortly.');
    }
    return { status: 202, body, replayed: false };
  }

  private async replay(tenantId: string, key: string, hash: string): Promise<AcceptResult | null> {
    const row = await this.db.getRepository(IdempotencyKeyEntity).findOneBy({ tenantId, key });
    if (!row) return null;
    if (row.requestHash !== hash) {
      throw new DomainError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with a different request body.');
    }
    return { status: row.responseStatus, body: row.responseBody as AcceptResult['body'], replayed: true };
  }
}
