import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import IORedis from 'ioredis';
import { DataSource } from 'typeorm';
import { TSUNAGU_CONFIG, TsunaguConfig } from '@tsunagu/config';
import { ChannelEvent, newId, TIMED_OUT, within } from '@tsunagu/core';
import { EngineRedis } from '../infra/engine-redis';
import { queryOnce } from '../infra/tx';
import { rowsOf } from '../infra/rows-of';

/** How long a receipt waits for its submit response before it is dropped as an orphan. */
export const PARK_TTL_MS = 10 * 60_000;

/** Counted per channel, summed over every worker; served by the api's /metrics. */
export const ORPHANS_EXPIRED_METRIC = 'tsunagu_orphan_receipts_expired_total';
/**
 * How long a sweep or a scrape waits on Redis for the count. The client queues commands while
 * Redis is away, so an increment is not lost, only late; the reconciler must not stall on it.
 */
const COUNT_WAIT_MS = 1000;

type Replay = (events: ChannelEvent[]) => Promise<void>;
export type ParkedRow = { event: ChannelEvent & { occurredAt: string } };

/**
 * Parked receipts whose attempt (or multipart part) is known by now, looked up per parked row on
 * the provider-id indexes. Scalar subqueries, not `OR EXISTS`: PostgreSQL turned those into hashed
 * subplans that read every attempt on each sweep, however few receipts were parked.
 */
export const MATCHED_PARKED = `SELECT DISTINCT p.channel, p.provider_message_id FROM parked_events p
  WHERE COALESCE(
    (SELECT true FROM attempts a WHERE a.channel = p.channel AND a.provider_message_id = p.provider_message_id LIMIT 1),
    (SELECT true FROM attempt_parts ap WHERE ap.provider_message_id = p.provider_message_id
       AND (SELECT a.channel FROM attempts a WHERE a.id = ap.attempt_id) = p.channel LIMIT 1),
    false)
  LIMIT 500`;

/**
 * A receipt can beat its submit_sm_resp (the SMSC answers on another connection, or the resp is
 * slow): it is parked in PostgreSQL, not dropped, and applied when the provider id becomes known.
 */
@Injectable()
export class ParkedEvents {
  private replay: Replay | null = null;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(TSUNAGU_CONFIG) private readonly config: Pick<TsunaguConfig, 'redisPrefix'>,
    private readonly redis: EngineRedis,
  ) {}

  /** Set by the ingestion service (it depends on this class, so it registers itself). */
  bind(replay: Replay): void {
    this.replay = replay;
  }

  async park(event: ChannelEvent): Promise<void> {
    await queryOnce(
      this.db,
      `INSERT INTO parked_events (id, channel, provider_message_id, event, expires_at) VALUES ($1, $2, $3, $4, $5)`,
      [newId(), event.channel, event.providerMessageId, JSON.stringify(event), new Date(Date.now() + PARK_TTL_MS)],
    );
  }

  async release(channel: string, providerMessageIds: string[]): Promise<number> {
    if (providerMessageIds.length === 0 || !this.replay) return 0;
    const [sql, params] = this.claimStatement(channel, providerMessageIds);
    return this.replayClaimed(await queryOnce<ParkedRow>(this.db, sql, params));
  }

  /**
   * The statement that takes the parked receipts for these ids, for a caller to send with its own
   * commit (the send's `sent` transaction does), then hand the rows to `replayClaimed`.
   */
  claimStatement(channel: string, providerMessageIds: string[]): [string, unknown[]] {
    return [`DELETE FROM parked_events WHERE channel = $1 AND provider_message_id = ANY($2) RETURNING event`, [channel, providerMessageIds]];
  }

  async replayClaimed(rows: ParkedRow[]): Promise<number> {
    if (rows.length === 0 || !this.replay) return 0;
    await this.replay(rows.map((r) => ({ ...r.event, occurredAt: new Date(r.event.occurredAt) })));
    return rows.length;
  }

  /** Safety net run by the reconciler: parked receipts whose attempt is known by now. */
  async releaseMatched(): Promise<number> {
    const rows: { channel: string; provider_message_id: string }[] = await this.db.query(MATCHED_PARKED);
    let released = 0;
    for (const r of rows) released += await this.release(r.channel, [r.provider_message_id]);
    return released;
  }

  /**
   * Orphans past their TTL (a receipt for an id no submit ever answered with): removed, and
   * counted by channel in `ORPHANS_EXPIRED_METRIC`. A row is counted by the sweep whose DELETE
   * took it, so two workers sweeping at once never count one orphan twice.
   */
  async expire(): Promise<Record<string, number>> {
    const rows = rowsOf<{ channel: string }>(await this.db.query(`DELETE FROM parked_events WHERE expires_at < now() RETURNING channel`));
    const byChannel: Record<string, number> = {};
    for (const { channel } of rows) byChannel[channel] = (byChannel[channel] ?? 0) + 1;
    if (rows.length) {
      const add = this.client().multi();
      for (const [channel, n] of Object.entries(byChannel)) add.hincrby(this.countsKey(), channel, n);
      await within(add.exec().catch(() => undefined), COUNT_WAIT_MS);
    }
    return byChannel;
  }

  /** Orphans expired so far by channel, over every worker (since Redis last lost its data). */
  async expiredCounts(): Promise<Record<string, number>> {
    const counts = await within(this.client().hgetall(this.countsKey()), COUNT_WAIT_MS);
    if (counts === TIMED_OUT) throw new Error('Redis did not answer for the expired orphan count');
    return Object.fromEntries(Object.entries(counts).map(([channel, n]) => [channel, Number(n)]));
  }

  private countsKey(): string {
    return `${this.config.redisPrefix}:metrics:orphan-receipts-expired`;
  }

  private client(): IORedis {
    return this.redis.client();
  }
}
