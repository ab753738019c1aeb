import { DataSource } from 'typeorm';
import { z } from 'zod';
import { LineChannelModule, LineChannelOptions } from '@tsunagu/channel-line';
import { RcsChannelModule, RcsChannelOptions } from '@tsunagu/channel-rcs';
import { SmsChannelModule, senderAllowedOn } from '@tsunagu/channel-sms';
import { newId } from '@tsunagu/core';
import { PhoneCipher } from '@tsunagu/security';
import { registerChannelModule } from './channel-modules';

const smsRoute = z
  .object({
    name: z.string().regex(/^[a-z0-9_-]{1,40}$/, 'lower-case letters, digits, _ and -'),
    kind: z.enum(['domestic_direct', 'international']),
    carriers: z.array(z.enum(['docomo', 'au', 'softbank', 'rakuten', 'aggregator'])).default([]),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535),
    systemId: z.string().min(1).max(15),
    password: z.string().max(8, 'SMPP 3.4 passwords are at most 8 characters'),
    systemType: z.string().max(12).optional(),
    tls: z.boolean().default(false),
    binds: z.number().int().min(1).max(32).default(1),
    window: z.number().int().min(1).max(1000).default(10),
    throughputPerSecond: z.number().int().min(0).default(0),
    enquireLinkSeconds: z.number().int().min(5).max(600).default(30),
    validityPeriodSeconds: z.number().int().positive().optional(),
    maxSegments: z.number().int().min(1).max(255).default(10),
    udh16: z.boolean().default(false),
    messageIdMatch: z.enum(['as_is', 'hex_decimal', 'decimal_hex']).default('as_is'),
    defaultSender: z.string().max(20).optional(),
    receiptUtcOffsetMinutes: z.number().int().min(-720).max(840).default(0),
    inboundGsm7: z.enum(['unpacked', 'packed']).default('unpacked'),
  })
  .strict()
  .refine((r) => !r.defaultSender || senderAllowedOn(r.kind, r.defaultSender), {
    message: 'a domestic direct route cannot send from an alphanumeric id (Japanese carriers show a number or a short code)',
    path: ['defaultSender'],
  });

const smsSettings = z
  .object({
    enabled: z.boolean().default(true),
    routes: z.array(smsRoute).min(1, 'at least one route'),
    dlrWindowSeconds: z.number().int().positive().default(172800),
    stopWords: z.array(z.string().min(1)).optional(),
    concatTimeoutSeconds: z.number().int().min(1).max(3600).default(180),
  })
  .strict();

function parse<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    // Issue paths and messages only: a route's password is never echoed.
    const lines = r.error.issues.map((i) => `  - ${where}.${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid ${where} configuration:\n${lines.join('\n')}`);
  }
  return r.data;
}

let registered = false;

/** The channels that ship with Tsunagu, keyed by their `channels.<name>` block in the YAML. */
export function registerBuiltinChannels(): void {
  if (registered) return;
  registered = true;
  registerChannelModule('sms', (raw, _config, role) => {
    const settings = parse(smsSettings, raw, 'channels.sms');
    return SmsChannelModule.registerAsync({
      inject: [DataSource, PhoneCipher],
      useFactory: (db: DataSource, cipher: PhoneCipher) => ({
        routes: settings.routes,
        dlrWindowSeconds: settings.dlrWindowSeconds,
        stopWords: settings.stopWords,
        inboundPartsDb: db,
        inboundPartsSeal: cipher,
        concatTimeoutSeconds: settings.concatTimeoutSeconds,
        // The api only measures and routes; binds live in workers.
        autoStart: role === 'worker',
        onUnparsed: (record) =>
          void db
            .query(`INSERT INTO unparsed_inbound (id, channel, reason, detail) VALUES ($1, 'sms', $2, $3)`, [newId(), record.reason, JSON.stringify(record)])
            .catch(() => undefined),
      }),
    });
  });
  registerChannelModule('rcs', (raw) => {
    const { enabled: _enabled, ...options } = raw as RcsChannelOptions & { enabled?: boolean };
    return RcsChannelModule.register(options as RcsChannelOptions);
  });
  registerChannelModule('line', (raw) => {
    const { enabled: _enabled, ...options } = raw as LineChannelOptions & { enabled?: boolean };
    return LineChannelModule.register(options as LineChannelOptions);
  });
}
