import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { TIMED_OUT, within } from '@tsunagu/core';
import { ChannelRegistry } from '@tsunagu/channels';
import { ChannelHealthService } from '@tsunagu/engine';
import { QUEUES } from '@tsunagu/jobs';
import { redactObject } from '@tsunagu/security';
import { Fact, healthFacts, ownOnly } from './health-facts';

export interface WorkerHealthRow {
  /** The reporting process, `host:pid`. */
  worker: string;
  up: boolean;
  at: Date | null;
  facts: Fact[];
}

export interface ChannelHealthRow {
  channel: string;
  up: boolean;
  /** Each worker's report (they hold the provider connections); empty when none reported. */
  workers: WorkerHealthRow[];
  /** When no worker reported: what this process's own adapter says. */
  facts: Fact[];
}

/**
 * One line of this organisation's backlog: `waiting` is due now, `active` in hand, `delayed` due
 * later. What failed is listed as attempts (`RecentFailure`), with their reasons.
 */
export interface QueueRow {
  name: string;
  waiting: number;
  active: number;
  delayed: number;
}

/** An attempt of this organisation that ended badly in the last 24 hours, with its reason code. */
export interface RecentFailure {
  attemptId: string;
  messageId: string;
  channel: string;
  status: string;
  reason: string | null;
  at: Date;
}

export interface Backlog {
  queues: QueueRow[];
  recentFailures: RecentFailure[];
}

export interface RateRow {
  channel: string;
  total: number;
  delivered: number;
  failed: number;
  /** The channel reports no delivery: `sent` counted as delivered. */
  sentIsFinal: boolean;
}

const PROBE_TIMEOUT_MS = 2000;

async function withTimeout<T>(p: Promise<T>, fallback: T): Promise<T> {
  const answer = await within(p.catch(() => fallback), PROBE_TIMEOUT_MS);
  return answer === TIMED_OUT ? fallback : answer;
}

/** A tenant's attempts of the last 24 hours per channel, on the `attempts_created` BRIN index. */
export const DELIVERY_RATES = `SELECT channel, count(*) AS total,
    count(*) FILTER (WHERE status IN ('delivered', 'read')) AS delivered,
    count(*) FILTER (WHERE status = 'sent') AS sent,
    count(*) FILTER (WHERE status IN ('failed', 'expired', 'unknown')) AS failed
  FROM attempts WHERE tenant_id = $1 AND created_at > now() - interval '24 hours'
  GROUP BY channel ORDER BY channel`;

export interface RateCounts {
  channel: string;
  total: string;
  delivered: string;
  sent: string;
  failed: string;
}

/**
 * How many attempts, delivered (or read), failed. A channel that reports no delivery (LINE) goes
 * no further than `sent`, which is its success, so its sent attempts count as delivered.
 */
export function rateRows(rows: RateCounts[], reportsDelivery: (channel: string) => boolean): RateRow[] {
  return rows.map((r) => {
    const sentIsFinal = !reportsDelivery(r.channel);
    return { channel: r.channel, total: Number(r.total), delivered: Number(r.delivered) + (sentIsFinal ? Number(r.sent) : 0), failed: Number(r.failed), sentIsFinal };
  });
}

