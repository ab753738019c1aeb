import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { Sandboxes, SandboxOptions, sandboxChannelSettings, startSandboxes } from '../../apps/sandbox/src/start-sandboxes';
import { ManagedProcess, PrivatePostgres, PrivateRedis, answers, sleep, stablePort } from './infra';

export const ROOT = join(__dirname, '..', '..', '..');
export const SENDER = '00051234';

export interface SystemOptions {
  label: string;
  apis: number;
  workers: number;
  /** Fallback timeouts, seconds. */
  timeouts: { rcs: number; sms: number; line: number };
  sandbox?: SandboxOptions;
  /** The CRM's callback URL for the tenant; none = no callbacks. */
  callbackUrl?: string;
  /** Extra environment for the api and worker processes. */
  env?: Record<string, string>;
  logLevel?: string;
}

export interface System {
  dir: string;
  logDir: string;
  pg: PrivatePostgres;
  redis: PrivateRedis;
  databaseUrl: string;
  sandboxes: Sandboxes;
  tenantId: string;
  callbackSecret: string;
  apiKey: string;
  apis: ManagedProcess[];
  workers: ManagedProcess[];
  apiUrls: string[];
  /** Every log file the engine's processes wrote (for the PII scan). */
  logFiles(): string[];
  /** Waits for an api's /health/live. */
  waitApi(index: number, timeoutMs?: number): Promise<boolean>;
  /** Stops everything this system started; `keep` leaves the temp dir (logs) in place. */
  stop(keep?: boolean): Promise<void>;
}

/**
 * BENCH_ENGINE_ENV="TSUNAGU_WORKER_CONCURRENCY=20 TSUNAGU_DB_PREPARE=false": settings for the api
 * and worker processes of a bench run, to measure one against another.
 */
function benchEngineEnv(): Record<string, string> {
  const pairs = (process.env.BENCH_ENGINE_ENV ?? '').split(/\s+/).filter(Boolean);
  return Object.fromEntries(
    pairs.map((pair) => {
      const m = /^(TSUNAGU_[A-Z_]+)=(.*)$/.exec(pair);
      if (!m) throw new Error(`BENCH_ENGINE_ENV: "${pair}" is not TSUNAGU_NAME=value`);
      return [m[1], m[2]];
    }),
  );
}

