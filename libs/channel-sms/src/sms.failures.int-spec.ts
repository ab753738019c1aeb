import { ChannelError, SendResult } from '@tsunagu/channels';
import { expectEventually } from '@tsunagu/testing';
import { MalformedPduKind } from '../../../apps/sandbox/src/smsc';
import { SmsHarness, startSmsHarness } from './testing/sms-test.harness';

interface BindDetail {
  routes: Record<string, { binds: { id: string; state: string; outstanding: number; lastError?: string }[]; throttledUntil?: string }>;
  unparsedReceipts: number;
}

async function detail(h: SmsHarness): Promise<BindDetail> {
  return (await h.adapter.health()).detail as unknown as BindDetail;
}

async function allBound(h: SmsHarness): Promise<void> {
  const d = await detail(h);
  expect(d.routes['jp-direct'].binds.map((b) => b.state)).toEqual(['bound', 'bound']);
}

/** What the engine does with a retryable error: wait as told and send the same attempt again. */
async function sendWithRetries(h: SmsHarness, phone: string, seen: ChannelError[]): Promise<SendResult> {
  const attempt = h.attempt(phone);
  const deadline = Date.now() + 15000;
  for (;;) {
    try {
      return await h.adapter.send(attempt);
    } catch (err) {
      if (!(err instanceof ChannelError) || err.kind !== 'retryable' || Date.now() > deadline) throw err;
      seen.push(err);
      await new Promise((r) => setTimeout(r, err.retryAfterMs ?? 100));
    }
  }
}

