import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
const BUDGET_MS = 270_000;

/**
 * `npm run soak -- --smoke`, as CI runs it: 500 notifications through two api and two worker
 * processes over the sandbox providers' real protocols, while workers, an api, Redis and the SMPP
 * binds are killed. Its private PostgreSQL and Redis are its own (never 5432 / 6379).
 */
function runSoak(): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['scripts/run.js', 'bench/soak/soak', '--smoke'], { cwd: ROOT, env: { ...process.env } });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    // SIGTERM first: the soak stops its processes and servers on it.
    const timer = setTimeout(() => child.kill('SIGTERM'), BUDGET_MS);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('npm run soak -- --smoke', () => {
  beforeAll(() => {
    // CI builds before testing; a developer running this file alone gets a build here.
    if (!existsSync(join(ROOT, 'dist/bench/soak/soak.js'))) {
      const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
      expect(build.status).toBe(0);
    }
  }, 300_000);

  it('loses nothing, sends nothing twice and logs no canary while processes, Redis and binds are killed', async () => {
    const { code, out } = await runSoak();
    const last = out.trim().split('\n').at(-1) ?? '';
    let result: Record<string, unknown>;
    try {
      result = JSON.parse(last) as Record<string, unknown>;
    } catch {
      throw new Error(`the soak's last line is not its JSON result:\n${out.slice(-4000)}`);
    }
    expect(result).toMatchObject({ bench: 'soak', size: 'smoke', lost: 0, duplicate_sends: 0, blind_resubmits: 0, duplicate_events: 0, orphan_events: 0, pii_in_logs: 0, engine_crashes: 0 });
    // Every post answered 202: when not, the soak's detail (refused codes, unresolved posts) says why.
    if (result.accepted !== 500) throw new Error(`accepted ${String(result.accepted)} of 500:\n${out.slice(-6000)}`);
    expect(result.terminal).toBe(500);
    expect(result.faults).toMatchObject({ worker_kill: 3, redis_restart: 1, smpp_drop: 2 });
    expect(out).toMatch(/\[soak \d+s\] sent=\d+ accepted=\d+ terminal=/);
    expect(code).toBe(0);
  }, 300_000);
});
