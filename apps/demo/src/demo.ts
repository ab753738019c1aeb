import { randomBytes } from 'node:crypto';
import { AddressInfo } from 'node:net';
import { INestApplication, INestApplicationContext } from '@nestjs/common';
import { Client } from 'pg';
import IORedis from 'ioredis';
import { TsunaguConfig, inProcessConfig, policyDefaultsSchema } from '@tsunagu/config';
import { newId } from '@tsunagu/core';
import { ensureDatabase, runMigrations } from '@tsunagu/database';
import { TenantAdminService } from '@tsunagu/engine';
import { registerBuiltinChannels } from '@tsunagu/platform';
import { StaffService, generatePassword } from '@tsunagu/console';
import { createApiApp } from '../../api/src/create-api-app';
import { Sandboxes, sandboxChannelSettings, startSandboxes } from '../../sandbox/src/start-sandboxes';
import { createWorkerApp } from '../../worker/src/create-worker-app';
import { Infra, resolveInfra } from './private-infra';
import { Scenario, demoScenarios } from './scenarios';
import { Row, TimelineDisplay } from './timeline.display';

export interface DemoOptions {
  port: number;
  databaseUrl?: string;
  redisUrl?: string;
  defaults: { postgres: { host: string; port: number }; redis: { host: string; port: number } };
  out: { write(s: string): boolean; isTTY?: boolean };
  /** Fallback timeouts, seconds: short, so the demo ends in well under a minute. */
  timeoutSeconds?: number;
  deadlineMs?: number;
  /** Whether the engine stays up after the scenarios (`npm run demo`) or stops (`-- --once`). */
  keepRunning?: boolean;
}

export interface Demo {
  ok: boolean;
  baseUrl: string;
  rows: Row[];
  stop(): Promise<void>;
}

const SENDER = '00051234';
/** The demo's console account: an administrator, so every page can be looked at. */
const CONSOLE_EMAIL = 'admin@demo.example';

interface MessageView {
  status: string;
  channel: string | null;
  reason: string | null;
  contactId: string;
  attempts: { channel: string; status: string; reason: string | null; route: string | null; sender: string | null }[];
}

function describe(m: MessageView, startedAt: number): string {
  const steps = m.attempts.map((a) => {
    const where = a.channel === 'sms' ? `sms/${a.route ?? '?'} from ${a.sender ?? '-'}` : a.channel;
    return `${where} ${a.status}${a.reason ? ` (${a.reason})` : ''}`;
  });
  const final = ['delivered', 'read', 'failed', 'expired', 'cancelled'].includes(m.status);
  const tail = final ? ` ⇒ ${m.status}${m.channel ? ` on ${m.channel}` : ''}${m.reason ? ` (${m.reason})` : ''} in ${((Date.now() - startedAt) / 1000).toFixed(1)}s` : ` … ${m.status}`;
  return (steps.join(' → ') || 'accepted') + tail;
}

function summaryTable(scenarios: Scenario[], rows: Row[]): string {
  const lines = ['Summary', '  #   scenario                        expected                                   result'];
  for (const row of rows) {
    const sc = scenarios.find((s) => s.key === row.key);
    const expected = !sc
      ? 'SMS and LINE replies in the conversation'
      : sc.expect.kind === 'refused'
        ? `${sc.expect.status} ${sc.expect.code}`
        : `${sc.expect.trail.join(' → ')} ⇒ ${sc.expect.status}`;
    lines.push(`  ${row.key.padEnd(3)} ${row.title.padEnd(31)} ${expected.padEnd(42)} ${row.ok ? 'ok' : 'NOT AS EXPECTED'}`);
  }
  return lines.join('\n');
}

async function api(baseUrl: string, key: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, unknown> & MessageView };
}

function script(s: Sandboxes, sc: Scenario): void {
  const smsc = sc.phone.slice(1);
  if (sc.script === 'read_on_rcs') s.rbm.control.script(sc.phone, { outcome: 'read', afterMs: 400 });
  if (sc.script === 'no_rcs') s.rbm.control.script(sc.phone, 'not_capable');
  if (sc.script === 'rcs_timeout_sms_undeliv') {
    s.rbm.control.script(sc.phone, 'never_delivered');
    s.smsc.control.script(smsc, 'undeliverable');
  }
}

/**
 * The whole engine on one machine — PostgreSQL, Redis, the RBM / SMSC / LINE stand-ins over their
 * real protocols, the api and the worker — and six scripted notifications, watched as they happen.
 */
