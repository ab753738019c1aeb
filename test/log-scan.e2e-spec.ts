import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TsunaguConfig } from '@tsunagu/config';
import { expectEventually } from '@tsunagu/testing';
import { ConsoleClient } from '../apps/console/src/testing/console-client';
import { SESSION_COOKIE } from '../apps/console/src/http/console-request';
import { StaffService } from '../apps/console/src/staff/staff.service';
import { sandboxChannelSettings, startSandboxes } from '../apps/sandbox/src/start-sandboxes';
import { mobile, post, startEngine } from './support/engine-harness';
import { addConfigCanaries } from './support/log-canary-taps';
import { addSecretCanary, allowBotUserId, assertLogClean, findCanaries } from './support/log-canaries';

/**
 * The scan every harness engine's log gets on close (test/support/log-canaries.ts) must see what
 * the harness never handed a test directly: keys and secrets made later through `h.admin`,
 * passwords, console sessions, the engine's own configured secrets, the RBM and LINE access
 * tokens the sandbox issued it. Each is planted in a real engine's log here, and the scan must name its kind
 * and line, never its value.
 */
/** Writes a log line carrying `token` as a request's Authorization header would; its line number. */
function plant(logFile: string, token: string): number {
  appendFileSync(logFile, `${JSON.stringify({ msg: 'planted', authorization: `Bearer ${token}` })}\n`);
  const at = readFileSync(logFile, 'utf8').split('\n').findIndex((l) => l.startsWith('{"msg":"planted"')) + 1;
  expect(at).toBeGreaterThan(0);
  return at;
}

/** What the engine's close failed with (its log scan), or null. */
const closeFailure = (closing: Promise<void>) =>
  closing.then(
    () => null,
    (err: Error) => err.message,
  );

