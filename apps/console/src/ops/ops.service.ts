import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ChannelRegistry } from '@tsunagu/channels';
import { ChannelHealthService, JobQueues } from '@tsunagu/engine';
import { QUEUES } from '@tsunagu/jobs';
import { redactObject, redactPii } from '@tsunagu/security';
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

export interface QueueRow {
  name: string;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  lastFailed: { id: string; name: string; reason: string; at: Date | null }[];
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

function withTimeout<T>(p: Promise<T>, fallback: T): Promise<T> {
  return Promise.race([p.catch(() => fallback), new Promise<T>((r) => setTimeout(() => r(fallback), PROBE_TIMEOUT_MS).unref())]);
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
    private readonly queues: JobQueues,
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
   * Queue counts straight from BullMQ, after the timers row: messages whose next look is held in
   * PostgreSQL (due_at), due now ("waiting") or later ("delayed"). Null when Redis does not answer in time.
   */
  async queueCounts(): Promise<QueueRow[] | null> {
    const timers = withTimeout(
      this.db
        .query(`SELECT count(*) FILTER (WHERE due_at <= now())::int AS due, count(*) FILTER (WHERE due_at > now())::int AS later FROM messages WHERE status IN ('accepted', 'dispatching') AND due_at IS NOT NULL`)
        .then(([r]: { due: number; later: number }[]): QueueRow => ({ name: 'timers', waiting: r.due, active: 0, delayed: r.later, failed: 0, lastFailed: [] })),
      null,
    );
    const names = [...this.registry.names().map((c) => QUEUES.send(c)), QUEUES.callback];
    const probe = Promise.all(
      names.map(async (name) => {
        const queue = this.queues.get(name);
        const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed');
        const failed = await queue.getFailed(0, 4);
        return {
          name,
          waiting: counts.waiting ?? 0,
          active: counts.active ?? 0,
          delayed: counts.delayed ?? 0,
          failed: counts.failed ?? 0,
          lastFailed: failed.map((j) => ({
            id: String(j.id ?? ''),
            name: j.name,
            reason: redactPii(String(j.failedReason ?? '')).slice(0, 300),
            at: j.finishedOn ? new Date(j.finishedOn) : null,
          })),
        };
      }),
    );
    const [timerRow, queueRows] = await Promise.all([timers, withTimeout<QueueRow[] | null>(probe, null)]);
    return queueRows && timerRow ? [timerRow, ...queueRows] : queueRows;
  }

  /** Attempts of this tenant started in the last 24 h, per channel (`rateRows`). */
  async deliveryRates(tenantId: string): Promise<RateRow[]> {
    const rows: RateCounts[] = await this.db.query(DELIVERY_RATES, [tenantId]);
    return rateRows(rows, (channel) => !this.registry.has(channel) || this.registry.get(channel).traits.reportsDelivery);
  }
}
