import { Inject, Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { TSUNAGU_CONFIG, TsunaguConfig } from '@tsunagu/config';
import { DomainError, isUuid, newId } from '@tsunagu/core';
import { SenderEntity, SenderState } from '@tsunagu/database';
import { classifySender } from './sender-address';

const NEXT: Record<'approve' | 'suspend', { from: SenderState[]; to: SenderState }> = {
  approve: { from: ['requested', 'suspended'], to: 'approved' },
  suspend: { from: ['requested', 'approved'], to: 'suspended' },
};

/** The most senders the operators' list answers with, oldest first: filter by state for the rest. */
export const REVIEW_LIST_MAX = 1000;

export function senderView(s: SenderEntity) {
  return {
    id: s.id,
    address: s.address,
    kind: s.kind,
    ton: s.ton,
    npi: s.npi,
    state: s.state,
    routes: s.routes,
    updatedBy: s.updatedBy,
    updatedAt: s.updatedAt.toISOString(),
    createdAt: s.createdAt.toISOString(),
  };
}

const UNIQUE_VIOLATION = '23505';

function heldElsewhere(): DomainError {
  return new DomainError('CONFLICT', 'This address is approved for another organisation; it can be approved here only once that approval is suspended.', {
    reason: 'sender_held_elsewhere',
  });
}

/**
 * The registry of sender addresses (anti-spoofing): requested → approved → suspended, the routes
 * each is approved for, and an audit row for every change naming who made it.
 */
@Injectable()
export class SenderAdminService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Optional() @Inject(TSUNAGU_CONFIG) private readonly config?: Pick<TsunaguConfig, 'channels'>,
  ) {}

  /**
   * A sender is registered and approved for routes by name: a name no SMS route has would leave it
   * unusable (every message naming it refused), so it is refused here, saying which exist. Not
   * checked where this process has no SMS routes configured.
   */
  private assertKnownRoutes(routes: readonly string[] | undefined): void {
    const configured = (this.config?.channels?.sms as { routes?: { name?: unknown }[] } | undefined)?.routes?.map((r) => String(r.name));
    if (!routes || !configured) return;
    const unknown = routes.filter((r) => !configured.includes(r));
    if (unknown.length > 0) {
      throw new DomainError('VALIDATION_FAILED', `No SMS route is named ${unknown.join(', ')}; the routes are ${configured.join(', ')}.`, { field: 'routes', unknown });
    }
  }

  async list(tenantId: string) {
    const rows = await this.db.getRepository(SenderEntity).find({ where: { tenantId }, order: { createdAt: 'ASC' } });
    return rows.map(senderView);
  }

  async request(tenantId: string, input: { address: string; routes: string[] }, actor: string) {
    const a = classifySender(input.address);
    this.assertKnownRoutes(input.routes);
    const id = newId();
    return this.db.transaction(async (m) => {
      const inserted: unknown[] = await m.query(
        `INSERT INTO senders (id, tenant_id, address, kind, ton, npi, state, routes, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, 'requested', $7, $8) ON CONFLICT (tenant_id, address) DO NOTHING RETURNING 1`,
        [id, tenantId, a.address, a.kind, a.ton, a.npi, input.routes, actor],
      );
      if (inserted.length === 0) throw new DomainError('CONFLICT', 'This sender is already registered.', { address: a.address });
      await this.audit(m, tenantId, actor, 'sender.requested', id, null, { address: a.address, routes: input.routes });
      return senderView(await m.getRepository(SenderEntity).findOneByOrFail({ id }));
    });
  }

  /** One of the organisation's senders; another organisation's is not found, as if it did not exist. */
  async get(tenantId: string, id: string) {
    if (!isUuid(id)) throw new DomainError('INVALID_ID', 'The id is not a valid UUID.');
    const sender = await this.db.getRepository(SenderEntity).findOneBy({ id, tenantId });
    if (!sender) throw new DomainError('NOT_FOUND', 'No sender with this id.');
    return senderView(sender);
  }

  /**
   * The operators' queue: every organisation's senders (those in `state`, else all), oldest first,
   * each with the organisation that asked for it.
   */
  async listForReview(state?: SenderState) {
    const rows = await this.db.getRepository(SenderEntity).find({ where: state ? { state } : {}, order: { createdAt: 'ASC' }, take: REVIEW_LIST_MAX });
    return rows.map((s) => ({ ...senderView(s), tenantId: s.tenantId }));
  }

  /**
   * An organisation suspends its own sender (the safe direction: it only stops messages). It
   * cannot approve one: a sender is approved by the platform's operators (`review`) once the
   * carriers have screened it, so no organisation vouches for an address it only claims to hold.
   */
  async suspend(tenantId: string, id: string, actor: string, input: { reason?: string }) {
    return this.transition({ id, tenantId }, 'suspend', actor, input);
  }

  /** An operator's decision on any organisation's sender: approve (after screening) or suspend. */
  async review(id: string, action: 'approve' | 'suspend', actor: string, input: { routes?: string[]; reason?: string }) {
    this.assertKnownRoutes(input.routes);
    return this.transition({ id }, action, actor, input);
  }

  private async transition(where: { id: string; tenantId?: string }, action: 'approve' | 'suspend', actor: string, input: { routes?: string[]; reason?: string }) {
    const { id } = where;
    if (!isUuid(id)) throw new DomainError('INVALID_ID', 'The id is not a valid UUID.');
    return this.db.transaction(async (m) => {
      const sender = await m.getRepository(SenderEntity).findOne({ where, lock: { mode: 'pessimistic_write' } });
      if (!sender) throw new DomainError('NOT_FOUND', 'No sender with this id.');
      const tenantId = sender.tenantId;
      const rule = NEXT[action];
      if (!rule.from.includes(sender.state)) {
        throw new DomainError('CONFLICT', `A ${sender.state} sender cannot be ${action === 'approve' ? 'approved' : 'suspended'}.`, { state: sender.state });
      }
      const routes = input.routes ?? sender.routes;
      if (rule.to === 'approved') await this.assertHeldNowhereElse(m, sender);
      await m.query(`UPDATE senders SET state = $2, routes = $3, updated_by = $4, updated_at = now() WHERE id = $1`, [id, rule.to, routes, actor]).catch((e: unknown) => {
        // Two organisations approving the same address at once: the index lets one through.
        if ((e as { driverError?: { code?: string } }).driverError?.code === UNIQUE_VIOLATION) throw heldElsewhere();
        throw e;
      });
      await this.audit(m, tenantId, actor, `sender.${rule.to}`, id, input.reason ?? null, { from: sender.state, routes });
      return senderView(await m.getRepository(SenderEntity).findOneByOrFail({ id }));
    });
  }

  /**
   * An address is approved for one organisation at a time (`senders_approved_once`): it sends as
   * that organisation and its replies go there. The refusal does not say which one holds it.
   */
  private async assertHeldNowhereElse(m: EntityManager, sender: SenderEntity): Promise<void> {
    const held: unknown[] = await m.query(`SELECT 1 FROM senders WHERE address = $1 AND state = 'approved' AND id <> $2`, [sender.address, sender.id]);
    if (held.length > 0) throw heldElsewhere();
  }

  private async audit(m: EntityManager, tenantId: string, actor: string, action: string, subjectId: string, reason: string | null, detail: object): Promise<void> {
    await m.query(`INSERT INTO audit_log (id, tenant_id, actor, action, subject_type, subject_id, reason, detail) VALUES ($1, $2, $3, $4, 'sender', $5, $6, $7)`, [
      newId(), tenantId, actor, action, subjectId, reason, JSON.stringify(detail),
    ]);
  }
}
