import { Controller, Get, Header, Inject, UseGuards } from '@nestjs/common';
import { ApiExcludeEndpoint } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { DataSource } from 'typeorm';
import { TSUNAGU_CONFIG, TsunaguConfig } from '@tsunagu/config';
import { ChannelHealthService, JobQueues, ORPHANS_EXPIRED_METRIC, ParkedEvents } from '@tsunagu/engine';
import { QUEUES } from '@tsunagu/jobs';
import { smppBindCounts } from './channel-metrics';
import { registerCallbackGauges } from './callback-metrics';
import { ApiMetrics } from './api-metrics';
import { OpsTokenGuard } from './ops-token.guard';

/** Attempts of the last 24 hours by channel and status, on the `attempts_created` BRIN index. */
export const ATTEMPTS_LAST_24H = `SELECT channel, status, count(*) AS n FROM attempts WHERE created_at > now() - interval '24 hours' GROUP BY channel, status`;

/** Prometheus metrics: process defaults, queue depths, and message and attempt states from PostgreSQL. */
@Controller('metrics')
@UseGuards(OpsTokenGuard)
export class MetricsController {
  private readonly registry: Registry;

  constructor(
    metrics: ApiMetrics,
    queues: JobQueues,
    @InjectDataSource() db: DataSource,
    channelHealth: ChannelHealthService,
    parked: ParkedEvents,
    @Inject(TSUNAGU_CONFIG) config: TsunaguConfig,
  ) {
    this.registry = metrics.registry;
    collectDefaultMetrics({ register: this.registry, prefix: 'tsunagu_' });
    new Gauge({
      name: 'tsunagu_queue_jobs',
      help: 'Jobs per queue and state',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        for (const name of [QUEUES.callback, ...queues.all().map((q) => q.name).filter((n) => n.startsWith('send-'))]) {
          const counts = await queues.get(name).getJobCounts('waiting', 'active', 'delayed', 'failed').catch(() => ({}) as Record<string, number>);
          for (const [state, n] of Object.entries(counts)) this.set({ queue: name, state }, n);
        }
      },
    });
    new Gauge({
      name: 'tsunagu_timers',
      help: 'Messages whose next look (a fallback deadline, a wake-up) is held in PostgreSQL, due now or later',
      labelNames: ['state'],
      registers: [this.registry],
      async collect() {
        const [r]: { due: string; later: string }[] = await db
          .query(`SELECT count(*) FILTER (WHERE due_at <= now()) AS due, count(*) FILTER (WHERE due_at > now()) AS later FROM messages WHERE status IN ('accepted', 'dispatching') AND due_at IS NOT NULL`)
          .catch(() => [{ due: '0', later: '0' }]);
        this.set({ state: 'due' }, Number(r.due));
        this.set({ state: 'later' }, Number(r.later));
      },
    });
    new Gauge({
      name: 'tsunagu_messages_open',
      help: 'Outbound messages not yet final, by status',
      labelNames: ['status'],
      registers: [this.registry],
      async collect() {
        const rows: { status: string; n: string }[] = await db
          .query(`SELECT status, count(*) AS n FROM messages WHERE status IN ('accepted', 'dispatching') GROUP BY status`)
          .catch(() => []);
        this.reset();
        for (const r of rows) this.set({ status: r.status }, Number(r.n));
      },
    });
    new Gauge({
      name: 'tsunagu_attempts_last_24h',
      help: 'Attempts created in the last 24 hours, by channel and status',
      labelNames: ['channel', 'status'],
      registers: [this.registry],
      async collect() {
        const rows: { channel: string; status: string; n: string }[] = await db
          .query(ATTEMPTS_LAST_24H)
          .catch(() => []);
        this.reset();
        for (const r of rows) this.set({ channel: r.channel, status: r.status }, Number(r.n));
      },
    });
    // Provider connectivity, from the workers' health reports (the api holds no provider connection):
    // read once per scrape for the three gauges, each a set of labelled values.
    type AllHealth = Awaited<ReturnType<ChannelHealthService['all']>>;
    let health: Promise<AllHealth> | null = null;
    const healthOnce = () => (health ??= channelHealth.all().catch(() => ({}) as AllHealth).finally(() => setTimeout(() => (health = null), 1000).unref()));
    const healthGauge = <L extends string>(name: string, help: string, labelNames: L[], values: (all: AllHealth) => [Record<L, string>, number][]) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers: [this.registry],
        async collect() {
          const all = await healthOnce();
          this.reset();
          for (const [labels, n] of values(all)) this.set(labels, n);
        },
      });
    healthGauge('tsunagu_channel_up', "Whether a channel is up (1) or down (0), by the workers' reports", ['channel'], (all) =>
      Object.entries(all).map(([channel, h]) => [{ channel }, h.up ? 1 : 0]),
    );
    healthGauge('tsunagu_channel_workers', 'Workers reporting on a channel (0: none has reported; each holds its own provider connections)', ['channel'], (all) =>
      Object.entries(all).map(([channel, h]) => [{ channel }, h.workers]),
    );
    healthGauge('tsunagu_smpp_binds', 'SMPP binds by route and state (bound, connecting, …), summed over the workers', ['route', 'state'], (all) =>
      [...smppBindCounts(all)].flatMap(([route, states]) => [
        // Bound is always reported, 0 included, so "no bound bind on a route" can be alerted on.
        [{ route, state: 'bound' }, states.get('bound') ?? 0] as [Record<'route' | 'state', string>, number],
        ...[...states].filter(([state]) => state !== 'bound').map(([state, n]) => [{ route, state }, n] as [Record<'route' | 'state', string>, number]),
      ]),
    );
    // The workers' reconcilers expire the orphans and add them up in Redis; every channel is
    // reported, 0 included, so a rise can be alerted on from the first one. Redis not answering
    // keeps the last values: dropping to 0 and back would read as a burst of orphans.
    new Counter({
      name: ORPHANS_EXPIRED_METRIC,
      help: 'Delivery receipts for a provider id no submit answered with, dropped after waiting out their TTL, by channel',
      labelNames: ['channel'],
      registers: [this.registry],
      async collect() {
        const [counts, all] = await Promise.all([parked.expiredCounts().catch(() => null), healthOnce()]);
        if (!counts) return;
        this.reset();
        for (const channel of new Set([...Object.keys(all), ...Object.keys(counts)])) this.inc({ channel }, counts[channel] ?? 0);
      },
    });
    registerCallbackGauges(this.registry, db, config.callbacks.retryHours);
  }

  @Get()
  @ApiExcludeEndpoint()
  @Header('content-type', 'text/plain; version=0.0.4')
  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}