describe('SmsAdapter under SMSC failures', () => {
  let h: SmsHarness;
  beforeAll(async () => {
    h = await startSmsHarness();
  });
  afterAll(async () => {
    await h?.close();
  });
  beforeEach(async () => {
    h.smsc.control.reset();
    await expectEventually(() => allBound(h));
  });

  it('rides out a throttling storm: retryable throttled, then every send succeeds once', async () => {
    h.smsc.control.fail({ mode: 'throttle', durationMs: 1000 });
    const phones = Array.from({ length: 30 }, () => h.nextPhone());
    const seen: ChannelError[] = [];
    const started = Date.now();
    const results = await Promise.all(phones.map((p) => sendWithRetries(h, p, seen)));
    expect(results.every((r) => r.providerMessageId)).toBe(true);
    expect(seen.some((e) => e.code === 'throttled' && (e.retryAfterMs ?? 0) > 0)).toBe(true);
    expect(seen.every((e) => e.code === 'throttled')).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900); // nothing got through the storm early
    for (const p of phones) {
      // Each destination got exactly one accepted submit; refused ones were refused, not lost.
      expect(h.smsc.control.submitsTo(p).filter((r) => r.status === 0)).toHaveLength(1);
    }
    // The route backed off instead of hammering the SMSC with all 30 on every retry.
    expect(h.smsc.control.submitCount()).toBeLessThan(30 * 8);
  });

  it('pauses the route once per throttling episode: 0x58s for submits already in flight do not lengthen the pause', async () => {
    h.smsc.control.fail({ mode: 'throttle', durationMs: 100 });
    // Twenty submits leave before the first 0x58 comes back (2 binds, window 10): one burst, one pause.
    const settled = await Promise.allSettled(Array.from({ length: 20 }, () => h.adapter.send(h.attempt(h.nextPhone()))));
    const waits = settled.map((s) => {
      expect(s.status).toBe('rejected');
      const err = (s as PromiseRejectedResult).reason as ChannelError;
      expect(err).toMatchObject({ kind: 'retryable', code: 'throttled' });
      return err.retryAfterMs ?? 0;
    });
    expect(Math.max(...waits)).toBeLessThanOrEqual(200); // throttleBackoffMs, not doubled per answer up to the 800 cap
    expect(Math.min(...waits)).toBeGreaterThan(0);
    // Throttled again once the pause is over: a new episode, and the pause doubles.
    await expectEventually(async () => expect((await detail(h)).routes['jp-direct'].throttledUntil).toBeUndefined());
    h.smsc.control.fail({ mode: 'throttle', durationMs: 100 });
    await expect(h.adapter.send(h.attempt(h.nextPhone()))).rejects.toMatchObject({ code: 'throttled', retryAfterMs: expect.any(Number) });
    const until = Date.parse((await detail(h)).routes['jp-direct'].throttledUntil ?? '');
    expect(until - Date.now()).toBeGreaterThan(200);
  });

  it('rejects submits lost with the connection as unknown_outcome, never resends them, and rebinds', async () => {
    h.smsc.control.fail({ mode: 'drop', dropAfterMs: 150 });
    const phones = Array.from({ length: 6 }, () => h.nextPhone());
    const opened = h.smsc.control.connectionsOpened();
    const settled = await Promise.allSettled(phones.map((p) => h.adapter.send(h.attempt(p))));
    for (const s of settled) {
      expect(s.status).toBe('rejected');
      expect((s as PromiseRejectedResult).reason).toMatchObject({ kind: 'unknown_outcome', code: 'bind_lost' });
    }
    await expectEventually(() => expect(h.smsc.control.connectionsOpened()).toBeGreaterThanOrEqual(opened + 2));
    await expectEventually(() => allBound(h));
    for (const p of phones) expect(h.smsc.control.submitsTo(p)).toHaveLength(1);
    const next = await h.adapter.send(h.attempt(h.nextPhone()));
    expect(next.providerMessageId).toBeTruthy();
    for (const p of phones) expect(h.smsc.control.submitsTo(p)).toHaveLength(1); // still once: no resubmit
  });

  it('keeps at most `window` submits unanswered on each bind; the others wait for a slot and are sent once', async () => {
    h.smsc.control.fail({ mode: 'drop', dropAfterMs: 1000 }); // the SMSC goes quiet for a second, then drops
    const phones = Array.from({ length: 30 }, () => h.nextPhone());
    const settled = await Promise.allSettled(phones.map((p) => h.adapter.send(h.attempt(p))));
    const unanswered = h.smsc.control.records().filter((r) => r.status === -1);
    const perSession = new Map<number, number>();
    for (const r of unanswered) perSession.set(r.sessionId, (perSession.get(r.sessionId) ?? 0) + 1);
    expect([...perSession.values()]).toEqual([10, 10]); // window 10 on each of the 2 binds, filled and never exceeded
    const lost = settled.filter((s) => s.status === 'rejected');
    expect(lost).toHaveLength(20);
    for (const s of lost) expect((s as PromiseRejectedResult).reason).toMatchObject({ kind: 'unknown_outcome', code: 'bind_lost' });
    // The ten that waited went out on the new binds; nobody got a second submit.
    for (const p of phones) expect(h.smsc.control.submitsTo(p)).toHaveLength(1);
  });

  it('answers a receipt it could not record with a temporary error, and records it when the SMSC redelivers', async () => {
    h.sink.failures = 2;
    const sent = await h.adapter.send(h.attempt(h.nextPhone()));
    await expectEventually(() => expect(h.sink.for(sent.providerMessageId!).map((e) => e.type)).toEqual(['delivered']), { timeoutMs: 10000 });
    expect(h.smsc.control.responses().deliverResp[0x64]).toBe(2);
  });

  it('answers an unknown command_id with generic_nack 0x03 and keeps the bind', async () => {
    const opened = h.smsc.control.connectionsOpened();
    h.smsc.control.fail({ mode: 'malformed_pdu', kind: 'unknown_cmd' });
    await expectEventually(() => expect(h.smsc.control.responses().genericNack).toBe(2));
    expect(h.smsc.control.connectionsOpened()).toBe(opened);
    expect((await h.adapter.send(h.attempt(h.nextPhone()))).providerMessageId).toBeTruthy();
  });

  it("answers the SMSC's unbind with unbind_resp and rebinds, even when the SMSC leaves its side of the socket open", async () => {
    const opened = h.smsc.control.connectionsOpened();
    h.smsc.control.fail({ mode: 'unbind' });
    await expectEventually(() => expect(h.smsc.control.responses().unbindResp).toBe(2));
    // New connections: the adapter gave up the unbound ones rather than sit on them half-closed.
    await expectEventually(() => expect(h.smsc.control.connectionsOpened()).toBeGreaterThanOrEqual(opened + 2), { timeoutMs: 5000 });
    await expectEventually(() => allBound(h), { timeoutMs: 5000 });
    expect(h.smsc.control.boundCount()).toBe(2);
    const phone = h.nextPhone();
    expect((await h.adapter.send(h.attempt(phone))).providerMessageId).toBeTruthy();
    expect(h.smsc.control.submitsTo(phone).map((r) => r.status)).toEqual([0]);
  });

  it('binds again when the SMSC answers a submit ESME_RINVBNDSTS (it lost the session), and the send is retryable', async () => {
    const opened = h.smsc.control.connectionsOpened();
    h.smsc.control.fail({ mode: 'forget_binds' });
    await expect(h.adapter.send(h.attempt(h.nextPhone()))).rejects.toMatchObject({ kind: 'retryable', code: `invalid_bind_status` });
    // Each bind so refused unbinds and binds again (the other on its own first refused submit).
    await expectEventually(
      async () => {
        await h.adapter.send(h.attempt(h.nextPhone())).catch(() => undefined);
        expect(h.smsc.control.connectionsOpened()).toBeGreaterThanOrEqual(opened + 2);
      },
      { timeoutMs: 5000 },
    );
    await expectEventually(() => allBound(h), { timeoutMs: 5000 });
    expect(h.smsc.control.boundCount()).toBe(2); // the SMSC holds both as bound again
    const again = h.nextPhone();
    expect((await h.adapter.send(h.attempt(again))).providerMessageId).toBeTruthy();
    expect(h.smsc.control.submitsTo(again).map((r) => r.status)).toEqual([0]);
  });

  it.each<MalformedPduKind>(['too_long', 'len8', 'len2', 'truncated'])(
    'survives a malformed PDU (%s): drops the session, rebinds, sends again',
    async (kind) => {
      const opened = h.smsc.control.connectionsOpened();
      h.smsc.control.fail({ mode: 'malformed_pdu', kind });
      // len2 and truncated wedge the package silently: the enquire_link watchdog finds them.
      await expectEventually(() => expect(h.smsc.control.connectionsOpened()).toBeGreaterThanOrEqual(opened + 2), { timeoutMs: 8000 });
      await expectEventually(() => allBound(h), { timeoutMs: 8000 });
      expect((await h.adapter.send(h.attempt(h.nextPhone()))).providerMessageId).toBeTruthy();
      expect((await h.adapter.health()).up).toBe(true);
    },
  );

  it('backs off while binds are refused, then binds again', async () => {
    const opened = h.smsc.control.connectionsOpened();
    h.smsc.control.fail({ mode: 'refuse_binds', durationMs: 600 });
    h.smsc.control.fail({ mode: 'malformed_pdu', kind: 'too_long' }); // knock both binds off
    await expectEventually(async () => {
      const binds = (await detail(h)).routes['jp-direct'].binds;
      expect(binds.some((b) => b.lastError === 'bind_refused_0x000d')).toBe(true);
    });
    await expectEventually(() => allBound(h), { timeoutMs: 8000 });
    // Refused, then backoff: more than one try per bind, but far from a tight loop.
    const tries = h.smsc.control.connectionsOpened() - opened;
    expect(tries).toBeGreaterThan(2);
    expect(tries).toBeLessThan(40);
  });
});

