import { z } from 'zod';

const seconds = z.number().int().positive();
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM');

export const policyDefaultsSchema = z
  .object({
    /** Seconds to wait for delivery on each channel before falling back. */
    timeouts: z.record(z.string(), seconds).default({ rcs: 60, sms: 600, line: 86400 }),
    /** What counts as success: delivered (default) or read (channels with read receipts). */
    successOn: z.enum(['delivered', 'read']).default('delivered'),
    /** Default channel order per category. OTP is SMS only: LINE is never an OTP channel. */
    order: z
      .object({
        otp: z.array(z.string()).min(1).default(['sms']),
        transactional: z.array(z.string()).min(1).default(['rcs', 'sms', 'line']),
        marketing: z.array(z.string()).min(1).default(['rcs', 'sms', 'line']),
      })
      .default({ otp: ['sms'], transactional: ['rcs', 'sms', 'line'], marketing: ['rcs', 'sms', 'line'] }),
    /** Marketing is held (not dropped) during quiet hours, in this time zone. */
    quietHours: z
      .object({ start: hhmm.default('21:00'), end: hhmm.default('08:00'), timezone: z.string().default('Asia/Tokyo') })
      .default({ start: '21:00', end: '08:00', timezone: 'Asia/Tokyo' }),
    /** Foreign destinations and the international SMS route need an explicit yes. */
    allowInternational: z.boolean().default(false),
    maxScheduleDays: z.number().int().positive().max(365).default(30),
  })
  .strict();

export type PolicyDefaults = z.infer<typeof policyDefaultsSchema>;

/** Per-tenant overrides from the YAML file, keyed by tenant name. */
export const tenantFileSchema = z
  .object({
    name: z.string().min(1),
    policy: policyDefaultsSchema.partial().optional(),
  })
  .strict();

