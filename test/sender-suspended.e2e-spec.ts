import { expectEventually } from '@tsunagu/testing';
import { runCli } from './support/cli-run';
import { EngineHarness, finalView, get, mobile, operatorDecides, post, startEngine } from './support/engine-harness';

type Attempt = { channel: string; status: string; reason: string | null; retries: number };
type Decision = { kind: string; inputs: { barred?: Record<string, string> }; outcome: { skipped?: { channel: string; reason: string }[] } };

/**
 * Anti-spoofing after the accept: a sender approved when the message was accepted but suspended
 * before its SMS goes (a scheduled send, an RCS fallback, a queued retry) is not used. The SMS is
 * skipped or failed as `sender_not_approved`, and the policy moves on or fails saying why.
 */
describe('a sender suspended after the accept is not used by the SMS that follows', () => {
  let h: EngineHarness;
  let n = 0;

  beforeAll(async () => {
    h = await startEngine({ label: 'sender-suspended' });
  });
  afterAll(async () => {
    await h?.close();
  });

  async function approvedSender(address: string): Promise<string> {
    const sender = await post(h, '/v1/senders', { address, routes: [] });
    expect((await operatorDecides(h, sender.body.id, 'approve')).status).toBe(200);
    return sender.body.id as string;
  }
  async function suspend(senderId: string): Promise<void> {
    expect((await post(h, `/v1/senders/${senderId}/suspend`, { reason: 'short code withdrawn' })).status).toBe(200);
  }
  async function send(body: Record<string, unknown>): Promise<string> {
    const res = await post(h, '/v1/messages', { category: 'transactional', text: 'お知らせ: ご予約は明日です', ...body }, { 'idempotency-key': `suspended-${++n}` });
    expect(res.status).toBe(202);
    return res.body.id as string;
  }
  const final = (id: string, timeoutMs?: number) =>
    finalView<{ status: string; reason: string | null; channel: string | null; attempts: Attempt[]; decisions: Decision[] }>(h, id, timeoutMs);

  const smsTo = (phone: string) => h.providers.sms.sent.filter((s) => s.phone === phone);

  it('the operators approve and suspend from the CLI, audited under their name; the organisation only suspends', async () => {
    const sender = await post(h, '/v1/senders', { address: '00054321', routes: [] });
    const run = (...args: string[]) => runCli(args, { DATABASE_URL: h.db.url, TSUNAGU_DATA_KEY: h.config.dataKey });
    const queue = await run('sender:list', '--state', 'requested');
    expect(queue.status).toBe(0);
    expect(queue.stdout.split('\n').filter((l) => l.startsWith(sender.body.id))).toEqual([expect.stringMatching(new RegExp(`\t${h.tenantId}\t00054321\tshort_code\trequested\t\\*\t`))]);
    expect((await run('sender:approve', sender.body.id)).status).not.toBe(0); // a reason is required
    const approved = await run('sender:approve', sender.body.id, '--reason', 'docomo screening D-77', '--by', 'sato');
    expect([approved.status, approved.stdout.trim()]).toEqual([0, '00054321 is approved (operator:sato)']);
    const id = await send({ to: { phone: mobile() }, sender: '00054321', channels: ['sms'] });
    expect((await final(id)).status).toBe('delivered');
    const suspended = await run('sender:suspend', sender.body.id, '--reason', 'code returned', '--by', 'sato');
    expect(suspended.status).toBe(0);
    const again = await post(h, `/v1/senders/${sender.body.id}/approve`, {});
    expect([again.status, again.body.code]).toEqual([403, 'OPERATOR_APPROVAL_REQUIRED']);
    const audit = await h.query(`SELECT actor, action, reason FROM audit_log WHERE subject_id = $1 ORDER BY created_at`, [sender.body.id]);
    expect(audit).toEqual([
      { actor: expect.stringMatching(/^apikey:/), action: 'sender.requested', reason: null },
      { actor: 'operator:sato', action: 'sender.approved', reason: 'docomo screening D-77' },
      { actor: 'operator:sato', action: 'sender.suspended', reason: 'code returned' },
    ]);
  });

  it('RCS not delivered in time → the fallback skips SMS (sender suspended meanwhile) and goes on to LINE', async () => {
    const senderId = await approvedSender('00056001');
    const phone = mobile();
    h.providers.rcs.script(phone, { send: 'accept', then: 'none' });
    const id = await send({ to: { phone }, sender: '00056001', timeouts: { rcs: 3 } });
    await expectEventually(async () => expect((await get(h, `/v1/messages/${id}`)).body.attempts.map((a: Attempt) => a.status)).toEqual(['sent']));
    await suspend(senderId);

    const m = await final(id);
    expect(m.attempts.map((a) => `${a.channel}:${a.status}`)).toEqual(['rcs:revoked', 'line:delivered']);
    expect(smsTo(phone)).toHaveLength(0);
    const fallback = m.decisions.at(-1)!;
    expect(fallback.outcome.skipped).toEqual([{ channel: 'sms', reason: 'sender_not_approved' }]);
    expect(fallback.inputs.barred).toEqual({ sms: 'sender_not_approved' });
  });

  it('a scheduled SMS whose sender was suspended before its time fails as sender_not_approved, unsent', async () => {
    const senderId = await approvedSender('00056002');
    const phone = mobile();
    const id = await send({ to: { phone }, sender: '00056002', channels: ['sms'], sendAt: new Date(Date.now() + 2000).toISOString() });
    await suspend(senderId);

    const m = await final(id);
    expect([m.status, m.reason, m.attempts]).toEqual(['failed', 'all_channels_failed', []]);
    expect(m.decisions.at(-1)!.outcome.skipped).toEqual([{ channel: 'sms', reason: 'sender_not_approved' }]);
    expect(smsTo(phone)).toHaveLength(0);
  });

  it('an OTP whose SMS is being retried when its sender is suspended fails, unsent, and never goes by another channel', async () => {
    const senderId = await approvedSender('00056003');
    const phone = mobile();
    // Refused by the provider for now three times: the send is retried from its queue with backoff.
    h.providers.sms.script(phone, { send: 'retryable', times: 3 });
    const id = await send({ to: { phone }, sender: '00056003', category: 'otp', text: '認証コード: 482913' });
    await expectEventually(async () => expect((await get(h, `/v1/messages/${id}`)).body.attempts[0]?.retries).toBeGreaterThanOrEqual(1));
    await suspend(senderId);

    const m = await final(id);
    expect([m.status, m.reason]).toEqual(['failed', 'all_channels_failed']);
    expect(m.attempts.map((a) => [a.channel, a.status, a.reason])).toEqual([['sms', 'failed', 'sender_not_approved']]);
    expect(smsTo(phone)).toHaveLength(0);
    expect(h.providers.line.sent.filter((s) => s.phone === phone)).toHaveLength(0);
  });
});