function cli(args: string[], env: NodeJS.ProcessEnv): string {
  const run = spawnSync(process.execPath, ['scripts/run.js', 'apps/cli/src/main', ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
  if (run.status !== 0) throw new Error(`cli ${args[0]} failed (${run.status}): ${run.stderr || run.stdout}`);
  return run.stdout;
}

/**
 * The whole system as an operator runs it: private PostgreSQL and Redis, the sandbox providers in
 * this process, the tenant and its key made with the CLI, and the api and worker processes
 * (compiled, from dist/) configured by environment and a YAML file.
 */
export async function startSystem(opts: SystemOptions, onStop: (fn: (keep?: boolean) => Promise<void>) => void): Promise<System> {
  const dir = mkdtempSync(join(tmpdir(), `tsunagu-${opts.label}-`));
  const logDir = join(dir, 'logs');
  spawnSync('mkdir', ['-p', logDir]);
  const pg = new PrivatePostgres(await stablePort(), dir);
  const redis = new PrivateRedis(await stablePort(), join(dir, 'redis'), join(logDir, 'redis-server.log'));
  let sandboxes: Sandboxes | null = null;
  const apis: ManagedProcess[] = [];
  const workers: ManagedProcess[] = [];
  let stopped = false;
  const stop = async (keep = false) => {
    if (stopped) return;
    stopped = true;
    // A profiled run (BENCH_NODE_ARGS) stops gracefully so Node writes its profiles.
    await Promise.allSettled([...apis, ...workers].map((p) => p.kill(process.env.BENCH_NODE_ARGS ? 'SIGTERM' : 'SIGKILL')));
    await sandboxes?.close().catch(() => undefined);
    await redis.stop().catch(() => undefined);
    await pg.stop().catch(() => undefined);
    if (!keep) rmSync(dir, { recursive: true, force: true });
  };
  onStop(stop);

  await pg.start();
  await redis.start();
  const databaseUrl = `${pg.serverUrl}/tsunagu_${opts.label.replace(/\W/g, '_')}`;
  const dataKey = randomBytes(32).toString('base64');
  const configPath = join(dir, 'tsunagu.yaml');
  const baseEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATABASE_URL: databaseUrl,
    REDIS_URL: redis.url,
    TSUNAGU_DATA_KEY: dataKey,
    TSUNAGU_REDIS_PREFIX: 'soak',
    TSUNAGU_ALLOW_PRIVATE_CALLBACKS: 'true',
    TSUNAGU_LOG_LEVEL: opts.logLevel ?? 'info',
    TSUNAGU_CALLBACK_TIMEOUT_MS: '3000',
    TSUNAGU_CALLBACK_RETRY_HOURS: '1',
    TSUNAGU_RECONCILE_INTERVAL_MS: '1000',
  };
  cli(['migrate'], baseEnv);
  const created = cli(['tenant:create', opts.label, ...(opts.callbackUrl ? ['--callback-url', opts.callbackUrl] : [])], baseEnv).trim().split('\n');
  const tenantId = created.at(-1)!.trim();
  const callbackSecret = /shown once\): (\S+)/.exec(created.join('\n'))?.[1] ?? '';
  const apiKey = cli(['apikey:create', tenantId, '--scopes', 'messages:send,messages:read,admin'], baseEnv).trim().split('\n').at(-1)!.trim();

  sandboxes = await startSandboxes({ receiptDelayMs: 100, rbmDeliveryMs: 150, ...opts.sandbox });
  writeFileSync(
    configPath,
    stringify({ policy: { timeouts: opts.timeouts }, channels: sandboxChannelSettings(sandboxes, tenantId) }),
    { mode: 0o600 },
  );
  const env = { ...baseEnv, TSUNAGU_CONFIG: configPath, ...opts.env, ...benchEngineEnv() };

  const apiPorts: number[] = [];
  for (let i = 0; i < opts.apis; i++) {
    const port = await stablePort();
    apiPorts.push(port);
    apis.push(new ManagedProcess(`api-${i + 1}`, 'apps/api/src/main', { ...env, PORT: String(port) }, join(logDir, `api-${i + 1}.log`), ROOT));
  }
  for (let i = 0; i < opts.workers; i++) {
    workers.push(new ManagedProcess(`worker-${i + 1}`, 'apps/worker/src/main', { ...env, PORT: '0' }, join(logDir, `worker-${i + 1}.log`), ROOT));
  }
  const apiUrls = apiPorts.map((p) => `http://127.0.0.1:${p}`);
  const waitApi = async (index: number, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await answers(apiPorts[index])) {
        const ok = await fetch(`${apiUrls[index]}/health/live`).then((r) => r.ok).catch(() => false);
        if (ok) return true;
      }
      await sleep(200);
    }
    return false;
  };
  for (const api of apis) api.start();
  for (let i = 0; i < apis.length; i++) {
    if (!(await waitApi(i))) throw new Error(`${apis[i].name} did not become live; see ${apis[i].logPath}`);
  }

  // The sender the SMS go out from (and MO replies come back to), registered and approved.
  const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
  const sender = await fetch(`${apiUrls[0]}/v1/senders`, { method: 'POST', headers, body: JSON.stringify({ address: SENDER, routes: ['jp-direct'] }) });
  const senderBody = (await sender.json()) as { id?: string };
  if (!senderBody.id) throw new Error(`sender registration failed: ${sender.status} ${JSON.stringify(senderBody)}`);
  // Approved by the operators, as a deployment does: the organisation cannot approve its own.
  cli(['sender:approve', senderBody.id, '--reason', 'soak: screened by the carriers', '--by', 'soak'], baseEnv);

  for (const w of workers) w.start();
  const s = sandboxes;
  const deadline = Date.now() + 60_000;
  while (s.smsc.control.boundCount() < opts.workers && Date.now() < deadline) await sleep(200);
  if (s.smsc.control.boundCount() < opts.workers) throw new Error(`workers did not bind to the SMSC; see ${logDir}`);

  return {
    dir,
    logDir,
    pg,
    redis,
    databaseUrl,
    sandboxes: s,
    tenantId,
    callbackSecret,
    apiKey,
    apis,
    workers,
    apiUrls,
    logFiles: () => [...apis, ...workers].map((p) => p.logPath),
    waitApi,
    stop,
  };
}
