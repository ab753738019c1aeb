/**
 * Accepted messages per second and p50/p99 latency of `POST /v1/messages` on the real api
 * (in-process, its own fresh database and Redis prefix, no worker), beside a bare `node:http` + `pg`
 * server doing the same durable work on the same schema in the same run (baseline.server.ts).
 * autocannon runs in a child process, 50 connections, a warm-up then BENCH_SECONDS (default 30).
 * Run after `npm run build`:
 *   npm run bench:ingest            (BENCH_SECONDS=10 to shorten; BENCH_DATABASE_SERVER to point elsewhere)
 * Prints a table and ends with one JSON line. Targets: ≥ 1,500 accepted/s on 2 cores, ≥ 40% of the
 * baseline, p99 < 100 ms; the ratio is the figure that matters.
 * BENCH_API_PROCESSES=2 measures the api as two processes sharing the port (node:cluster), as one
 * would run it on a two-core machine; the default is one, in this process.
 */
import { fork } from 'node:child_process';
import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Server, ServerResponse, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import IORedis from 'ioredis';
import { Client } from 'pg';
import { TsunaguConfig, inProcessConfig } from '@tsunagu/config';
import { ensureDatabase, runMigrations } from '@tsunagu/database';
import { TenantAdminService } from '@tsunagu/engine';
import { createApiApp } from '../../apps/api/src/create-api-app';
import { startBaseline } from './baseline.server';
import { LoadFigures, LoadSpec } from './load.runner';
import { nullChannelModules } from './null-channels.module';

const CONNECTIONS = 50;
const WARMUP_SECONDS = 3;
/** The api's pool size (dataSourceOptions: max 20); the baseline gets the same. */
const POOL_SIZE = 20;

interface Resources {
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
  cleanup(): Promise<void>;
}

/** A migrated database and a Redis prefix of the bench's own; cleanup drops exactly those. */
async function createResources(): Promise<Resources> {
  const server = (process.env.BENCH_DATABASE_SERVER ?? 'postgres://postgres@127.0.0.1:5432').replace(/\/+$/, '');
  const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const suffix = randomBytes(4).toString('hex');
  const name = `tsunagu_bench_${suffix}`;
  const databaseUrl = `${server}/${name}`;
  const redisPrefix = `tsunagu-bench-${suffix}`;
  const cleanup = async () => {
    const admin = new Client({ connectionString: `${server}/postgres` });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    } finally {
      await admin.end();
    }
    const redis = new IORedis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
    try {
      await redis.connect();
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${redisPrefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) await redis.del(...keys);
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
  };
  await ensureDatabase(databaseUrl);
  try {
    await runMigrations(databaseUrl);
  } catch (err) {
    await cleanup();
    throw err;
  }
  return { databaseUrl, redisUrl, redisPrefix, cleanup };
}

/** Production defaults, silent logs; no per-key rate limit or backlog refusal (they would cap the figure). */
function benchConfig(r: Resources): TsunaguConfig {
  return inProcessConfig({
    port: 0,
    databaseUrl: r.databaseUrl,
    redisUrl: r.redisUrl,
    redisPrefix: r.redisPrefix,
    logLevel: 'silent',
    http: { rateLimitPerSecond: 0, maxBacklog: 0 },
  });
}

/** autocannon in a child process, so the load generator does not share the server's event loop. */
function load(spec: LoadSpec): Promise<LoadFigures> {
  return new Promise((resolve, reject) => {
    const child = fork(join(__dirname, 'load.runner.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let settled = false;
    child.once('message', (msg: { ok: boolean; figures?: LoadFigures; error?: string }) => {
      settled = true;
      if (msg.ok && msg.figures) resolve(msg.figures);
      else reject(new Error(`load generator failed: ${msg.error}`));
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (!settled) reject(new Error(`load generator exited with ${code} before answering`));
    });
    child.send(spec);
  });
}

/** Waits (up to 5 s) until the server has answered every request it took, so closing meets no query in flight. */
function drainer(server: Server): () => Promise<void> {
  let open = 0;
  server.on('request', (_req, res: ServerResponse) => {
    open += 1;
    res.once('close', () => (open -= 1));
  });
  return async () => {
    const deadline = Date.now() + 5000;
    while (open > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  };
}

function row(label: string, f: LoadFigures): string {
  const others = Object.entries(f.statusCodes)
    .filter(([code]) => code !== '202')
    .map(([code, n]) => `${code}×${n}`)
    .join(' ');
  return (
    `${label.padEnd(22)} ${f.acceptedPerS.toFixed(0).padStart(8)} ${f.requestsPerS.toFixed(0).padStart(8)} ` +
    `${String(f.p50Ms).padStart(6)} ${String(f.p99Ms).padStart(6)} ${String(f.non2xx).padStart(7)} ${String(f.errors + f.timeouts).padStart(6)}` +
    (others ? `  (${others})` : '')
  );
}

function report(measured: LoadFigures, base: LoadFigures, processes: number): void {
  const ratio = base.acceptedPerS > 0 ? measured.acceptedPerS / base.acceptedPerS : 0;
  console.log('');
  console.log(`${'run'.padEnd(22)} ${'202/s'.padStart(8)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(6)} ${'p99 ms'.padStart(6)} ${'non-2xx'.padStart(7)} ${'errors'.padStart(6)}`);
  console.log(row(processes > 1 ? `api (Nest, ${processes} procs)` : 'api (Nest, in-process)', measured));
  console.log(row('baseline (http + pg)', base));
  console.log(
    `ratio ${(100 * ratio).toFixed(0)}% of baseline (target ≥ 40%), ` +
      `${measured.acceptedPerS.toFixed(0)} accepted/s (target ≥ 1500), p99 ${measured.p99Ms} ms (target < 100)`,
  );
  console.log(
    JSON.stringify({
      bench: 'ingest',
      api_processes: processes,
      accepted_per_s: Math.round(measured.acceptedPerS),
      p50_ms: measured.p50Ms,
      p99_ms: measured.p99Ms,
      baseline_per_s: Math.round(base.acceptedPerS),
      ratio: Math.round(ratio * 100) / 100,
    }),
  );
}

interface ApiWorkers {
  url: string;
  stop(): Promise<void>;
}

/** N api processes listening on one port (node:cluster hands them connections in turn). */
async function startApiWorkers(n: number, r: Resources, dataKey: string): Promise<ApiWorkers> {
  const port = await new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as AddressInfo;
      probe.close(() => resolve(free));
    });
  });
  // The same data key as the process that made the tenant: its secrets are sealed with it.
  const env = { BENCH_API_WORKER: JSON.stringify({ resources: { ...r, cleanup: undefined }, port, dataKey }) };
  // scripts/run.js takes its entry off argv, so name it again for the workers it will start.
  cluster.setupPrimary({ exec: process.argv[1], args: ['bench/ingest/ingest.bench'] });
  const forked = Array.from({ length: n }, () => cluster.fork(env));
  await Promise.all(
    forked.map(
      (w) =>
        new Promise<void>((resolve, reject) => {
          w.once('message', (m: { ready?: boolean; error?: string }) => (m.ready ? resolve() : reject(new Error(`api worker failed: ${m.error}`))));
          w.once('exit', (code) => reject(new Error(`api worker exited with ${code} before listening`)));
        }),
    ),
  );
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      await Promise.all(
        forked.map(
          (w) =>
            new Promise<void>((resolve) => {
              if (w.isDead()) return resolve();
              w.once('exit', () => resolve());
              w.send({ stop: true });
            }),
        ),
      );
    },
  };
}

