import { ChannelError, ContactView, InboundRequest } from '@tsunagu/channels';
import { describeChannelContract, ScriptedSendOutcome } from '@tsunagu/channels/testing';
import { expectEventually } from '@tsunagu/testing';
import { randomUUID } from 'node:crypto';
import { SmscOutcome } from '../../../apps/sandbox/src/smsc';
import { SmsHarness, startSmsHarness } from './testing/sms-test.harness';

const SCRIPT: Record<ScriptedSendOutcome, SmscOutcome> = {
  accept: 'delivered',
  retryable: 'submit_error:0x14', // ESME_RMSGQFUL
  permanent: 'submit_error:0x0b', // ESME_RINVDSTADR
  unknown_outcome: 'drop_connection', // the bind drops with the submit in flight
};

describeChannelContract('sms', async () => {
  // Receipts come late enough that the contract's cancel still finds the message undelivered.
  const h = await startSmsHarness({ smsc: { receiptDelayMs: 400 } });
  let lastScripted = '';
  const contact = (optOuts: string[] = []): ContactView => ({ tenantId: 'tenant-1', contactId: randomUUID(), phoneE164: h.nextPhone(), optOuts });
  const noHttp: InboundRequest = { headers: { 'content-type': 'application/json' }, rawBody: Buffer.from('{"not":"smpp"}') };
  return {
    adapter: h.adapter,
    reachableContact: async () => contact(),
    unreachableContact: async () => contact(['sms']),
    scriptSend: async (c, outcome) => {
      lastScripted = c.phoneE164;
      h.smsc.control.script(c.phoneE164, SCRIPT[outcome]);
    },
    // SMPP carries no idempotency key: each contact has its own number, so count what reached it.
    receivedCount: async () => h.smsc.control.submitsTo(lastScripted).length,
    validInbound: async () => noHttp,
    malformedInbound: async () => noHttp,
    sinkEventsFor: (providerMessageId, timeoutMs) =>
      expectEventually(
        () => {
          const events = h.sink.for(providerMessageId);
          expect(events.length).toBeGreaterThan(0);
          return events;
        },
        { timeoutMs },
      ),
    cancelRevokes: true,
    close: () => h.close(),
  };
});