describe('SmsAdapter with wrong credentials', () => {
  it('stays down with the refusal in health and answers sends with retryable no_bind', async () => {
    const h = await startSmsHarness({ route: { password: 'wrong' }, adapter: { timing: { windowWaitMs: 300, reconnectInitialMs: 50, reconnectMaxMs: 200 } }, waitForBind: false });
    try {
      await expectEventually(async () => {
        const binds = (await detail(h)).routes['jp-direct'].binds;
        expect(binds.every((b) => b.lastError === 'bind_refused_0x000e')).toBe(true);
      });
      expect((await h.adapter.health()).up).toBe(false);
      await expect(h.adapter.send(h.attempt(h.nextPhone()))).rejects.toMatchObject({ kind: 'retryable', code: 'no_bind' });
      expect(h.smsc.control.submitCount()).toBe(0);
    } finally {
      await h.close();
    }
  });
});

describe('SmsAdapter sending a long message to an SMSC that throttles per PDU', () => {
  it('sends a part the SMSC refused with 0x58 again once the route has waited, so the message arrives whole', async () => {
    // One submit a second: of three parts sent back to back, part 2 or part 3 is refused.
    const h = await startSmsHarness({ smsc: { throttle: { maxPerSecond: 1 } } });
    try {
      const phone = h.nextPhone();
      const sent = await h.adapter.send(h.attempt(phone, { text: 'y'.repeat(400) }));
      expect(sent.partIds).toHaveLength(3);
      const records = h.smsc.control.submitsTo(phone);
      expect(records.some((r) => r.status === 0x58)).toBe(true);
      const accepted = records.filter((r) => r.status === 0);
      expect(accepted.map((r) => r.udhSeq)).toEqual([1, 2, 3]);
      expect(new Set(records.map((r) => r.udhRef)).size).toBe(1);
      expect(records.filter((r) => r.udhSeq === 1)).toHaveLength(1); // an accepted part is never sent again
    } finally {
      await h.close();
    }
  });
});
