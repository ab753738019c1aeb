import { Inject, Injectable } from '@nestjs/common';
import { TSUNAGU_CONFIG, TsunaguConfig } from '@tsunagu/config';
import { newId } from '@tsunagu/core';
import { MessageEntity } from '@tsunagu/database';
import { callbackJob, writeOutbox } from '../infra/outbox';
import type { Tx } from '../infra/tx';
import { TenantSettingsService } from '../tenants/tenant-settings.service';

/** Callback bodies carry ids, states and reasons: never the phone number or the text. */
export type CallbackPayload = Record<string, unknown> & { type: string; status: string };

/**
 * `occurredAt` is PostgreSQL's clock, not this process's: `now()` of the transaction that records
 * the change, the same instant as the `created_at` of the event rows it writes. Callbacks of one
 * message written by two processes whose clocks disagree are then still ordered as the changes
 * were. Milliseconds, UTC, `Z`: the shape `Date#toISOString` gave before.
 */
const INSERT_CALLBACK = `INSERT INTO callbacks (id, tenant_id, message_id, url, payload, give_up_at)
  VALUES ($1, $2, $3, $4, $5::jsonb || jsonb_build_object('occurredAt', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')), $6)`;

@Injectable()
export class CallbackWriter {
  constructor(
    private readonly tenants: TenantSettingsService,
    @Inject(TSUNAGU_CONFIG) private readonly config: TsunaguConfig,
  ) {}

  async write(tx: Tx, message: MessageEntity, payload: CallbackPayload): Promise<void> {
    // The URL decides only whether there is a callback at all; each try looks again (the sender).
    // The tenant's copy is this process's cache: a URL another process sets is announced and the
    // copy forgotten at once (`TenantSettingsService`), so a tenant's first URL gets the callbacks
    // of the changes made from then on, not from when a cached copy without it expired.
    const url = message.callbackUrl ?? (await this.tenants.get(message.tenantId, tx)).callbackUrl;
    if (!url) return;
    const id = newId();
    const body = {
      ...payload,
      messageId: message.id,
      metadata: message.metadata ?? undefined,
    };
    const giveUpAt = new Date(Date.now() + this.config.callbacks.retryHours * 3_600_000);
    tx.write(INSERT_CALLBACK, [id, message.tenantId, message.id, url, JSON.stringify(body), giveUpAt]);
    writeOutbox(tx, [callbackJob(id, 0)]);
  }
}