describe('SmsAdapter over TCP against the sandbox SMSC', () => {
  let h: SmsHarness;
  beforeAll(async () => {
    h = await startSmsHarness();
  });
  afterAll(async () => {
    await h?.close();
  });
  beforeEach(() => h.smsc.control.reset());

  it('submits with the addressing, validity and coding the brief asks for, and reports delivery per part id', async () => {
    const phone = h.nextPhone();
    const sent = await h.adapter.send(h.attempt(phone, { timeoutSeconds: 90 }));
    expect(sent.route).toBe('jp-direct');
    expect(sent.note).toBeUndefined();
    expect(sent.bind).toMatch(/^jp-direct#[01]$/);
    expect(sent.partIds).toEqual([sent.providerMessageId]);
    const [record] = h.smsc.control.submitsTo(phone);
    expect(record).toMatchObject({ source: '0005123456', sourceTon: 3, destination: phone.slice(1), dataCoding: 0, registeredDelivery: 1, text: 'Your code is 123456' });
    const validFor = Date.parse(record.validityUntil ?? '') - Date.now();
    expect(validFor).toBeGreaterThan(80_000); // relative validity from timeoutSeconds (90 s)
    expect(validFor).toBeLessThanOrEqual(91_000);
    // The sandbox answers upper-case zero-padded hex; the adapter reports the normalised id.
    expect(sent.providerMessageId).toBe(record.messageId.toLowerCase().replace(/^0+/, ''));
    const events = await expectEventually(() => {
      const e = h.sink.for(sent.providerMessageId as string);
      expect(e).toHaveLength(1);
      return e;
    });
    expect(events[0]).toMatchObject({ channel: 'sms', type: 'delivered', account: 'jp-direct', providerEventId: `${sent.providerMessageId}-delivrd` });
  });

  it.each([
    ['undeliverable', 'failed', 'undeliverable'],
    ['rejected', 'failed', 'rejected'],
    ['expired', 'expired', 'expired'],
  ] as const)('turns a %s receipt into a %s event', async (outcome, type, reason) => {
    const phone = h.nextPhone();
    h.smsc.control.script(phone, outcome);
    const sent = await h.adapter.send(h.attempt(phone));
    await expectEventually(() => expect(h.sink.for(sent.providerMessageId as string)).toEqual([expect.objectContaining({ type, reason })]));
  });

  it('round-trips GSM extension characters through the sandbox as 2 septets each', async () => {
    const phone = h.nextPhone();
    const text = 'Code {1234} [ok] ~^\\| costs 5€ @ £';
    await h.adapter.send(h.attempt(phone, { text }));
    const [record] = h.smsc.control.submitsTo(phone);
    expect(record.dataCoding).toBe(0);
    expect(record.text).toBe(text); // decoded by the smpp package, not by our encoder
    expect(record.bytes).toContain('1b65'); // € = ESC 0x65
    expect(record.bytes.length / 2).toBe(text.length + 9); // 9 extension characters, one escape each
  });

  it('sends 670 Japanese characters as 10 parts with one UDH reference', async () => {
    const phone = h.nextPhone();
    const text = Array.from({ length: 670 }, (_, i) => 'あいうえおかきくけこ'[i % 10]).join('');
    const sent = await h.adapter.send(h.attempt(phone, { text }));
    const parts = h.smsc.control.submitsTo(phone);
    expect(parts).toHaveLength(10);
    expect(new Set(parts.map((p) => p.udhRef)).size).toBe(1);
    expect(parts.map((p) => p.udhSeq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(parts.every((p) => p.udhTotal === 10 && p.dataCoding === 8 && (p.esmClass & 0x40) === 0x40)).toBe(true);
    expect(parts.map((p) => p.text).join('')).toBe(text);
    expect(sent.partIds).toHaveLength(10);
    // Each part's receipt is its own event; the engine combines them.
    await expectEventually(() => expect(h.sink.events.filter((e) => sent.partIds?.includes(e.providerMessageId ?? ''))).toHaveLength(10));
  });

  it('refuses a 671-character Japanese text as permanent body_too_long without submitting', async () => {
    const phone = h.nextPhone();
    await expect(h.adapter.send(h.attempt(phone, { text: 'あ'.repeat(671) }))).rejects.toMatchObject({ kind: 'permanent', code: 'body_too_long' });
    expect(h.smsc.control.submitsTo(phone)).toHaveLength(0);
  });

  it('reports a missing SMSC id as sent with smsc_id_missing', async () => {
    for (const outcome of ['empty_id', 'long_id'] as const) {
      const phone = h.nextPhone();
      h.smsc.control.script(phone, outcome);
      const sent = await h.adapter.send(h.attempt(phone));
      expect(sent).toMatchObject({ providerMessageId: null, partIds: [], note: 'smsc_id_missing' });
    }
  });

  it('delivers an early receipt (before submit_sm_resp) to the sink with the right id', async () => {
    h.smsc.control.fail({ mode: 'early_receipt', durationMs: 5000 });
    const sent = await h.adapter.send(h.attempt(h.nextPhone()));
    await expectEventually(() => expect(h.sink.for(sent.providerMessageId as string)).toEqual([expect.objectContaining({ type: 'delivered' })]));
  });

  it('hands duplicate receipts on with one providerEventId, for the engine to dedupe', async () => {
    h.smsc.control.fail({ mode: 'duplicate_receipts', count: 3, durationMs: 5000 });
    const sent = await h.adapter.send(h.attempt(h.nextPhone()));
    const events = await expectEventually(() => {
      const e = h.sink.for(sent.providerMessageId as string);
      expect(e).toHaveLength(3);
      return e;
    });
    expect(new Set(events.map((e) => e.providerEventId)).size).toBe(1);
  });

  it('answers ESME_ROK to a malformed receipt, passes nothing to the sink and counts it', async () => {
    h.smsc.control.fail({ mode: 'malformed_receipts', durationMs: 5000 });
    const before = h.sink.events.length;
    const sent = await h.adapter.send(h.attempt(h.nextPhone()));
    await expectEventually(() => expect(h.unparsed.length).toBeGreaterThan(0));
    expect(h.unparsed[h.unparsed.length - 1]).toMatchObject({ route: 'jp-direct', reason: 'missing_id' });
    await expectEventually(() => expect(h.smsc.control.responses().deliverResp[0]).toBeGreaterThan(0));
    expect(h.sink.for(sent.providerMessageId as string)).toHaveLength(0);
    expect(h.sink.events.length).toBe(before);
    expect((await h.adapter.health()).detail).toMatchObject({ unparsedReceipts: expect.any(Number) });
  });

  it('turns an MO reply into inbound_message, and a stop word into opt_out as well', async () => {
    const from = h.nextPhone();
    expect(await h.smsc.control.injectMo({ from, to: '0005123456', text: 'はい、参加します' })).toEqual({ status: 0 });
    await expectEventually(() =>
      expect(h.sink.events.filter((e) => e.from?.phoneE164 === from)).toEqual([
        expect.objectContaining({ type: 'inbound_message', text: 'はい、参加します', recipient: '0005123456', account: 'jp-direct' }),
      ]),
    );
    for (const stop of ['  ＳＴＯＰ ', '配信停止', 'stop']) {
      const sender = h.nextPhone();
      await h.smsc.control.injectMo({ from: sender, to: '0005123456', text: stop });
      await expectEventually(() => expect(h.sink.events.filter((e) => e.from?.phoneE164 === sender).map((e) => e.type)).toEqual(['inbound_message', 'opt_out']));
    }
  });

  it('reads a long reply and a receipt that arrive in message_payload rather than short_message', async () => {
    const from = h.nextPhone();
    const text = '明日の予約を変更したいです。'.repeat(8); // 112 characters: too long for one short_message
    const mo = { service_type: '', source_addr_ton: 1, source_addr_npi: 1, source_addr: from.slice(1), destination_addr: '0005123456', esm_class: 0, data_coding: 8 };
    expect(await h.smsc.control.injectDeliver({ ...mo, message_payload: { message: text } })).toEqual({ status: 0 });
    await expectEventually(() => expect(h.sink.events.filter((e) => e.from?.phoneE164 === from)).toEqual([expect.objectContaining({ type: 'inbound_message', text })]));

    const phone = h.nextPhone();
    h.smsc.control.script(phone, 'no_receipt');
    const sent = await h.adapter.send(h.attempt(phone));
    const [record] = h.smsc.control.submitsTo(phone);
    const receipt = Buffer.from(`id:${record.messageId} sub:001 dlvrd:001 stat:DELIVRD err:000 text:`);
    expect(await h.smsc.control.injectDeliver({ esm_class: 0x04, message_payload: receipt })).toEqual({ status: 0 });
    await expectEventually(() => expect(h.sink.for(sent.providerMessageId as string)).toEqual([expect.objectContaining({ type: 'delivered' })]));
  });

  it('takes a receipt and a reply the SMSC sends as data_sm, answering data_sm_resp ESME_ROK', async () => {
    const phone = h.nextPhone();
    h.smsc.control.script(phone, 'no_receipt');
    const sent = await h.adapter.send(h.attempt(phone));
    const [record] = h.smsc.control.submitsTo(phone);
    const receipt = { esm_class: 0x04, receipted_message_id: record.messageId, message_state: 2, message_payload: Buffer.from(`id:${record.messageId} stat:DELIVRD err:000`) };
    expect(await h.smsc.control.injectDeliver(receipt, 'data_sm')).toEqual({ status: 0 });
    await expectEventually(() => expect(h.sink.for(sent.providerMessageId as string)).toEqual([expect.objectContaining({ type: 'delivered' })]));

    const from = h.nextPhone();
    const reply = { source_addr_ton: 1, source_addr: from.slice(1), destination_addr: '0005123456', esm_class: 0, data_coding: 8, message_payload: { message: '停止' } };
    expect(await h.smsc.control.injectDeliver(reply, 'data_sm')).toEqual({ status: 0 });
    await expectEventually(() => expect(h.sink.events.filter((e) => e.from?.phoneE164 === from).map((e) => e.type)).toEqual(['inbound_message', 'opt_out']));
  });

  it('answers too_late to a cancel after the delivery receipt', async () => {
    const phone = h.nextPhone();
    const attempt = h.attempt(phone);
    const sent = await h.adapter.send(attempt);
    await expectEventually(() => expect(h.sink.for(sent.providerMessageId as string)).toHaveLength(1));
    expect(await h.adapter.cancel({ ...attempt, providerMessageId: sent.providerMessageId, route: sent.route })).toBe('too_late');
  });

  it('refuses a Japanese number with an international route name as not allowed, and parseInbound always', async () => {
    const err = await h.adapter.send(h.attempt(h.nextPhone(), { route: 'nope' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelError);
    expect(err).toMatchObject({ kind: 'permanent', code: 'unknown_route' });
    await expect(h.adapter.send(h.attempt('+14155552671', { allowInternational: true }))).rejects.toMatchObject({ kind: 'permanent', code: 'destination_not_allowed' });
    await expect(h.adapter.parseInbound()).rejects.toMatchObject({ code: 'INVALID_PAYLOAD' });
  });
});

describe('SmsAdapter on a route whose receipts write ids in decimal', () => {
  it('matches decimal receipt ids to hex submit ids', async () => {
    const h = await startSmsHarness({ smsc: { receiptIdFormat: 'decimal' }, route: { messageIdMatch: 'hex_decimal' } });
    try {
      const sent = await h.adapter.send(h.attempt(h.nextPhone()));
      await expectEventually(() => expect(h.sink.for(sent.providerMessageId as string)).toHaveLength(1));
    } finally {
      await h.close();
    }
  });

  it('matches hex receipt ids to decimal submit ids, the other way round', async () => {
    const h = await startSmsHarness({ smsc: { messageIdFormat: 'decimal', receiptIdFormat: 'hex' }, route: { messageIdMatch: 'decimal_hex' } });
    try {
      // The two forms of one id differ (`65536` is `10000`): a plain match would miss every receipt.
      const sent = [];
      for (let i = 0; i < 3; i++) sent.push(await h.adapter.send(h.attempt(h.nextPhone())));
      const ids = sent.map((r) => r.providerMessageId as string);
      expect(ids.every((id) => /^\d+$/.test(id) && Number(id).toString(16) !== id)).toBe(true);
      await expectEventually(() => expect(ids.filter((id) => h.sink.for(id).length !== 1)).toEqual([]));
    } finally {
      await h.close();
    }
  });
});