export const fileSchema = z
  .object({
    policy: policyDefaultsSchema.optional(),
    tenants: z.array(tenantFileSchema).default([]),
    /** Channel settings: each channel module validates its own block. */
    channels: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export type ConfigFile = z.infer<typeof fileSchema>;

export const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/tsunagu'),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  /** BullMQ key prefix: lets tests and several installs share one Redis. */
  TSUNAGU_REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_.-]+$/).default('tsunagu'),
  TSUNAGU_CONFIG: z.string().optional(),
  TSUNAGU_DATA_KEY: z.string().optional(),
  TSUNAGU_PUBLIC_URL: z.string().url().optional(),
  /**
   * Bearer token for the operators' endpoints, `/health` (every channel's detail) and `/metrics`:
   * they name providers' accounts and load, so they are closed while it is unset. A secret.
   */
  TSUNAGU_OPS_TOKEN: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(24, 'use at least 24 characters, e.g. `openssl rand -base64 32`').optional()),
  /**
   * Bearer token for the operators' decisions, `/ops/*` (approving and suspending any
   * organisation's senders, listing them all). Not TSUNAGU_OPS_TOKEN: monitoring holds that one
   * (Prometheus's scrape config) to read, and a credential for reading must not approve a sender.
   * Closed while unset. A secret.
   */
  TSUNAGU_OPERATOR_TOKEN: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(24, 'use at least 24 characters, e.g. `openssl rand -base64 32`').optional()),
  TSUNAGU_ALLOW_PRIVATE_CALLBACKS: z.enum(['true', 'false']).default('false'),
  /**
   * Which proxies in front of the api to believe about the client's address (X-Forwarded-For),
   * as Express reads it: `false` (none), a hop count, or addresses/networks and names such as
   * `loopback`. API keys bound to networks are checked against that address.
   */
  TSUNAGU_TRUST_PROXY: z.string().max(500).default('false'),
  TSUNAGU_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TSUNAGU_BODY_LIMIT: z.coerce.number().int().positive().default(64 * 1024),
  /** Requests per second per API key, shared by every api process (0 = unlimited). */
  TSUNAGU_RATE_LIMIT_PER_SECOND: z.coerce.number().int().min(0).default(500),
  /** Backlog (unrelayed + waiting jobs) past which POST /v1/messages answers 503 (0 = never). */
  TSUNAGU_MAX_BACKLOG: z.coerce.number().int().min(0).default(100_000),
  TSUNAGU_LOG_FILE: z.string().optional(),
  /**
   * Days a final message keeps its words (text, rich content, metadata, and those of its
   * callbacks); then the worker's retention sweep removes them, keeping states and routes.
   * 0 keeps them until erased on request.
   */
  TSUNAGU_TEXT_RETENTION_DAYS: z.coerce.number().int().min(0).max(36_500).default(0),
  TSUNAGU_API_KEY_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(5000),
  // Per process, for the due-message dispatcher and the callback queue: 5 each keeps the sum near the pg pool (20).
  TSUNAGU_WORKER_CONCURRENCY: z.coerce.number().int().positive().default(5),
  /**
   * Per process: messages the due-message dispatcher runs at once. Their decisions share
   * transactions (`TSUNAGU_TX_GROUP_SIZE`), so this is not a count of database connections; 5
   * kept the groups small and the pipeline bench near 170 delivered/s, 32 near 200–220. With 96
   * (and groups of 64) the sustained bench made 783–798/s where 32 (groups of 32) made 730–748/s,
   * 4% less CPU per delivered SMS: wider groups, fewer transactions and round trips per message.
   */
  TSUNAGU_DISPATCH_CONCURRENCY: z.coerce.number().int().positive().default(96),
  /**
   * Per process, for each channel's send queue (the sends that do not go direct: retries,
   * throughput waits, sends beyond TSUNAGU_DIRECT_SENDS). A send waits on the provider (an SMPP window, an
   * HTTP call) most of its time and holds a database connection only for its two short
   * transactions, so it runs wider than the rest: 5 held the pipeline bench near 110 sends/s.
   */
  TSUNAGU_SEND_CONCURRENCY: z.coerce.number().int().positive().default(20),
  /**
   * Per worker process: sends started in-process the moment their decision commits, the attempt
   * claimed (`submitting`) in that same transaction — no outbox row, relay, BullMQ job or second
   * locked read. Beyond this many in flight, and for retries, sends go by their queue. 0: always
   * by the queue. A slot is held from the decision to its recorded result (100–200 ms under load,
   * most of it waiting on commits, not the provider): at 64, 6–9% of the pipeline bench's sends
   * ran out of slots and took the queue's longer road. The SMPP window still bounds the submits
   * actually outstanding on a bind.
   */
  TSUNAGU_DIRECT_SENDS: z.coerce.number().int().min(0).default(256),
  /** How often each worker looks for messages whose due_at has come (timers); a commit's NOTIFY also wakes it. */
  TSUNAGU_DUE_POLL_MS: z.coerce.number().int().min(5).max(10_000).default(50),
  /** Repeated statements run prepared on each connection; 'false' behind a transaction-mode pooler (PgBouncer). */
  TSUNAGU_DB_PREPARE: z.enum(['true', 'false']).default('true'),
  /**
   * The worker's transitions (decide, send, receipt) that arrive together share one PostgreSQL
   * transaction, every member's next statement in one round trip: at most this many members per
   * transaction. 1 runs each in its own transaction. A group only fills under load: a lone
   * transition still commits at once.
   */
  TSUNAGU_TX_GROUP_SIZE: z.coerce.number().int().min(1).max(256).default(64),
  /**
   * PostgreSQL connections per process. Each one PostgreSQL opens costs it a backend to warm
   * (catalog caches, each prepared statement planned anew), all at once after a restart.
   */
  TSUNAGU_DB_POOL_MAX: z.coerce.number().int().min(2).max(200).default(20),
  /** Shared transactions open at once per process (each holds one pooled connection). */
  TSUNAGU_TX_GROUPS_IN_FLIGHT: z.coerce.number().int().min(1).max(32).default(4),
  TSUNAGU_RECONCILE_INTERVAL_MS: z.coerce.number().int().positive().default(5000),
  TSUNAGU_CALLBACK_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
  TSUNAGU_CALLBACK_RETRY_HOURS: z.coerce.number().positive().default(24),
  /**
   * Have I Been Pwned's Pwned Passwords (or a mirror of it), asked by k-anonymity range (only the
   * first five hex digits of a new console password's SHA-1 leave): a password it lists is refused.
   * `off` asks nothing. Empty (as compose passes an unset variable) is the default.
   */
  TSUNAGU_PWNED_PASSWORDS_URL: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z
      .union([z.literal('off'), z.string().url().regex(/^https?:\/\//i, 'an http(s) URL, or off')])
      .default('https://api.pwnedpasswords.com'),
  ),
});
