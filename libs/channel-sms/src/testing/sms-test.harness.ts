import { DynamicModule, INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CHANNEL_EVENT_SINK, ChannelEventSink, OutboundAttempt } from '@tsunagu/channels';
import { ChannelEvent } from '@tsunagu/core';
import { randomUUID } from 'node:crypto';
import { SandboxSmsc, SandboxSmscOptions, startSandboxSmsc } from '../../../../apps/sandbox/src/smsc';
import type { SmsRouteConfig } from '../route.selector';
import { SmsChannelModule } from '../sms-channel.module';
import { SmsChannelOptions, UnparsedReceiptRecord } from '../sms-channel.options';
import { SmsAdapter } from '../sms.adapter';

/** The engine's side of the sink, for tests: keeps every event it is handed. */
export class CollectingSink implements ChannelEventSink {
  readonly events: ChannelEvent[] = [];
  /** The next this-many hand-overs fail, as when the database is restarting. */
  failures = 0;
  async ingest(events: ChannelEvent[]): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      throw new Error('database unavailable');
    }
    this.events.push(...events);
  }
  for(providerMessageId: string): ChannelEvent[] {
    return this.events.filter((e) => e.providerMessageId === providerMessageId);
  }
}

@Module({})
class SinkModule {
  static with(sink: ChannelEventSink): DynamicModule {
    return { module: SinkModule, providers: [{ provide: CHANNEL_EVENT_SINK, useValue: sink }], exports: [CHANNEL_EVENT_SINK] };
  }
}

export const TEST_SYSTEM_ID = 'tsunagu';
export const TEST_PASSWORD = 'sandbox-pw';

export interface SmsHarness {
  smsc: SandboxSmsc;
  adapter: SmsAdapter;
  sink: CollectingSink;
  unparsed: UnparsedReceiptRecord[];
  route: SmsRouteConfig;
  app: INestApplicationContext;
  /** A fresh Japanese mobile number per call, so records per destination count one test's submits. */
  nextPhone(): string;
  attempt(phoneE164: string, overrides?: Partial<OutboundAttempt>): OutboundAttempt;
  close(): Promise<void>;
}

let phoneCounter = Math.floor(Math.random() * 1_000_000);

/** The adapter, wired by Nest with a collecting sink, bound over TCP to a fresh sandbox SMSC. */
export async function startSmsHarness(
  opts: { smsc?: Partial<SandboxSmscOptions>; route?: Partial<SmsRouteConfig>; adapter?: Partial<SmsChannelOptions>; waitForBind?: boolean } = {},
): Promise<SmsHarness> {
  const smsc = await startSandboxSmsc({ systemId: TEST_SYSTEM_ID, password: TEST_PASSWORD, receiptDelayMs: 20, ...opts.smsc });
  const sink = new CollectingSink();
  const unparsed: UnparsedReceiptRecord[] = [];
  const route: SmsRouteConfig = {
    name: 'jp-direct',
    kind: 'domestic_direct',
    carriers: ['docomo', 'kddi', 'softbank'],
    host: '127.0.0.1',
    port: smsc.port,
    systemId: TEST_SYSTEM_ID,
    password: TEST_PASSWORD,
    binds: 2,
    window: 10,
    throughputPerSecond: 0,
    enquireLinkSeconds: 1,
    maxSegments: 10,
    defaultSender: '0005123456',
    ...opts.route,
  };
  const options: SmsChannelOptions = {
    routes: [route],
    instanceId: 'test',
    timing: {
      windowWaitMs: 3000,
      submitTimeoutMs: 3000,
      bindTimeoutMs: 2000,
      enquireLinkTimeoutMs: 500,
      reconnectInitialMs: 50,
      reconnectMaxMs: 400,
      throttleBackoffMs: 200,
      throttleBackoffMaxMs: 800,
      cancelTimeoutMs: 2000,
    },
    onUnparsed: (r) => unparsed.push(r),
    ...opts.adapter,
  };
  const app = await NestFactory.createApplicationContext(SmsChannelModule.register(options, { imports: [SinkModule.with(sink)] }), {
    logger: false,
  });
  const adapter = app.get(SmsAdapter);
  if (opts.waitForBind !== false) {
    if (!(await adapter.ready(5000))) throw new Error('the adapter did not bind to the sandbox SMSC');
  }
  return {
    smsc,
    adapter,
    sink,
    unparsed,
    route,
    app,
    nextPhone: () => `+8190${String(phoneCounter++ % 100_000_000).padStart(8, '0')}`,
    attempt: (phoneE164, overrides = {}) => ({
      attemptId: randomUUID(),
      messageId: randomUUID(),
      tenantId: 'tenant-1',
      category: 'transactional',
      to: { phoneE164 },
      text: 'Your code is 123456',
      sender: null,
      timeoutSeconds: 600,
      allowInternational: false,
      ...overrides,
    }),
    async close() {
      await app.close();
      await smsc.close();
    },
  };
}