/** What operators need at a glance: each adapter's health, queue depths and recent failures, delivery rates. */
@Injectable()
export class OpsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly registry: ChannelRegistry,
    private readonly channelHealth: ChannelHealthService,
  ) {}

  /** From the workers' reports (they hold the provider connections), cut to what this tenant owns. */
  async health(tenantId: string): Promise<ChannelHealthRow[]> {
    const all = await withTimeout(this.channelHealth.all(), {} as Awaited<ReturnType<ChannelHealthService['all']>>);
    const facts = (detail: unknown) => healthFacts(ownOnly(redactObject(detail) ?? {}, tenantId));
    return this.registry.names().map((channel) => {
      const h = all[channel] ?? { up: false, detail: { error: 'no answer' }, workers: 0 };
      if (h.workers === 0) return { channel, up: h.up, workers: [], facts: facts(h.detail) };
      const reports = (h.detail.workers ?? {}) as Record<string, { up?: boolean; detail?: unknown; at?: string }>;
      const workers = Object.entries(reports)
        .map(([worker, r]) => ({ worker, up: r.up === true, at: r.at ? new Date(r.at) : null, facts: facts(r.detail) }))
        .sort((a, b) => a.worker.localeCompare(b.worker));
      return { channel, up: h.up, workers, facts: [] };
    });
  }

  /**
   * This organisation's work in hand, from PostgreSQL. The BullMQ queues are shared by every
   * tenant (their jobs carry ids only), so their depths and failed jobs are the platform's, shown
   * to operators on `/metrics`, never to one tenant's admin. Each count here is cut to the tenant:
   * the timers (messages whose next look is due), each channel's attempts queued (`pending`) and
   * in hand (`submitting`), and the callbacks to its CRM still to go.
   */
  async backlog(tenantId: string): Promise<Backlog> {
    const [timers, attempts, callbacks, failures] = await Promise.all([
      this.db.query(
        `SELECT count(*) FILTER (WHERE due_at <= now())::int AS due, count(*) FILTER (WHERE due_at > now())::int AS later
         FROM messages WHERE status IN ('accepted', 'dispatching') AND due_at IS NOT NULL AND tenant_id = $1`,
        [tenantId],
      ) as Promise<{ due: number; later: number }[]>,
      this.db.query(
        `SELECT channel, count(*) FILTER (WHERE status = 'pending')::int AS pending, count(*) FILTER (WHERE status = 'submitting')::int AS submitting
         FROM attempts WHERE status IN ('pending', 'submitting') AND tenant_id = $1 GROUP BY channel`,
        [tenantId],
      ) as Promise<{ channel: string; pending: number; submitting: number }[]>,
      this.db.query(
        `SELECT count(*) FILTER (WHERE next_attempt_at <= now())::int AS due, count(*) FILTER (WHERE next_attempt_at > now())::int AS later
         FROM callbacks WHERE status = 'pending' AND tenant_id = $1`,
        [tenantId],
      ) as Promise<{ due: number; later: number }[]>,
      this.db.query(
        `SELECT id, message_id, channel, status, reason, updated_at FROM attempts
         WHERE tenant_id = $1 AND created_at > now() - interval '24 hours' AND status IN ('failed', 'expired', 'unknown')
         ORDER BY updated_at DESC LIMIT 5`,
        [tenantId],
      ) as Promise<{ id: string; message_id: string; channel: string; status: string; reason: string | null; updated_at: Date }[]>,
    ]);
    const byChannel = new Map(attempts.map((a) => [a.channel, a]));
    const queues: QueueRow[] = [
      { name: 'timers', waiting: timers[0].due, active: 0, delayed: timers[0].later },
      ...this.registry.names().map((channel) => ({
        name: QUEUES.send(channel),
        waiting: byChannel.get(channel)?.pending ?? 0,
        active: byChannel.get(channel)?.submitting ?? 0,
        delayed: 0,
      })),
      { name: QUEUES.callback, waiting: callbacks[0].due, active: 0, delayed: callbacks[0].later },
    ];
    const recentFailures = failures.map((f) => ({ attemptId: f.id, messageId: f.message_id, channel: f.channel, status: f.status, reason: f.reason, at: f.updated_at }));
    return { queues, recentFailures };
  }

  /** Attempts of this tenant started in the last 24 h, per channel (`rateRows`). */
  async deliveryRates(tenantId: string): Promise<RateRow[]> {
    const rows: RateCounts[] = await this.db.query(DELIVERY_RATES, [tenantId]);
    return rateRows(rows, (channel) => !this.registry.has(channel) || this.registry.get(channel).traits.reportsDelivery);
  }
}
