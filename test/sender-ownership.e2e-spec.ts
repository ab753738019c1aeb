import { expectEventually } from '@tsunagu/testing';
import { Sandboxes, sandboxChannelSettings, startSandboxes } from '../apps/sandbox/src/start-sandboxes';
import { EngineHarness, mobile, operatorDecides, post, startEngine } from './support/engine-harness';

/**
 * Anti-spoofing across organisations: each registers its own senders, so two may ask for the
 * same short code. Only one may hold it approved: that one sends as it, and the replies to it
 * (with the opt-outs in them) go there. Over the real SMPP bind of the sandbox SMSC.
 */
describe('a sender address is held by one organisation at a time', () => {
  const ADDRESS = '00057777';
  let s: Sandboxes;
  let h: EngineHarness;
  let b: EngineHarness;

  beforeAll(async () => {
    s = await startSandboxes({ receiptDelayMs: 50 });
    h = await startEngine({ label: 'sender-held', realChannels: (tenantId) => sandboxChannelSettings(s, tenantId) as unknown as Record<string, unknown>, rbmSandbox: s.rbm.control });
    await s.wire(h.baseUrl);
    const other = await h.admin.createTenant(`held-elsewhere-${Date.now()}`);
    b = { ...h, tenantId: other.id, apiKey: (await h.admin.createApiKey(other.id, ['messages:send', 'messages:read', 'admin'])).token };
  });
  afterAll(async () => {
    await h?.close();
    await s?.close();
  });

  /** The tenant a reply to ADDRESS from `phone` was filed under, once it is filed. */
  async function repliedTo(phone: string, text: string): Promise<string> {
    expect((await s.smsc.control.injectMo({ from: phone.slice(1), to: ADDRESS, text })).status).toBe(0);
    return expectEventually(async () => {
      const rows = await h.query<{ tenant_id: string }>(`SELECT tenant_id FROM messages WHERE direction = 'inbound' AND text = $1`, [text]);
      expect(rows).toHaveLength(1);
      return rows[0].tenant_id;
    });
  }

  it('refuses a second approval, sends and files replies only for the holder, and passes on once the holder suspends', async () => {
    // A route name no SMS route has would leave the sender unusable: refused, naming the routes.
    const typo = await post(h, '/v1/senders', { address: ADDRESS, routes: ['jp-drect'] });
    expect([typo.status, typo.body.code, typo.body.details]).toEqual([422, 'VALIDATION_FAILED', { field: 'routes', unknown: ['jp-drect'] }]);
    expect(typo.body.message).toContain('the routes are jp-direct');
    const mine = await post(h, '/v1/senders', { address: ADDRESS, routes: ['jp-direct'] });
    const badRoutes = await operatorDecides(h, mine.body.id, 'approve', { routes: ['nope'] });
    expect([badRoutes.status, badRoutes.body.code]).toEqual([422, 'VALIDATION_FAILED']);
    // An organisation cannot vouch for an address it only claims to hold: it waits for the operators.
    const selfApproved = await post(h, `/v1/senders/${mine.body.id}/approve`, {});
    expect([selfApproved.status, selfApproved.body.code]).toEqual([403, 'OPERATOR_APPROVAL_REQUIRED']);
    const noToken = await fetch(`${h.baseUrl}/ops/senders/${mine.body.id}/approve`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${h.apiKey}` }, body: '{"reason":"screened"}' });
    expect(noToken.status).toBe(401); // a tenant's API key is not the operator token
    // Nor is the operations token: monitoring holds it (Prometheus's scrape config) to read /health
    // and /metrics, and a read-only credential must not approve a sender or list every organisation's.
    const monitoring = { authorization: `Bearer ${h.config.http.opsToken!}`, 'content-type': 'application/json' };
    const byScraper = await fetch(`${h.baseUrl}/ops/senders/${mine.body.id}/approve`, { method: 'POST', headers: monitoring, body: '{"reason":"screened"}' });
    expect([byScraper.status, ((await byScraper.json()) as { code: string }).code]).toEqual([401, 'UNAUTHENTICATED']);
    expect((await fetch(`${h.baseUrl}/ops/senders`, { headers: monitoring })).status).toBe(401);
    const early = await post(h, '/v1/messages', { to: { phone: mobile() }, category: 'transactional', text: 'まだ承認前', sender: ADDRESS }, { 'idempotency-key': 'held-0' });
    expect([early.status, early.body.code]).toEqual([422, 'SENDER_NOT_APPROVED']);
    const queue = await fetch(`${h.baseUrl}/ops/senders?state=requested`, { headers: { authorization: `Bearer ${h.config.http.operatorToken!}` } });
    expect(((await queue.json()) as { id: string; tenantId: string }[]).filter((r) => r.id === mine.body.id)).toEqual([expect.objectContaining({ tenantId: h.tenantId, state: 'requested' })]);
    expect((await operatorDecides(h, mine.body.id, 'approve', { by: 'yamada', reason: 'KDDI screening SC-0412' })).status).toBe(200);
    const audit = await h.query(`SELECT actor, reason FROM audit_log WHERE action = 'sender.approved' AND subject_id = $1`, [mine.body.id]);
    expect(audit).toEqual([{ actor: 'operator:yamada', reason: 'KDDI screening SC-0412' }]);

    // Another organisation may ask for it (it cannot know), but not approve it while it is held.
    const theirs = await post(b, '/v1/senders', { address: ADDRESS, routes: ['jp-direct'] });
    expect(theirs.status).toBe(201);
    const refused = await operatorDecides(b, theirs.body.id, 'approve');
    expect([refused.status, refused.body.code, refused.body.details]).toEqual([409, 'CONFLICT', { reason: 'sender_held_elsewhere' }]);
    expect(JSON.stringify(refused.body)).not.toContain(h.tenantId);
    const spoof = await post(b, '/v1/messages', { to: { phone: mobile() }, category: 'transactional', text: 'なりすまし', sender: ADDRESS }, { 'idempotency-key': 'held-1' });
    expect([spoof.status, spoof.body.code]).toEqual([422, 'SENDER_NOT_APPROVED']);
    expect(await repliedTo(mobile(), 'held-reply-1')).toBe(h.tenantId);

    // Even two approvals racing past the check: the database lets one through.
    await expect(h.query(`UPDATE senders SET state = 'approved' WHERE id = $1`, [theirs.body.id])).rejects.toThrow(/senders_approved_once/);

    // Handed over: the holder suspends it, the other may approve it, and replies follow it.
    expect((await post(h, `/v1/senders/${mine.body.id}/suspend`, { reason: 'code returned to the carrier' })).status).toBe(200);
    expect((await operatorDecides(b, theirs.body.id, 'approve')).status).toBe(200);
    expect(await repliedTo(mobile(), 'held-reply-2')).toBe(b.tenantId);
    const back = await operatorDecides(h, mine.body.id, 'approve');
    expect([back.status, back.body.details]).toEqual([409, { reason: 'sender_held_elsewhere' }]);
  });
});
