import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { TSUNAGU_CONFIG, TsunaguConfig } from '@tsunagu/config';
import { CALLBACK_WORDS_GONE, MESSAGE_WORDS_GONE } from '../contacts/message-words';
import { rowsOf } from '../infra/rows-of';

const BATCH = 1000;
/** At most this many batches a run: a backlog (retention just turned on) is worked off over runs. */
const MAX_BATCHES = 50;
const EVERY_MS = 60 * 60_000;
/**
 * How far behind the last mark a run looks again: a message may still be in flight long after it
 * was created (`sendAt` up to 30 days ahead, then its channels' timeouts), and it is swept once it
 * has ended.
 */
const MARGIN_DAYS = 35;

const SWEEPS = {
  messages: `UPDATE messages SET ${MESSAGE_WORDS_GONE}
    WHERE id IN (
      SELECT id FROM messages
      WHERE created_at >= $2 AND created_at < $1
        AND status IN ('delivered', 'read', 'failed', 'expired', 'cancelled', 'received')
        AND (text IS NOT NULL OR rcs IS NOT NULL OR line IS NOT NULL OR metadata IS NOT NULL OR crm_ref IS NOT NULL)
      LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)
    RETURNING id`,
  callbacks: `UPDATE callbacks SET payload = ${CALLBACK_WORDS_GONE}
    WHERE id IN (
      SELECT id FROM callbacks
      WHERE created_at >= $2 AND created_at < $1 AND (payload ? 'text' OR payload ? 'metadata')
      LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)
    RETURNING id`,
} as const;

/**
 * Data minimisation: after `TSUNAGU_TEXT_RETENTION_DAYS`, a final message's words go — its text,
 * rich content and metadata with the CRM reference taken from it (`crm_ref`: no longer listed
 * under that reference), and the text and metadata of its callbacks — while its states,
 * reasons, routes, attempts and events stay. Messages still in flight are never touched. Each
 * batch takes only rows no one else holds (SKIP LOCKED), so several workers may sweep at once;
 * `retention_marks` keeps each run to the days since the last (BRIN indexes find their blocks).
 */
@Injectable()
export class RetentionService implements OnModuleDestroy {
  private readonly log = new Logger(RetentionService.name);
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(TSUNAGU_CONFIG) private readonly config: TsunaguConfig,
  ) {}

  start(): void {
    if (this.config.retention.textDays <= 0) return;
    const run = () => void this.sweep().catch((err: Error) => this.log.warn({ err: err.message }, 'retention sweep failed'));
    this.timer = setInterval(run, EVERY_MS);
    this.timer.unref();
    run();
  }

  /** One run: how many messages and callbacks lost their words. */
  async sweep(days = this.config.retention.textDays): Promise<{ messages: number; callbacks: number }> {
    if (days <= 0 || this.running) return { messages: 0, callbacks: 0 };
    this.running = true;
    try {
      const result = { messages: await this.sweepTable('messages', days), callbacks: await this.sweepTable('callbacks', days) };
      if (result.messages || result.callbacks) this.log.log({ ...result, days }, 'retention: words removed from old messages');
      return result;
    } finally {
      this.running = false;
    }
  }

  private async sweepTable(name: keyof typeof SWEEPS, days: number): Promise<number> {
    const cutoff = new Date(Date.now() - days * 86_400_000);
    const [mark] = (await this.db.query(`SELECT swept_before FROM retention_marks WHERE name = $1`, [name])) as { swept_before: Date }[];
    // Never swept: from the beginning.
    const from = mark ? new Date(new Date(mark.swept_before).getTime() - MARGIN_DAYS * 86_400_000) : new Date(0);
    let n = 0;
    for (let i = 0; i < MAX_BATCHES; i++) {
      const done = rowsOf<{ id: string }>(await this.db.query(SWEEPS[name], [cutoff, from])).length;
      n += done;
      // A full run's worth left over: the mark waits, and the next run goes on from the same place.
      if (done < BATCH) {
        await this.db.query(
          `INSERT INTO retention_marks (name, swept_before) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET swept_before = GREATEST(retention_marks.swept_before, EXCLUDED.swept_before)`,
          [name, cutoff],
        );
        break;
      }
    }
    return n;
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
