import { Controller, Get, Inject, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { TIMED_OUT, within } from '@tsunagu/core';
import { TSUNAGU_CONFIG, TsunaguConfig } from '@tsunagu/config';
import { ChannelHealthService, JobQueues } from '@tsunagu/engine';
import { QUEUES } from '@tsunagu/jobs';
import { OpsTokenGuard } from './ops-token.guard';

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly channelHealth: ChannelHealthService,
    private readonly queues: JobQueues,
    @Inject(TSUNAGU_CONFIG) private readonly config: TsunaguConfig,
  ) {}

  private async redis() {
    const indicator = this.indicators.check('redis');
    try {
      // The timeout covers getting the client too: BullMQ waits for a connection that may never come.
      const ping = async () => ((await this.queues.get(QUEUES.callback).client) as unknown as { ping(): Promise<string> }).ping();
      const pong = await within(ping(), 1000);
      if (pong === TIMED_OUT) throw new Error('timeout');
      return indicator.up({ pong });
    } catch (err) {
      return indicator.down({ error: (err as Error).message });
    }
  }

  private async channels() {
    const detail = await this.channelHealth.all();
    const up = Object.values(detail).every((h) => h.up);
    const indicator = this.indicators.check('channels');
    // A channel being down degrades delivery (the policy falls back) but the API still accepts work.
    return up ? indicator.up(detail) : indicator.up({ ...detail, degraded: true });
  }

  /** Everything: PostgreSQL, Redis and each channel's own health (SMPP binds, RBM, LINE); operators only. */
  @Get()
  @UseGuards(OpsTokenGuard)
  @ApiBearerAuth('ops')
  @HealthCheck()
  check() {
    return this.health.check([() => this.db.pingCheck('postgres', { timeout: 1000 }), () => this.redis(), () => this.channels()]);
  }

  /** Ready to take traffic: its dependencies answer. */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([() => this.db.pingCheck('postgres', { timeout: 1000 }), () => this.redis()]);
  }

  /** The process is alive, whatever its dependencies do. */
  @Get('live')
  live() {
    return { status: 'ok', port: this.config.port };
  }
}
