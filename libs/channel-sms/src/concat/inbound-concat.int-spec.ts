import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ChannelEvent } from '@tsunagu/core';
import { createDataSource } from '@tsunagu/database';
import { DataKeys, PhoneCipher } from '@tsunagu/security';
import { createTestDatabase, expectEventually, TestDatabase } from '@tsunagu/testing';
import { ESME } from '../smpp/smpp.types';
import { SmsHarness, startSmsHarness } from '../testing/sms-test.harness';

const SHORT_CODE = '0005123456';

/** Long replies over SMPP on TCP from the sandbox SMSC, their parts held in a real PostgreSQL. */
describe('long SMS replies joined from their parts', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let h: SmsHarness;
  // The engine's cipher, on a key of this run: the sender's number is sealed in the parts table.
  const seal = new PhoneCipher(DataKeys.fromBase64(randomBytes(32).toString('base64')));
  const start = (extra: Record<string, unknown> = {}) => startSmsHarness({ adapter: { inboundPartsDb: ds, inboundPartsSeal: seal, concatTimeoutSeconds: 1, ...extra } });
  const repliesFrom = (harness: SmsHarness, phone: string): ChannelEvent[] =>
    harness.sink.events.filter((e) => e.type === 'inbound_message' && e.from?.phoneE164 === phone);

  beforeAll(async () => {
    db = await createTestDatabase('sms_concat');
    ds = await createDataSource(db.url).initialize();
    h = await start();
  });
  afterAll(async () => {
    await h?.close();
    await ds?.destroy();
    await db?.drop();
  });

  it('joins UDH parts offered out of order, a part offered twice, into one reply', async () => {
    const phone = h.nextPhone();
    const parts = ['お問い合わせの件、', '明日の午後に', '伺います🙂'];
    const { statuses } = await h.smsc.control.injectConcatMo({ from: phone, to: SHORT_CODE, parts, form: 'udh8', ref: 0x2a, send: [3, 1, 3, 2] });
    expect(statuses).toEqual([ESME.ROK, ESME.ROK, ESME.ROK, ESME.ROK]);
    await expectEventually(() => expect(repliesFrom(h, phone)).toMatchObject([{ text: parts.join(''), recipient: SHORT_CODE, contentType: 'text' }]));
    expect(repliesFrom(h, phone)[0].raw).not.toHaveProperty('incomplete');
    // The SMSC offers a part again after the join (its resp was lost): still one reply.
    await h.smsc.control.injectConcatMo({ from: phone, to: SHORT_CODE, parts, form: 'udh8', ref: 0x2a, send: [2] });
    const rows = await ds.query(`SELECT * FROM sms_inbound_parts WHERE source_key = $1`, [seal.keyOf('sms-inbound-part', phone.slice(1))]);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.filter((r: { done_at: Date | null }) => r.done_at === null)).toEqual([]); // known as a repeat, not held as the start of a new reply
    expect(repliesFrom(h, phone)).toHaveLength(1);
    // The sender's number is personal data: nowhere in the rows in the clear, sealed or not.
    // The sealed column is read as bytes (a sealed value holds any byte, NUL among them, so it
    // cannot be read as text in SQL) and searched as Latin-1, where each byte is one character.
    const asText = (v: unknown): unknown => (Buffer.isBuffer(v) ? v.toString('latin1') : v);
    const readable = rows.map((r: Record<string, unknown>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, asText(v)])));
    expect(rows.some((r: { source_enc: unknown }) => Buffer.isBuffer(r.source_enc) && r.source_enc.length > 0)).toBe(true);
    expect(JSON.stringify(readable)).not.toContain(phone.slice(3));
  });

  it('joins SAR parts and GSM-7 16-bit-reference parts, and judges a stop word on the whole text', async () => {
    const phone = h.nextPhone();
    await h.smsc.control.injectConcatMo({ from: phone, to: SHORT_CODE, parts: ['配信', '停止'], form: 'sar', ref: 0x1234 });
    await expectEventually(() => expect(h.sink.events.filter((e) => e.from?.phoneE164 === phone).map((e) => e.type)).toEqual(['inbound_message', 'opt_out']));

    const other = h.nextPhone();
    await h.smsc.control.injectConcatMo({ from: other, to: SHORT_CODE, parts: ['Hello @ £5, ', 'see you {soon}'], form: 'udh16', ref: 0xbeef, dataCoding: 0, send: [2, 1] });
    await expectEventually(() => expect(repliesFrom(h, other)).toMatchObject([{ text: 'Hello @ £5, see you {soon}' }]));
  });

  it('hands on a reply whose missing part never came, as the parts that did, marked incomplete', async () => {
    const phone = h.nextPhone();
    const { statuses } = await h.smsc.control.injectConcatMo({ from: phone, to: SHORT_CODE, parts: ['one ', 'two ', 'three'], form: 'udh8', ref: 7, send: [3, 1] });
    expect(statuses).toEqual([ESME.ROK, ESME.ROK]);
    expect(repliesFrom(h, phone)).toEqual([]); // held, not handed on part by part
    await expectEventually(() => expect(repliesFrom(h, phone)).toMatchObject([{ text: 'one three', raw: { incomplete: true, partsReceived: 2, parts: 3 } }]), { timeoutMs: 5000 });
  });

  it('keeps parts across a restart and joins parts taken by different workers', async () => {
    const phone = h.nextPhone();
    const parts = ['worker one took this, ', 'worker two took this'];
    await h.smsc.control.injectConcatMo({ from: phone, to: SHORT_CODE, parts, form: 'udh8', ref: 99, send: [1] });
    const other = await start({ concatTimeoutSeconds: 30 });
    try {
      await h.close(); // the first worker goes away holding part 1
      h = await start();
      await other.smsc.control.injectConcatMo({ from: phone, to: SHORT_CODE, parts, form: 'udh8', ref: 99, send: [2] });
      await expectEventually(() => expect(repliesFrom(other, phone)).toMatchObject([{ text: parts.join('') }]));
      expect(repliesFrom(h, phone)).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('answers ESME_RX_T_APPN while the engine refuses the joined reply, and joins it once when offered again', async () => {
    const phone = h.nextPhone();
    const parts = ['first half, ', 'second half'];
    await h.smsc.control.injectConcatMo({ from: phone, to: SHORT_CODE, parts, form: 'udh8', ref: 3, send: [1] });
    h.sink.failures = 1;
    expect((await h.smsc.control.injectConcatMo({ from: phone, to: SHORT_CODE, parts, form: 'udh8', ref: 3, send: [2] })).statuses).toEqual([ESME.RX_T_APPN]);
    expect(repliesFrom(h, phone)).toEqual([]);
    expect((await h.smsc.control.injectConcatMo({ from: phone, to: SHORT_CODE, parts, form: 'udh8', ref: 3, send: [2] })).statuses).toEqual([ESME.ROK]);
    await expectEventually(() => expect(repliesFrom(h, phone)).toMatchObject([{ text: parts.join('') }]));
  });

  it('answers ESME_RX_T_APPN when the part cannot be stored', async () => {
    const away = await createDataSource(db.url).initialize();
    await away.destroy(); // a pool that can no longer reach PostgreSQL
    const cut = await startSmsHarness({ adapter: { inboundPartsDb: away, inboundPartsSeal: seal, concatTimeoutSeconds: 1 } });
    try {
      const phone = cut.nextPhone();
      const { statuses } = await cut.smsc.control.injectConcatMo({ from: phone, to: SHORT_CODE, parts: ['a', 'b'], form: 'udh8', ref: 1, send: [1] });
      expect(statuses).toEqual([ESME.RX_T_APPN]);
      expect(cut.sink.events).toEqual([]);
    } finally {
      await cut.close();
    }
  });
});
