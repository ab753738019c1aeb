import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DomainError, newId } from '@tsunagu/core';
import { IdempotencyKeyEntity } from '@tsunagu/database';
import { NOTIFY } from '../infra/write-batch';
import { StatementBatches } from '../infra/statement-batches';
import { ContactService } from '../contacts/contact.service';
import { TenantSettingsService } from '../tenants/tenant-settings.service';
import { AcceptResult, MessageRequest } from './message-request';
import { legacyRequestHash, requestHash } from './request-hash';
import { senderApprovedSql } from '../senders/sender-gate';
import { ValidateMessageService, ValidatedMessage } from './validate-message.service';

interface AcceptRow {
  inserted: boolean;
  contact_id: string | null;
  sender_ok: boolean;
  sender_state: string | null;
}

/** Anti-spoofing: a sender must be registered, approved, and approved for the route it will use. */
function senderNotApproved(state: string | null, route: string | null): DomainError {
  return new DomainError('SENDER_NOT_APPROVED', 'This sender is not registered and approved for the route this message would take.', {
    state: state ?? 'unregistered',
    route,
  });
}

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
    private readonly batches: StatementBatches,
  ) {}

  async accept(tenantId: string, idempotencyKey: string, req: MessageRequest): Promise<AcceptResult> {
    const hash = requestHash(req);
    const tenant = await this.tenants.get(tenantId);
    let v: ValidatedMessage;
    try {
      v = await this.validator.validate(tenant, req);
    } catch (err) {
      // A replay of an accepted request answers as it did then, even if it would not validate now
      // (its sendAt has passed, a sender was suspended since).
      const replay = await this.replay(tenantId, idempotencyKey, hash, req);
      if (replay) return replay;
      throw err;
    }
    const messageId = newId();
    // The row is the job: a worker's dispatcher claims it once due_at has come (now, or sendAt),
    // woken by a NOTIFY sent right after the commit. Nothing is enqueued that could be lost.
    const dueAt = v.sendAt ?? new Date();
    const body = { id: messageId, status: 'accepted' };
    const reference = typeof req.metadata?.reference === 'string' ? req.metadata.reference : null;

    // One statement, one round trip: each data-modifying CTE runs only if the sender passed the
    // anti-spoofing gate and the idempotency key was claimed. A concurrent duplicate blocks on the
    // key until this commits, then claims nothing.
    const phoneIndex = this.contacts.blindIndex(tenantId, v.e164);
    const accept = {
      sql: `WITH sender_gate AS (
         SELECT s.state, ${senderApprovedSql('s', '$23::text')} AS ok
         FROM senders s WHERE s.tenant_id = $1 AND s.address = $15
       ), idem AS (
         INSERT INTO idempotency_keys (tenant_id, key, request_hash, message_id, response_status, response_body)
         SELECT $1, $2, $3, $4, 202, $5 WHERE $15::text IS NULL OR (SELECT ok FROM sender_gate)
         ON CONFLICT DO NOTHING RETURNING 1
       ), c AS (
         INSERT INTO contacts (id, tenant_id, phone_enc, phone_bidx)
         SELECT $6, $1, $7, $8 WHERE EXISTS (SELECT 1 FROM idem)
         ON CONFLICT (tenant_id, phone_bidx) DO UPDATE SET updated_at = contacts.updated_at
         RETURNING id
       ), conv AS (
         INSERT INTO conversations (id, tenant_id, contact_id) SELECT $9, $1, id FROM c
         ON CONFLICT (contact_id) DO UPDATE SET last_activity_at = now()
         RETURNING id, contact_id
       ), msg AS (
         INSERT INTO messages (id, tenant_id, contact_id, conversation_id, direction, category, status, text, rcs, line, plan,
           sender, callback_url, metadata, crm_ref, send_at, expires_at, due_at)
         SELECT $4, $1, conv.contact_id, conv.id, 'outbound', $10, 'accepted', $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21 FROM conv
         RETURNING id
       ), ev AS (
         INSERT INTO events (id, tenant_id, message_id, source, type, status, occurred_at)
         SELECT $22, $1, id, 'api', 'accepted', 'accepted', now() FROM msg
       )
       SELECT EXISTS (SELECT 1 FROM idem) AS inserted, (SELECT contact_id FROM conv) AS contact_id,
         $15::text IS NULL OR coalesce((SELECT ok FROM sender_gate), false) AS sender_ok, (SELECT state FROM sender_gate) AS sender_state`,
      params: [
        tenantId,
        idempotencyKey,
        hash,
        messageId,
        JSON.stringify(body),
        newId(),
        this.contacts.encrypt(v.e164),
        phoneIndex,
        newId(),
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
        newId(),
        v.plan.smsRoute ?? null,
      ],
    };
    // Committed (durably) before the wake-up, which goes in a transaction of its own; accepts that
    // arrive together share the commit, taking their contacts' rows in blind-index order.
    const rows = await this.batches.run<AcceptRow>(accept, { order: phoneIndex, notify: [NOTIFY.due] });
    const row = rows[0];

    if (!row?.inserted) {
      // A replay answers as it did then, even if its sender has been suspended since.
      const again = await this.replay(tenantId, idempotencyKey, hash, req);
      if (again) return again;
      if (row && !row.sender_ok) throw senderNotApproved(row.sender_state, v.plan.smsRoute ?? null);
      throw new DomainError('IDEMPOTENCY_IN_PROGRESS', 'A request with this Idempotency-Key is still being processed; retry shortly.');
    }
    if (req.to.lineUserId && row.contact_id) {
      // Rare (a CRM that links LINE accounts), so kept out of the hot statement.
      // Never onto a contact erased since the accept committed (its LINE id is NULL too).
      await this.db.query(`UPDATE contacts SET line_user_id = $1, line_following = COALESCE(line_following, true) WHERE id = $2 AND line_user_id IS NULL AND erased_at IS NULL`, [
        req.to.lineUserId,
        row.contact_id,
      ]);
    }
    return { status: 202, body, replayed: false };
  }

  private async replay(tenantId: string, key: string, hash: string, req: MessageRequest): Promise<AcceptResult | null> {
    const row = await this.db.getRepository(IdempotencyKeyEntity).findOneBy({ tenantId, key });
    if (!row) return null;
    if (row.requestHash !== hash && row.requestHash !== legacyRequestHash(req)) {
      throw new DomainError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with a different request body.');
    }
    return { status: row.responseStatus, body: row.responseBody as AcceptResult['body'], replayed: true };
  }
}
