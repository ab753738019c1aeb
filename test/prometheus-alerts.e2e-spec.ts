import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { expectEventually } from '@tsunagu/testing';
import { EngineHarness, startEngine } from './support/engine-harness';

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: { severity?: string };
  annotations?: { summary?: string };
}

/**
 * `config/prometheus-alerts.yml` alerts on metrics the api really serves: every `tsunagu_*` name
 * in a rule is checked against a live /metrics, and the provider-connectivity gauges report what
 * the workers said.
 */
describe('Prometheus alert rules against a live /metrics', () => {
  let h: EngineHarness;
  const rules = (parse(readFileSync(join(__dirname, '..', 'config', 'prometheus-alerts.yml'), 'utf8')) as { groups: { name: string; rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
  const metrics = async () => (await fetch(`${h.baseUrl}/metrics`, { headers: { authorization: `Bearer ${h.config.http.opsToken}` } })).text();

  beforeAll(async () => {
    h = await startEngine({ label: 'prom_alerts' });
  }, 30_000);
  afterAll(async () => {
    await h?.close();
  });

  it('every rule is complete: a name, an expression, a wait, a severity and a summary', () => {
    expect(rules.length).toBeGreaterThan(5);
    for (const r of rules) {
      expect([r.alert, typeof r.expr, r.for ?? null, r.labels?.severity ?? null, typeof r.annotations?.summary]).toEqual([
        expect.stringMatching(/^Tsunagu[A-Za-z]+$/),
        'string',
        expect.stringMatching(/^\d+[smh]$/),
        expect.stringMatching(/^(page|warn)$/),
        'string',
      ]);
    }
    expect(new Set(rules.map((r) => r.alert)).size).toBe(rules.length);
  });

  it("names only metrics /metrics serves, and the channels' gauges follow the workers' reports", async () => {
    const text = await expectEventually(
      async () => {
        const t = await metrics();
        // Each scripted channel's worker has reported: up, one worker.
        for (const channel of ['rcs', 'sms', 'line']) {
          expect(t).toMatch(new RegExp(`^tsunagu_channel_up\\{channel="${channel}"\\} 1$`, 'm'));
          expect(t).toMatch(new RegExp(`^tsunagu_channel_workers\\{channel="${channel}"\\} 1$`, 'm'));
        }
        return t;
      },
      { timeoutMs: 10_000 },
    );
    const served = new Set([...text.matchAll(/^# HELP (tsunagu_[a-z0-9_]+) /gm)].map((m) => m[1]));
    const named = new Set(rules.flatMap((r) => [...r.expr.matchAll(/\b(tsunagu_[a-z0-9_]+)/g)].map((m) => m[1])));
    expect(named.size).toBeGreaterThan(5);
    expect([...named].filter((name) => !served.has(name))).toEqual([]);
    expect(text).toMatch(/^tsunagu_callbacks_pending \d+$/m);
  });
});
