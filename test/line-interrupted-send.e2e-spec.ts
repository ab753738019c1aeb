import { expectEventually } from '@tsunagu/testing';
import { Sandboxes, sandboxChannelSettings, startSandboxes } from '../apps/sandbox/src/start-sandboxes';
import { EngineHarness, mobile, post, startEngine } from './support/engine-harness';

type LineSettings = { line: { channels: { pnpEnabled: boolean }[] } };

/**
 * A LINE send a crash interrupted (the attempt left `submitting`), through the real LINE adapter
 * and the sandbox LINE. A push carries its retry key and may be sent again; a notification message
 * (PNP) cannot carry one (LINE answers 400 to it there), so it is settled as unknown and never sent
 * a second time: the person may already have it.
 */
describe('LINE: an interrupted notification message (PNP) is never sent twice', () => {
  let s: Sandboxes;
  let h: EngineHarness;

  beforeAll(async () => {
    s = await startSandboxes({ pnpDeliveryDelayMs: 50 });
    h = await startEngine({
      label: 'line_interrupted',
      realChannels: (tenantId) => {
        const settings = sandboxChannelSettings(s, tenantId) as unknown as LineSettings;
        settings.line.channels[0].pnpEnabled = true;
        return settings as unknown as Record<string, unknown>;
      },
      rbmSandbox: s.rbm.control,
      config: { worker: { concurrency: 10, dispatchConcurrency: 10, sendConcurrency: 10, directSends: 8, reconcileIntervalMs: 300, duePollMs: 50 } },
    });
    await s.wire(h.baseUrl);
  });
  afterAll(async () => {
    await h?.close();
    await s?.close();
  });

  const attemptOf = async (messageId: string) =>
    (await h.query<{ id: string; status: string; reason: string | null }>(`SELECT id, status, reason FROM attempts WHERE message_id = $1 AND channel = 'line'`, [messageId]))[0];
  const pnpSends = (attemptId: string) => s.line.control.records().requests.filter((r) => r.path === '/bot/pnp/push' && r.deliveryTag === attemptId);
  /** The message's LINE attempt once it is in `status`. */
  const attemptIn = (messageId: string, status: string) =>
    expectEventually(async () => {
      const a = await attemptOf(messageId);
      expect(a?.status).toBe(status);
      return a;
    });
  /** A PNP send accepted by LINE and never delivered: its attempt stays `sent` while the test plays the crash. */
  async function sentPnp(text: string): Promise<{ messageId: string; attemptId: string }> {
    const phone = mobile();
    s.line.control.script(phone, 'never_delivered');
    const res = await post(h, '/v1/messages', { to: { phone }, channels: ['line'], category: 'transactional', text }, { 'idempotency-key': `pnp-${phone}` });
    expect(res.status).toBe(202);
    return { messageId: res.body.id, attemptId: (await attemptIn(res.body.id, 'sent')).id };
  }
  /** What a worker killed mid-call leaves: submitting, past the wait the reconciler gives a call that may still be in flight. */
  const crashMidCall = (attemptId: string) => h.query(`UPDATE attempts SET status = 'submitting', updated_at = now() - interval '61 seconds' WHERE id = $1`, [attemptId]);

  it('a PNP attempt a crash left submitting is settled unknown (submit_interrupted), with one request at LINE', async () => {
    const sent = await sentPnp('お届け予定のご案内です。');
    expect(pnpSends(sent.attemptId)).toHaveLength(1);
    await crashMidCall(sent.attemptId);
    expect((await attemptIn(sent.messageId, 'unknown')).reason).toBe('submit_interrupted');
    expect(pnpSends(sent.attemptId)).toHaveLength(1);
  });

  it('is judged by the form it was sent in: a LINE link made before the recovery does not turn it into a push', async () => {
    const sent = await sentPnp('発送のお知らせです。');
    // The worker dies in the PNP call; before the reconciler comes, the CRM links the person's LINE account.
    await h.query(`UPDATE contacts SET line_user_id = $1, line_following = true WHERE id = (SELECT contact_id FROM messages WHERE id = $2)`, [`U${'7'.repeat(32)}`, sent.messageId]);
    await crashMidCall(sent.attemptId);
    expect((await attemptIn(sent.messageId, 'unknown')).reason).toBe('submit_interrupted');
    expect(s.line.control.records().requests.filter((r) => r.path === '/v2/bot/message/push' && r.retryKey === sent.attemptId)).toEqual([]);
    expect(pnpSends(sent.attemptId)).toHaveLength(1);
  });
});
