import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { freePort } from './support/crm-receiver';
import { createTestDatabase, createTestRedisPrefix, TestDatabase } from '@tsunagu/testing';

const ROOT = join(__dirname, '..');

/**
 * `npm start` holds the api and the worker in one process. SIGTERM must close both and exit 0:
 * with Nest's own hook on each app, the first app to close re-raised the signal and the process
 * died while the other was still closing (exit by signal, not 0).
 */
describe('npm start (api and worker in one process) on SIGTERM', () => {
  let db: TestDatabase;
  const redis = createTestRedisPrefix('npmstart');
  beforeAll(async () => {
    db = await createTestDatabase('npmstart');
  });
  afterAll(async () => {
    await redis.cleanup();
    await db?.drop();
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('closes both apps and exits 0 on %s', async (signal) => {
    const port = await freePort();
    const child = spawn(process.execPath, ['scripts/run.js', 'apps/all/src/main'], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        TSUNAGU_REDIS_PREFIX: redis.prefix,
        PORT: String(port),
        TSUNAGU_DATA_KEY: randomBytes(32).toString('base64'),
        // info, so both apps write lines whose name can be checked below.
        TSUNAGU_LOG_LEVEL: 'info',
      },
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>((resolve) => {
      let sentAt = 0;
      child.on('exit', (code, sig) => resolve({ code, signal: sig, ms: sentAt ? Date.now() - sentAt : -1 }));
      const deadline = Date.now() + 60_000;
      const poll = async () => {
        const live = await fetch(`http://127.0.0.1:${port}/health/live`).then((r) => r.status, () => 0);
        if (live === 200) {
          sentAt = Date.now();
          child.kill(signal);
        } else if (Date.now() < deadline && child.exitCode === null) setTimeout(() => void poll(), 200);
        else child.kill('SIGKILL');
      };
      void poll();
    });
    const result = await exited;
    expect(out).not.toMatch(/stopping failed|failed to start/);
    expect({ code: result.code, signal: result.signal }).toEqual({ code: 0, signal: null });
    expect(result.ms).toBeGreaterThanOrEqual(0);
    expect(result.ms).toBeLessThan(20_000);
    // One process, one name: Nest's static Logger is process-wide, and before both apps were made
    // with one name the api's route lines came out labelled as the worker's.
    const lines = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { name?: string; context?: string });
    const contexts = new Set(lines.map((l) => l.context));
    expect([...contexts]).toEqual(expect.arrayContaining(['RoutesResolver', 'NestApplication']));
    expect([...new Set(lines.map((l) => l.name))]).toEqual(['tsunagu']);
  }, 90_000);
});
