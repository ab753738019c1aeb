import { Inject, Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { TSUNAGU_CONFIG, TsunaguConfig } from '@tsunagu/config';
import { retryAfterMs } from '@tsunagu/core';
import { AllLookup, osResolver, signWebhook } from '@tsunagu/security';
import { callbackJob, writeOutbox } from '../infra/outbox';
import { rowsOf } from '../infra/rows-of';
import { inTx } from '../infra/tx';
import { TenantSettingsService, signingSecrets } from '../tenants/tenant-settings.service';
import { CALLBACK_RESOLVER } from './callback-resolver';
import { guardedPost } from './guarded-post';

/** Retry schedule: quick at first, then settling to 30 minutes, until give_up_at (24 h). */
export function callbackBackoffMs(tries: number): number {
  const base = Math.min(5_000 * 2 ** Math.max(0, tries - 1), 30 * 60_000);
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

/** 408 is the CRM's own timeout: as retryable as ours. */
function retryable(status: number | null): boolean {
  return status === null || status === 408 || status === 429 || status >= 500;
}

/**
 * A CRM's `Retry-After` lengthens the wait (never shortens it below our backoff, so a `0` cannot
 * make us hammer it), up to this: one that asks for days still gets tried within the retry period.
 */
const RETRY_AFTER_MAX_MS = 60 * 60_000;

/** When to try again: our backoff, or later if the CRM said so. */
export function callbackRetryAt(tries: number, retryAfter: string | null | undefined, now = Date.now()): Date {
  const asked = Math.min(retryAfterMs(retryAfter, now) ?? 0, RETRY_AFTER_MAX_MS);
  return new Date(now + Math.max(callbackBackoffMs(tries), asked));
}

/**
 * Claims the callback's next try and answers what it needs (the message's own URL, when set, is
 * where it goes): one job makes one try. The claim counts the try before it is made, so a second
 * job for the same try (one brought forward beside the delayed one, a stalled job run again) finds
 * the count moved and does nothing, however the two overlap. `$2`: the tries the job was queued
 * at (null: a job from before jobs said so). `next_attempt_at` moves past the POST's own timeout,
 * so the reconciler (which waits 30 s more) re-queues the try only if this process died making it.
 */
const CLAIM_TRY = `UPDATE callbacks c SET tries = c.tries + 1, next_attempt_at = now() + make_interval(secs => $3::float8)
  FROM messages m WHERE c.id = $1 AND m.id = c.message_id AND c.status = 'pending' AND ($2::int IS NULL OR c.tries = $2::int)
  RETURNING c.id, c.tenant_id, c.tries, c.payload, c.give_up_at, m.callback_url AS message_url`;

/** `tries`: this try's number, claimed. */
type CallbackRow = { id: string; tenant_id: string; tries: number; payload: Record<string, unknown>; give_up_at: Date; message_url: string | null };

/** Each try, where it went and what came back; written with the callback's own update. */
const INSERT_TRY = `INSERT INTO callback_tries (callback_id, try, url, status, error) VALUES ($1, $2, $3, $4, $5)`;

/**
 * A try that found no callback URL (its `callback_tries` row has no URL), and why a callback ends
 * `cancelled` when its give-up time comes with still none.
 */
export const CALLBACK_URL_REMOVED = 'callback_url_removed';

/**
 * Delivers one signed status callback (Standard Webhooks: webhook-id, webhook-timestamp,
 * webhook-signature). Retries 5xx, 408, 429, timeouts and network failures, not before a
 * `Retry-After` the CRM gave (up to an hour); any other answer (a 3xx, another 4xx) is final.
 *
 * Every try is addressed and signed as the tenant is now, read past the cache: a CRM that moved
 * its endpoint gets what is still pending at the new one, and a rotated secret signs from the
 * next try (beside the old one while its overlap lasts). A message's own `callbackUrl` stays its
 * target. A try that finds no URL at all sends nothing and waits like a failed one: a tenant
 * changing its URL by clearing it and then setting the new one (`--none`, then the URL) gets what
 * was pending at the new one. Only a callback whose give-up time comes with still no URL ends,
 * `cancelled` and saying why.
 */
@Injectable()
export class CallbackSenderService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly tenants: TenantSettingsService,
    @Inject(TSUNAGU_CONFIG) private readonly config: TsunaguConfig,
    @Optional() @Inject(CALLBACK_RESOLVER) private readonly resolve: AllLookup = osResolver,
  ) {}

  /**
   * One try, claimed first (CLAIM_TRY). `queuedAt`: the callback's tries when the job was queued;
   * a job whose try another job has claimed (a retry brought forward when the tenant set its URL,
   * then the delayed one) does nothing.
   */
  async deliver(callbackId: string, queuedAt?: number): Promise<'delivered' | 'retry' | 'failed' | 'cancelled' | 'skipped'> {
    const [cb] = rowsOf<CallbackRow>(await this.db.query(CLAIM_TRY, [callbackId, queuedAt ?? null, this.config.callbacks.timeoutMs / 1000]));
    if (!cb) return 'skipped';
    const tenant = await this.tenants.fresh(cb.tenant_id);
    const url = cb.message_url ?? tenant.callbackUrl;
    if (!url) return this.noUrl(cb);
    const body = JSON.stringify({ id: cb.id, ...cb.payload });
    const timestamp = Math.floor(Date.now() / 1000);
    const headers: Record<string, string> = { 'webhook-id': cb.id, 'webhook-timestamp': String(timestamp), 'user-agent': 'Tsunagu-Callbacks/1' };
    // During a rotation's overlap, one signature per secret (space-separated, as Standard Webhooks allows).
    const secrets = signingSecrets(tenant);
    if (secrets.length) headers['webhook-signature'] = secrets.map((secret) => signWebhook({ secret, id: cb.id, timestamp, body })).join(' ');

    // The URL is judged again here, in the connecting lookup (DNS rebinding), whichever it is.
    const result = await guardedPost(url, body, headers, {
      timeoutMs: this.config.callbacks.timeoutMs,
      allowPrivate: this.config.callbacks.allowPrivateUrls,
      resolve: this.resolve,
    });
    const ok = result.status !== null && result.status >= 200 && result.status < 300;
    const tries = cb.tries;
    const next = callbackRetryAt(tries, result.retryAfter);
    const outcome = ok ? 'delivered' : retryable(result.status) && result.error !== 'address_not_allowed' && next < new Date(cb.give_up_at) ? 'retry' : 'failed';
    await this.record(cb.id, tries, { url, status: result.status, error: result.error }, outcome, next);
    return outcome;
  }

  /**
   * A try with no URL to go to: recorded (no URL, `callback_url_removed`) and, until the give-up
   * time, scheduled again with the usual backoff, the last wait cut to end at the give-up time, so
   * a callback is cancelled when it comes and not a backoff step before or after it. `url` keeps
   * where it last went.
   */
  private async noUrl(cb: CallbackRow): Promise<'retry' | 'cancelled'> {
    const tries = cb.tries;
    const giveUpAt = new Date(cb.give_up_at);
    const outcome = Date.now() < giveUpAt.getTime() ? 'retry' : 'cancelled';
    const next = new Date(Math.min(callbackRetryAt(tries, null).getTime(), giveUpAt.getTime()));
    await this.record(cb.id, tries, { url: null, status: null, error: CALLBACK_URL_REMOVED }, outcome, next);
    return outcome;
  }

  /**
   * A try and what it came to, in one transaction: its `callback_tries` row, the callback's own
   * (`url` the try's, kept when the try had none), and for a retry the job of the next try.
   */
  private record(
    id: string,
    tries: number,
    sent: { url: string | null; status: number | null; error: string | null },
    outcome: 'delivered' | 'retry' | 'failed' | 'cancelled',
    next: Date,
  ): Promise<void> {
    return inTx(this.db, async (tx) => {
      tx.write(INSERT_TRY, [id, tries, sent.url, sent.status, sent.error]);
      if (outcome === 'delivered') {
        tx.write(`UPDATE callbacks SET status = 'delivered', tries = $2, url = $3, last_status = $4, delivered_at = now() WHERE id = $1`, [id, tries, sent.url, sent.status]);
      } else if (outcome === 'retry') {
        tx.write(`UPDATE callbacks SET tries = $2, url = COALESCE($3, url), last_status = $4, last_error = $5, next_attempt_at = $6 WHERE id = $1`, [
          id, tries, sent.url, sent.status, sent.error, next,
        ]);
        writeOutbox(tx, [callbackJob(id, tries, { availableAt: next })]);
      } else {
        tx.write(`UPDATE callbacks SET status = $2, tries = $3, url = COALESCE($4, url), last_status = $5, last_error = $6 WHERE id = $1`, [
          id, outcome, tries, sent.url, sent.status, sent.error,
        ]);
      }
    });
  }
}