describe('the log scan of every e2e engine', () => {
  const line = { channelSecret: randomBytes(16).toString('hex'), channelAccessToken: randomBytes(24).toString('base64url'), botUserId: `U${randomBytes(16).toString('hex')}` };

  it('finds every secret made or configured through the harness, by kind and line, without repeating it', async () => {
    const h = await startEngine({
      label: 'log_scan',
      startWorker: false,
      realChannels: (tenantId) => ({ line: { channels: [{ id: '2000000009', tenantId, pnpEnabled: false, default: true, ...line }], apiBaseUrl: 'http://127.0.0.1:9' } }),
    });
    const logFile = h.config.logFile!;
    let closing: Promise<void> | null = null;
    try {
      const extraKey = (await h.admin.createApiKey(h.tenantId, ['messages:read'], 'extra')).token;
      const callbackSecret = (await h.admin.rotateCallbackSecret(h.tenantId, 0)).callbackSecret;
      const [{ name }] = await h.query<{ name: string }>(`SELECT name FROM tenants WHERE id = $1`, [h.tenantId]);
      const password = `a canary passphrase ${randomBytes(4).toString('hex')}`;
      await h.api.get(StaffService).create(h.tenantId, 'scan@example.jp', 'admin', password);
      const client = new ConsoleClient(h.baseUrl);
      await client.get('/console/login');
      const loginCsrf = client.csrf();
      expect((await client.post('/console/login', { _csrf: loginCsrf, tenant: name, email: 'scan@example.jp', password })).status).toBe(303);
      await client.get('/console/search');
      const sessionCsrf = client.csrf();
      const lineUserId = `U${randomBytes(16).toString('hex')}`;
      await post(h, '/v1/messages', { to: { phone: mobile(), lineUserId }, category: 'transactional', text: 'ログ走査の本文' }, { 'idempotency-key': 'scan-1' });

      const planted: [string, string | undefined][] = [
        ['key', extraKey],
        ['callback-secret', callbackSecret],
        ['staff-password', password],
        ['console-session', client.cookies.get(SESSION_COOKIE)],
        ['csrf-token', loginCsrf],
        ['csrf-token', sessionCsrf],
        ['line-user-id', lineUserId],
        ['ops-token', h.config.http.opsToken],
        ['operator-token', h.config.http.operatorToken],
        ['data-key', h.config.dataKey],
        ['line-channel-secret', line.channelSecret],
        ['line-access-token', line.channelAccessToken],
      ];
      for (const [, value] of planted) expect(value).toEqual(expect.any(String));
      appendFileSync(logFile, planted.map(([, value]) => `${JSON.stringify({ msg: 'planted', value })}\n`).join(''));
      // The bot's own id is not a person's; another engine's log lines are not this file's concern.
      appendFileSync(logFile, `${JSON.stringify({ msg: 'LINE webhook', destination: line.botUserId })}\n`);

      // Line numbers as the file has them (the engine may still be writing its own lines).
      const log = readFileSync(logFile, 'utf8');
      const at = log.split('\n').flatMap((l, i) => (l.startsWith('{"msg":"planted"') ? [i + 1] : []));
      expect(findCanaries(log)).toEqual(planted.map(([kind], i) => `${kind} on line ${at[i]}`));
      closing = h.close();
      const failure = await closing.then(
        () => null,
        (err: Error) => err.message,
      );
      expect(failure).toContain(logFile);
      expect(failure).toContain(`staff-password on line ${at[2]}`);
      for (const [, value] of planted) expect(failure).not.toContain(value);
    } finally {
      if (!closing) await h.close().catch(() => undefined);
    }
  }, 30_000);

  it('makes every RBM access token the sandbox issued the engine a canary of its scan on close', async () => {
    const s = await startSandboxes();
    const h = await startEngine({ label: 'log_scan_rbm', realChannels: (tenantId) => ({ rcs: sandboxChannelSettings(s, tenantId).rcs }), rbmSandbox: s.rbm.control });
    const logFile = h.config.logFile!;
    let closing: Promise<void> | null = null;
    try {
      // The engine's RCS adapter fetches the token itself, to check the number and send.
      expect((await post(h, '/v1/messages', { to: { phone: mobile() }, category: 'transactional', text: 'トークンの確認' }, { 'idempotency-key': 'scan-rbm-1' })).status).toBe(202);
      const [token] = await expectEventually(() => {
        expect(s.rbm.control.issuedTokens()).not.toHaveLength(0);
        return s.rbm.control.issuedTokens();
      });
      const at = plant(logFile, token);
      closing = h.close();
      const failure = await closeFailure(closing);
      expect(failure).toContain(logFile);
      expect(failure).toContain(`rbm-access-token on line ${at}`);
      for (const issued of s.rbm.control.issuedTokens()) expect(failure).not.toContain(issued);
    } finally {
      if (!closing) await h.close().catch(() => undefined);
      await s.close();
    }
  }, 30_000);

  it('makes every LINE access token the sandbox issued the engine a canary of its scan on close', async () => {
    const s = await startSandboxes();
    const h = await startEngine({
      label: 'log_scan_line',
      realChannels: (tenantId) => {
        const line = sandboxChannelSettings(s, tenantId).line as { channels: Record<string, unknown>[] };
        // No long-lived token: the engine issues its own at the sandbox's /oauth2/v3/token.
        return { line: { ...line, channels: line.channels.map(({ channelAccessToken: _token, ...c }) => ({ ...c, issueAccessTokens: true })) } };
      },
      lineSandbox: s.line.control,
    });
    const logFile = h.config.logFile!;
    let closing: Promise<void> | null = null;
    try {
      const lineUserId = `U${randomBytes(16).toString('hex')}`;
      expect((await post(h, '/v1/messages', { to: { phone: mobile(), lineUserId }, category: 'transactional', text: 'トークンの発行' }, { 'idempotency-key': 'scan-line-1' })).status).toBe(202);
      const [token] = await expectEventually(() => {
        expect(s.line.control.records().messages).toHaveLength(1);
        return s.line.control.issuedTokens();
      });
      expect(s.line.control.records().tokensIssued[s.credentials.line.channelId]).toBe(1);
      const at = plant(logFile, token);
      closing = h.close();
      const failure = await closeFailure(closing);
      expect(failure).toContain(logFile);
      expect(failure).toContain(`line-access-token on line ${at}`);
      for (const issued of s.line.control.issuedTokens()) expect(failure).not.toContain(issued);
    } finally {
      if (!closing) await h.close().catch(() => undefined);
      await s.close();
    }
  }, 30_000);

  it('fails an engine whose log went missing, and passes a quiet level that wrote nothing', async () => {
    const gone = await startEngine({ label: 'log_scan_gone', startWorker: false });
    rmSync(gone.config.logFile!);
    await expect(gone.close()).rejects.toThrow(/is missing/);
    const quiet = await startEngine({ label: 'log_scan_quiet', startWorker: false, config: { logLevel: 'warn' } });
    await expect(quiet.close()).resolves.toBeUndefined();
  }, 30_000);

  it('fails an empty or missing log unless a reason allows it, and scans what a quiet one wrote', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsunagu-scan-'));
    const file = join(dir, 'engine.log');
    expect(() => assertLogClean(file)).toThrow(/is missing/);
    writeFileSync(file, '');
    expect(() => assertLogClean(file)).toThrow(/is empty/);
    expect(() => assertLogClean(file, { mayBeEmpty: 'level warn' })).not.toThrow();
    addSecretCanary('ops-token', 'quiet-but-leaky-ops-token');
    writeFileSync(file, '{"msg":"ok"}\n{"auth":"quiet-but-leaky-ops-token"}\n');
    expect(() => assertLogClean(file, { mayBeEmpty: 'level warn' })).toThrow(/ops-token on line 2/);
    rmSync(dir, { recursive: true, force: true });
  });

  it('knows RBM and SMPP credentials from the channel config, a PEM line by line, and any person-shaped LINE id', () => {
    const pem = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const smpp = randomBytes(4).toString('hex');
    const rbmClientToken = randomBytes(16).toString('hex');
    const bot = `U${randomBytes(16).toString('hex')}`;
    const channels = {
      rcs: { agents: [{ id: 'agent', tokenUrl: 'http://127.0.0.1:1/token', serviceAccount: { clientEmail: 'a@b.iam', privateKey: pem }, clientToken: rbmClientToken }] },
      sms: { routes: [{ name: 'jp-direct', systemId: 'tsunagu', password: smpp }] },
      line: { channels: [{ botUserId: bot, channelSecret: 'short' }] },
    };
    addConfigCanaries({ dataKey: randomBytes(32).toString('base64'), http: {}, channels } as unknown as TsunaguConfig);
    allowBotUserId(bot);
    const log = [
      JSON.stringify({ msg: 'agent config', agent: channels.rcs.agents[0] }),
      JSON.stringify({ msg: 'bind', password: smpp }),
      JSON.stringify({ msg: 'token from http://127.0.0.1:1/token for a@b.iam' }),
      JSON.stringify({ msg: 'webhook', destination: bot }),
      JSON.stringify({ msg: 'webhook', source: { userId: `U${randomBytes(16).toString('hex')}` } }),
      JSON.stringify({ msg: 'channel secret is too short to be told from text', note: 'short' }),
    ].join('\n');
    expect(findCanaries(log)).toEqual(['rbm-private-key on line 1', 'rbm-client-token on line 1', 'smpp-password on line 2', 'line-user-id on line 5']);
  });
});