/** One api process of BENCH_API_PROCESSES: the same app and config, answering until told to stop. */
async function apiWorkerMain(): Promise<void> {
  const { resources, port, dataKey } = JSON.parse(process.env.BENCH_API_WORKER ?? '{}') as { resources: Resources; port: number; dataKey: string };
  try {
    const app = await createApiApp({ ...benchConfig(resources), dataKey }, nullChannelModules());
    await app.listen(port, '127.0.0.1');
    const drained = drainer(app.getHttpServer() as Server);
    process.on('message', (m: { stop?: boolean }) => {
      if (!m.stop) return;
      void drained()
        .then(() => app.close())
        .finally(() => process.exit(0));
    });
    process.send?.({ ready: true });
  } catch (err) {
    process.send?.({ error: (err as Error).message });
    process.exit(1);
  }
}

export async function main(): Promise<{ api: LoadFigures; baseline: LoadFigures }> {
  const seconds = Number(process.env.BENCH_SECONDS ?? 30) || 30;
  const processes = Math.max(1, Number(process.env.BENCH_API_PROCESSES ?? 1) || 1);
  const resources = await createResources();
  let api: Awaited<ReturnType<typeof createApiApp>> | null = null;
  let baseline: Awaited<ReturnType<typeof startBaseline>> | null = null;
  let figures: { api: LoadFigures; baseline: LoadFigures };
  let workers: ApiWorkers | null = null;
  try {
    const config = benchConfig(resources);
    api = await createApiApp(config, nullChannelModules());
    await api.listen(0, '127.0.0.1');
    const apiDrained = drainer(api.getHttpServer() as Server);
    let apiUrl = `http://127.0.0.1:${(api.getHttpServer().address() as AddressInfo).port}`;
    const admin = api.get(TenantAdminService);
    const tenant = await admin.createTenant(`bench-${randomBytes(3).toString('hex')}`);
    const key = await admin.createApiKey(tenant.id, ['messages:send']);
    if (processes > 1) {
      workers = await startApiWorkers(processes, resources, config.dataKey);
      apiUrl = workers.url;
      // This process only made the tenant and key: it takes no requests, so it holds no connections either.
      await api.close();
      api = null;
    }

    const spec = { connections: CONNECTIONS, seconds, warmupSeconds: WARMUP_SECONDS };
    const where = processes > 1 ? `api in ${processes} processes (node:cluster)` : 'servers in this process';
    console.log(`ingest: POST /v1/messages, ${CONNECTIONS} connections, ${WARMUP_SECONDS} s warm-up + ${seconds} s each, ${where}, autocannon in a child, pg pool ${POOL_SIZE} per process`);

    // The baseline first, so the api (the figure that matters) meets the fuller tables, not the reverse.
    baseline = await startBaseline(resources.databaseUrl, POOL_SIZE);
    const baselineDrained = drainer(baseline.http);
    const base = await load({ ...spec, url: baseline.url, apiKey: null });
    await baselineDrained();
    await baseline.close();
    baseline = null;

    const measured = await load({ ...spec, url: apiUrl, apiKey: key.token });
    await apiDrained();
    await workers?.stop();
    workers = null;

    figures = { api: measured, baseline: base };
  } finally {
    await workers?.stop().catch(() => undefined);
    await baseline?.close().catch(() => undefined);
    await api?.close().catch(() => undefined);
    await resources.cleanup();
  }
  // Printed after every close, so nothing the shutdown writes can follow the JSON line.
  report(figures.api, figures.baseline, processes);
  return figures;
}

// Run directly, or through scripts/run.js (which require()s this file from dist/).
const launcher = require.main?.filename ?? '';
if (cluster.isWorker && process.env.BENCH_API_WORKER) {
  void apiWorkerMain();
} else if (require.main === module || /[\\/]scripts[\\/]run\.js$/.test(launcher)) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
