import { expectEventually } from '@tsunagu/testing';
import { EngineHarness, finalView, get, mobile, post, startEngine } from './support/engine-harness';

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
    expect((await post(h, `/v1/senders/${sender.body.id}/approve`, {})).status).toBe(200);
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
