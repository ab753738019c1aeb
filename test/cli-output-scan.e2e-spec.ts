import { randomBytes } from 'node:crypto';
import { assertCliOutputClean, runCli } from './support/cli-run';
import { EngineHarness, startEngine } from './support/engine-harness';
import { addSecretCanary, findCanaries } from './support/log-canaries';

/**
 * Every CLI run in the e2e suite goes through runCli (test/support/cli-run.ts), which scans what the
 * CLI wrote for the canaries the test registered: a leak fails the test, by stream, kind and line,
 * never by value. The one line that shows a new secret once is the command's result, not a leak.
 */
describe('the output scan of every CLI run', () => {
  let h: EngineHarness;
  const env = () => ({ DATABASE_URL: h.db.url, TSUNAGU_DATA_KEY: h.config.dataKey });

  beforeAll(async () => {
    h = await startEngine({ label: 'cli_scan', startWorker: false });
  }, 30_000);
  afterAll(async () => h?.close());

  it('fails a run whose stderr carries a canary, naming stream, kind and line only', async () => {
    // An operator pastes the API key where the tenant goes; the CLI's error repeats its argument.
    const failure = await runCli(['staff:create', h.apiKey, 'scan@example.jp', '--role', 'agent'], env()).then(
      () => null,
      (err: Error) => err.message,
    );
    expect(failure).toMatch(/the CLI's staff:create: stderr: key on line 1$/);
    expect(failure).not.toContain(h.apiKey);
    expect(failure).not.toContain(h.apiKey.slice(-43));
  }, 30_000);

  it('leaves out the shown-once line of a new key, and makes the key a canary of everything after', async () => {
    const created = await runCli(['apikey:create', h.tenantId, '--scopes', 'messages:read'], env());
    expect(created.status).toBe(0);
    const token = created.stdout.trim().split('\n').at(-1)!;
    expect(token).toMatch(/^tsk_/);
    expect(created.shownOnce).toBe(token);
    expect(findCanaries(`{"msg":"auth","key":"${token}"}`)).toEqual(['key on line 1']);

    // The same output with the key repeated elsewhere: only the shown-once line is the result.
    const announced = created.stdout.trim().split('\n').slice(0, -1).join('\n');
    const twice = `${token}\n${announced}\n${token}\n`;
    expect(() => assertCliOutputClean(['apikey:create'], { stdout: twice, stderr: '' })).toThrow(/: stdout: key on line 1$/);
    expect(() => assertCliOutputClean(['apikey:create'], { stdout: created.stdout, stderr: `bad ${token}` })).toThrow(/: stderr: key on line 1$/);
  }, 30_000);

  it('leaves out the same-line secret of tenant:create, and scans every stream of any command', () => {
    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    const stdout = `callback signing secret (shown once): ${secret}\n0190a1b2-0000-7000-8000-000000000000\n`;
    expect(assertCliOutputClean(['tenant:create', 'acme'], { stdout, stderr: '' })).toBe(secret);
    expect(findCanaries(`{"secret":"${secret}"}`)).toEqual(['callback-secret on line 1']);

    const leaked = `leaky-${randomBytes(8).toString('hex')}`;
    addSecretCanary('ops-token', leaked);
    // A command with nothing to show once: its whole stdout is scanned, and a log file if it wrote one.
    expect(() => assertCliOutputClean(['migrate'], { stdout: `applied: x\n${leaked}\n`, stderr: '' })).toThrow(/stdout: ops-token on line 2$/);
    expect(() => assertCliOutputClean(['migrate'], { stdout: '', stderr: '', log: `{"a":1}\n{"t":"${leaked}"}` })).toThrow(/log file: ops-token on line 2$/);
  });
});