export async function runDemo(opts: DemoOptions): Promise<Demo> {
  const out = opts.out;
  const infra: Infra = await resolveInfra(opts);
  const dbName = `tsunagu_demo_${randomBytes(4).toString('hex')}`;
  const databaseUrl = `${infra.databaseServerUrl}/${dbName}`;
  const redisPrefix = `tsunagu-demo-${randomBytes(4).toString('hex')}`;
  let sandboxes: Sandboxes | null = null;
  let apiApp: INestApplication | null = null;
  let worker: INestApplicationContext | null = null;

  const stop = async () => {
    await apiApp?.close().catch(() => undefined);
    await worker?.close().catch(() => undefined);
    await sandboxes?.close().catch(() => undefined);
    const admin = new Client({ connectionString: `${infra.databaseServerUrl}/postgres` });
    await admin.connect().then(() => admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`)).catch(() => undefined);
    await admin.end().catch(() => undefined);
    const redis = new IORedis(infra.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
    await redis
      .connect()
      .then(async () => {
        const keys = await redis.keys(`${redisPrefix}:*`);
        if (keys.length) await redis.del(...keys);
      })
      .catch(() => undefined);
    redis.disconnect();
    await infra.stop();
  };

  try {
    out.write(`PostgreSQL: ${infra.source.postgres}, Redis: ${infra.source.redis}. Migrating ${dbName}…\n`);
    await ensureDatabase(databaseUrl);
    await runMigrations(databaseUrl);
    sandboxes = await startSandboxes({ receiptDelayMs: 300, rbmDeliveryMs: 300 });
    const tenantId = newId();
    // `/health` and `/metrics` are the operators' and take this token; printed once, like the api key.
    const opsToken = randomBytes(24).toString('base64url');
    // The operators' decisions (`/ops/*`: approving senders) take another, never the one monitoring reads with.
    const operatorToken = randomBytes(24).toString('base64url');
    const t = opts.timeoutSeconds ?? 4;
    registerBuiltinChannels();
    const config: TsunaguConfig = inProcessConfig({
      port: opts.port,
      databaseUrl,
      redisUrl: infra.redisUrl,
      redisPrefix,
      logLevel: 'silent',
      http: { apiKeyCacheMs: 0, opsToken, operatorToken },
      callbacks: { allowPrivateUrls: true, retryHours: 1 },
      worker: { concurrency: 10, dispatchConcurrency: 32, sendConcurrency: 20, directSends: 256, reconcileIntervalMs: 1000, duePollMs: 50 },
      policy: policyDefaultsSchema.parse({ timeouts: { rcs: t, sms: t, line: t } }),
      channels: sandboxChannelSettings(sandboxes, tenantId),
      // The demo runs offline, and its one console password is generated (144 random bits): nothing to look up.
      console: { pwnedPasswordsUrl: null },
    });
    // Closed by `stop`, which also drops the demo's database: Nest's own signal hooks would end the process first.
    worker = await createWorkerApp(config, [], { shutdownHooks: false });
    apiApp = await createApiApp(config, [], { shutdownHooks: false });
    await apiApp.listen(opts.port, '127.0.0.1');
    const baseUrl = `http://127.0.0.1:${(apiApp.getHttpServer().address() as AddressInfo).port}`;
    await sandboxes.wire(baseUrl);

    const admin = apiApp.get(TenantAdminService);
    await admin.createTenant('demo', null, tenantId);
    const key = (await admin.createApiKey(tenantId, ['messages:send', 'messages:read', 'admin'], 'demo')).token;
    const sender = await api(baseUrl, key, 'POST', '/v1/senders', { address: SENDER, routes: ['jp-direct'] });
    // The organisation registers it; the platform operators approve it (here with the demo's operator token).
    await api(baseUrl, operatorToken, 'POST', `/ops/senders/${sender.body.id}/approve`, { reason: 'demo: screened by the carriers', by: 'demo' });
    // Its password is generated and printed once, like the api key: this database is the demo's own
    // and dropped at the end. Given, not left to the service to generate, so the console does not
    // ask the demo's one user to replace it (as it asks anyone whose password someone else made).
    const staff = await apiApp.get(StaffService).create(tenantId, CONSOLE_EMAIL, 'admin', generatePassword());
    out.write(`API on ${baseUrl} (docs ${baseUrl}/docs). Sender ${SENDER} registered and approved for route jp-direct.\n\n`);

    const scenarios = demoScenarios(SENDER);
    const rows: Row[] = [...scenarios.map((s) => ({ key: s.key, title: s.title, line: 'posting…', done: false, ok: null })), { key: '6', title: 'replies in the conversation', line: 'waiting for 2 and 3…', done: false, ok: null }];
    const display = new TimelineDisplay(out, rows);
    const ids = new Map<string, { id: string; startedAt: number }>();
    for (const [i, sc] of scenarios.entries()) {
      script(sandboxes, sc);
      const res = await api(baseUrl, key, 'POST', '/v1/messages', sc.body, { 'idempotency-key': `demo-${sc.key}-${dbName}` });
      const row = rows[i];
      if (sc.expect.kind === 'refused') {
        row.done = true;
        row.ok = res.status === sc.expect.status && res.body?.code === sc.expect.code;
        row.line = `refused: ${res.status} ${String(res.body?.code)} — ${String(res.body?.message ?? '')}`.slice(0, 140);
      } else if (res.status === 202) {
        ids.set(sc.key, { id: String(res.body.id), startedAt: Date.now() });
      } else {
        row.done = true;
        row.ok = false;
        row.line = `unexpected ${res.status} ${String(res.body?.code)}`;
      }
    }
    display.render();

    const deadline = Date.now() + (opts.deadlineMs ?? 60_000);
    let repliesSent = false;
    const contacts = new Map<string, string>();
    while (Date.now() < deadline && rows.some((r) => !r.done)) {
      for (const [i, sc] of scenarios.entries()) {
        const track = ids.get(sc.key);
        const row = rows[i];
        if (!track || row.done || sc.expect.kind !== 'message') continue;
        const m = (await api(baseUrl, key, 'GET', `/v1/messages/${track.id}`)).body;
        contacts.set(sc.key, m.contactId);
        row.line = describe(m, track.startedAt);
        const trail = m.attempts.map((a) => `${a.channel}:${a.status}`);
        if (['delivered', 'read', 'failed', 'expired', 'cancelled'].includes(m.status) && (m.status !== 'delivered' || sc.expect.status !== 'read')) {
          row.done = true;
          row.ok = m.status === sc.expect.status && m.channel === sc.expect.channel && JSON.stringify(trail) === JSON.stringify(sc.expect.trail);
        }
      }
      const replies = rows.at(-1)!;
      if (!repliesSent && rows[1].done && rows[2].done) {
        repliesSent = true;
        await sandboxes.smsc.control.injectMo({ from: scenarios[1].phone.slice(1), to: SENDER, text: '明日は伺えません。来週にできますか？' });
        await sandboxes.line.control.message(scenarios[2].lineUserId!, '承知しました、ありがとうございます', { botUserId: sandboxes.credentials.line.botUserId });
        replies.line = 'SMS reply and LINE reply sent by the stand-ins…';
      }
      if (repliesSent && !replies.done) {
        const found: string[] = [];
        for (const k of ['2', '3']) {
          const conv = (await api(baseUrl, key, 'GET', `/v1/contacts/${contacts.get(k)}/conversation`)).body as unknown as { items: { direction: string; channel: string; text: string }[] };
          const inbound = conv.items?.find((it) => it.direction === 'inbound');
          if (inbound) found.push(`${inbound.channel} «${inbound.text}»`);
        }
        if (found.length === 2) {
          replies.done = true;
          replies.ok = found[0].startsWith('sms') && found[1].startsWith('line');
          replies.line = `in the conversations of 2 and 3: ${found.join(', ')}`;
        }
      }
      display.render();
      await new Promise((r) => setTimeout(r, 250));
    }
    for (const row of rows.filter((r) => !r.done)) {
      row.ok = false;
      row.line += ' (timed out)';
    }
    display.render();
    const ok = rows.every((r) => r.ok);
    out.write(`\n${summaryTable(scenarios, rows)}\n${rows.filter((r) => r.ok).length}/${rows.length} scenarios ended as expected.\n`);
    out.write(
      opts.keepRunning
        ? [
            '',
            'Where to look next:',
            `  API docs (OpenAPI):  ${baseUrl}/docs`,
            `  Support console:     ${baseUrl}/console  (organisation "demo", ${CONSOLE_EMAIL}, password ${staff.password})`,
            `  Health / metrics:    curl -s ${baseUrl}/health -H "Authorization: Bearer ${opsToken}"   (and ${baseUrl}/metrics, the same token)`,
            '  Send your own (the demo tenant key is below; RCS, SMS and LINE are the stand-ins):',
            `  curl -s ${baseUrl}/v1/messages -H "Authorization: Bearer ${key}" -H "Idempotency-Key: $(date +%s%N)" \\`,
            `    -H 'Content-Type: application/json' -d '{"to":{"phone":"090-1234-5678"},"category":"transactional","text":"こんにちは","sender":"${SENDER}"}'`,
            '',
          ].join('\n')
        : // What --once ran is dropped as it exits: its addresses would lead nowhere.
          '\nTo look around afterwards (the support console, the API docs, your own sends), run `npm run demo` without --once.\n',
    );
    return { ok, baseUrl, rows, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
