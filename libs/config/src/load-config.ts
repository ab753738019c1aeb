import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { envSchema, fileSchema, policyDefaultsSchema } from './config.schema';
import { TsunaguConfig } from './tsunagu-config';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function describeIssues(where: string, error: z.ZodError): string {
  const lines = error.issues.map((i) => `  - ${where}${i.path.length ? '.' + i.path.join('.') : ''}: ${i.message}`);
  return lines.join('\n');
}

/**
 * Replaces `{ env: NAME }` and `{ file: PATH }` references anywhere in the YAML with the variable's
 * value or the file's content, so that secrets (SMPP passwords, LINE channel secrets,
 * service-account keys) live in the environment or in mounted secret files, never in the YAML.
 */
function resolveSecretRefs(value: unknown, env: NodeJS.ProcessEnv, path: string): unknown {
  if (Array.isArray(value)) return value.map((v, i) => resolveSecretRefs(v, env, `${path}[${i}]`));
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1 && entries[0][0] === 'env' && typeof entries[0][1] === 'string') {
      const name = entries[0][1];
      const resolved = env[name];
      if (resolved === undefined) throw new ConfigError(`${path} refers to environment variable ${name}, which is not set.`);
      return resolved;
    }
    if (entries.length === 1 && entries[0][0] === 'file' && typeof entries[0][1] === 'string') {
      try {
        return readFileSync(entries[0][1], 'utf8');
      } catch {
        throw new ConfigError(`${path} refers to file ${entries[0][1]}, which cannot be read.`);
      }
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, resolveSecretRefs(v, env, `${path}.${k}`)]));
  }
  return value;
}

const DEV_KEY_HINT =
  'Set TSUNAGU_DATA_KEY to 32 random bytes in base64, e.g. `openssl rand -base64 32` ' +
  "or `node -e \"console.log(require('crypto').randomBytes(32).toString('base64'))\"`.";

export function loadConfig(env: NodeJS.ProcessEnv = process.env): TsunaguConfig {
  const parsedEnv = envSchema.safeParse(env);
  if (!parsedEnv.success) {
    throw new ConfigError(`Invalid environment:\n${describeIssues('env', parsedEnv.error)}`);
  }
  const e = parsedEnv.data;

  let file = fileSchema.parse({});
  if (e.TSUNAGU_CONFIG) {
    let text: string;
    try {
      text = readFileSync(e.TSUNAGU_CONFIG, 'utf8');
    } catch (err) {
      throw new ConfigError(`TSUNAGU_CONFIG=${e.TSUNAGU_CONFIG} cannot be read: ${(err as Error).message}`);
    }
    let raw: unknown;
    try {
      raw = resolveSecretRefs(parseYaml(text) ?? {}, env, 'config');
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      throw new ConfigError(`TSUNAGU_CONFIG=${e.TSUNAGU_CONFIG} is not valid YAML: ${(err as Error).message}`);
    }
    const parsedFile = fileSchema.safeParse(raw);
    if (!parsedFile.success) {
      throw new ConfigError(`Invalid configuration file ${e.TSUNAGU_CONFIG}:\n${describeIssues('config', parsedFile.error)}`);
    }
    file = parsedFile.data;
  }

  if (!e.TSUNAGU_DATA_KEY) throw new ConfigError(`TSUNAGU_DATA_KEY is required (phone numbers are encrypted with it). ${DEV_KEY_HINT}`);
  if (Buffer.from(e.TSUNAGU_DATA_KEY, 'base64').length !== 32) {
    throw new ConfigError(`TSUNAGU_DATA_KEY must be 32 bytes in base64 (its value is not shown). ${DEV_KEY_HINT}`);
  }

  if (e.TSUNAGU_OPERATOR_TOKEN !== undefined && e.TSUNAGU_OPERATOR_TOKEN === e.TSUNAGU_OPS_TOKEN) {
    // Else whatever scrapes /metrics with it could approve senders too (neither value is shown).
    throw new ConfigError('TSUNAGU_OPERATOR_TOKEN must differ from TSUNAGU_OPS_TOKEN: the operations token is for reading /health and /metrics, the operator token for decisions.');
  }

  const policy = file.policy ?? policyDefaultsSchema.parse({});
  return {
    port: e.PORT,
    databaseUrl: e.DATABASE_URL,
    database: { prepareStatements: e.TSUNAGU_DB_PREPARE === 'true', poolMax: e.TSUNAGU_DB_POOL_MAX, txGroupSize: e.TSUNAGU_TX_GROUP_SIZE, txGroupsInFlight: e.TSUNAGU_TX_GROUPS_IN_FLIGHT },
    redisUrl: e.REDIS_URL,
    redisPrefix: e.TSUNAGU_REDIS_PREFIX,
    dataKey: e.TSUNAGU_DATA_KEY,
    publicUrl: e.TSUNAGU_PUBLIC_URL,
    logLevel: e.TSUNAGU_LOG_LEVEL,
    http: {
      bodyLimitBytes: e.TSUNAGU_BODY_LIMIT,
      apiKeyCacheMs: e.TSUNAGU_API_KEY_CACHE_MS,
      rateLimitPerSecond: e.TSUNAGU_RATE_LIMIT_PER_SECOND,
      maxBacklog: e.TSUNAGU_MAX_BACKLOG,
      opsToken: e.TSUNAGU_OPS_TOKEN,
      operatorToken: e.TSUNAGU_OPERATOR_TOKEN,
      trustProxy: e.TSUNAGU_TRUST_PROXY === 'false' ? false : e.TSUNAGU_TRUST_PROXY === 'true' ? true : /^\d+$/.test(e.TSUNAGU_TRUST_PROXY) ? Number(e.TSUNAGU_TRUST_PROXY) : e.TSUNAGU_TRUST_PROXY,
    },
    logFile: e.TSUNAGU_LOG_FILE,
    retention: { textDays: e.TSUNAGU_TEXT_RETENTION_DAYS },
    callbacks: {
      allowPrivateUrls: e.TSUNAGU_ALLOW_PRIVATE_CALLBACKS === 'true',
      timeoutMs: e.TSUNAGU_CALLBACK_TIMEOUT_MS,
      retryHours: e.TSUNAGU_CALLBACK_RETRY_HOURS,
    },
    console: { pwnedPasswordsUrl: e.TSUNAGU_PWNED_PASSWORDS_URL === 'off' ? null : e.TSUNAGU_PWNED_PASSWORDS_URL.replace(/\/+$/, '') },
    worker: {
      concurrency: e.TSUNAGU_WORKER_CONCURRENCY,
      dispatchConcurrency: e.TSUNAGU_DISPATCH_CONCURRENCY,
      sendConcurrency: e.TSUNAGU_SEND_CONCURRENCY,
      directSends: e.TSUNAGU_DIRECT_SENDS,
      reconcileIntervalMs: e.TSUNAGU_RECONCILE_INTERVAL_MS,
      duePollMs: e.TSUNAGU_DUE_POLL_MS,
    },
    policy,
    tenantPolicies: Object.fromEntries(file.tenants.map((t) => [t.name, t.policy ?? {}])),
    channels: file.channels,
  };
}

/** The config with secrets replaced, for a start-up log line. */
export function describeConfig(config: TsunaguConfig): Record<string, unknown> {
  const mask = (url: string) => url.replace(/\/\/[^@/]*@/, '//***@');
  return {
    port: config.port,
    database: mask(config.databaseUrl),
    redis: mask(config.redisUrl),
    redisPrefix: config.redisPrefix,
    channels: Object.keys(config.channels),
    tenantsWithPolicies: Object.keys(config.tenantPolicies),
  };
}
