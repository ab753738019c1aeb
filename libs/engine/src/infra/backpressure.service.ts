import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { TSUNAGU_CONFIG, TsunaguConfig } from '@tsunagu/config';
import { DomainError } from '@tsunagu/core';

const SAMPLE_MS = 1000;

/**
 * Refuses new work (503 with Retry-After) while the backlog — jobs not yet relayed plus messages
 * due and not yet taken by a worker — is past the configured depth, instead of letting queues grow without bound.
 * Sampled once a second per process, so the check costs nothing per request.
 */
@Injectable()
export class BackpressureService {
  private sampledAt = 0;
  private depth = 0;
  private sampling: Promise<void> | null = null;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(TSUNAGU_CONFIG) private readonly config: TsunaguConfig,
  ) {}

  async assertAccepting(): Promise<void> {
    const max = this.config.http.maxBacklog;
    if (max <= 0) return; // turned off: no sampling either
    if (Date.now() - this.sampledAt > SAMPLE_MS) {
      this.sampling ??= this.sample().finally(() => (this.sampling = null));
      await this.sampling;
    }
    if (this.depth > max) {
      throw new DomainError('OVERLOADED', 'Tsunagu is working through a backlog; retry shortly.', { backlog: this.depth, retryAfterSeconds: 5 });
    }
  }

  private async sample(): Promise<void> {
    const [outbox] = await this.db.query(`SELECT count(*)::int AS n FROM (SELECT 1 FROM outbox LIMIT 1000000) o`);
    const [due] = await this.db.query(
      `SELECT count(*)::int AS n FROM (SELECT 1 FROM messages WHERE status IN ('accepted', 'dispatching') AND due_at <= now() LIMIT 1000000) d`,
    );
    this.depth = Number(outbox.n) + Number(due.n);
    this.sampledAt = Date.now();
  }
}
