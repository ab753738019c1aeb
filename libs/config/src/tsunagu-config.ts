import { PolicyDefaults } from './config.schema';

/** The one validated, typed configuration object. Nothing else reads process.env. */
export interface TsunaguConfig {
  port: number;
  databaseUrl: string;
  /** prepareStatements: keep plans of repeated statements per connection (off behind a transaction-mode pooler). */
  /** txGroupSize / txGroupsInFlight: the worker's shared transactions (`TxGroups`); size 1 turns them off. */
  database: { prepareStatements: boolean; poolMax: number; txGroupSize: number; txGroupsInFlight: number };
  redisUrl: string;
  redisPrefix: string;
  /** base64 of 32 bytes; a secret: never printed. */
  dataKey: string;
  publicUrl: string | undefined;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /**
   * apiKeyCacheMs: verified keys are cached this long per process; a revocation is announced and holds at once (this bounds a missed announcement).
   * opsToken: the bearer token `/health` and `/metrics` require (a secret); unset, they answer 403.
   * operatorToken: the bearer token the operators' decisions (`/ops/*`) require, never the opsToken (a secret); unset, 403.
   * trustProxy: Express's `trust proxy`, which decides the client address API-key networks are checked against.
   */
  http: { bodyLimitBytes: number; apiKeyCacheMs: number; rateLimitPerSecond: number; maxBacklog: number; opsToken?: string; operatorToken?: string; trustProxy?: boolean | number | string };
  /** Where JSON logs go: stdout when unset. */
  logFile?: string;
  callbacks: { allowPrivateUrls: boolean; timeoutMs: number; retryHours: number };
  /** textDays: how long a final message keeps its words (0: until erased on request). */
  retention: { textDays: number };
  /** pwnedPasswordsUrl: the Pwned Passwords range API new console passwords are checked against; null: not checked (`off`). */
  console: { pwnedPasswordsUrl: string | null };
  worker: { concurrency: number; dispatchConcurrency: number; sendConcurrency: number; directSends: number; reconcileIntervalMs: number; duePollMs: number };
  policy: PolicyDefaults;
  tenantPolicies: Record<string, Partial<PolicyDefaults>>;
  channels: Record<string, unknown>;
}

export const TSUNAGU_CONFIG = Symbol('TSUNAGU_CONFIG');

/** Names of fields whose values are secrets, for printing a config safely. */
export const SECRET_FIELDS = ['dataKey', 'databaseUrl', 'redisUrl'] as const;
