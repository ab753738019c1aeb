import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createDataSource } from '@tsunagu/database';
import { DataKeys, PhoneCipher } from '@tsunagu/security';
import { createTestDatabase, expectEventually, TestDatabase } from '@tsunagu/testing';
import { ESME } from './smpp/smpp.types';
import { startSmsHarness } from './testing/sms-test.harness';

const SHORT_CODE = '0005123456';

/** How deliver_sm bytes are read, over SMPP on TCP from the sandbox SMSC. */
describe('SMS inbound coding over TCP', () => {
  it('matches a data_coding 0 receipt whose message id holds `_` to its send: the text is read as ASCII, not GSM-7', async () => {
    // Ids like SMSC_01_00012AB3C4, and receipts with the Appendix B text alone (no TLV to fall back on).
    const h = await startSmsHarness({ smsc: { messageIdFormat: 'prefixed', receiptTlvs: false } });
    try {
      const phone = h.nextPhone();
      const sent = await h.adapter.send(h.attempt(phone, { text: 'Your order ships today' }));
      const [record] = h.smsc.control.submitsTo(phone);
      expect(record.messageId).toMatch(/^SMSC_01_[0-9A-F]{10}$/);
      expect(sent.providerMessageId).toBe(record.messageId.toLowerCase());
      const events = await expectEventually(() => {
        const e = h.sink.for(sent.providerMessageId as string);
        expect(e).toHaveLength(1);
        return e;
      });
      expect(events[0]).toMatchObject({ type: 'delivered', providerEventId: `${sent.providerMessageId}-delivrd` });
      expect(h.unparsed).toEqual([]);
      // Every part of a long message too: each part's receipt carries its own id.
      const long = await h.adapter.send(h.attempt(h.nextPhone(), { text: 'x'.repeat(200) }));
      expect(long.partIds).toHaveLength(2);
      await expectEventually(() => expect((long.partIds as string[]).map((id) => h.sink.for(id).map((e) => e.type))).toEqual([['delivered'], ['delivered']]));
      expect(h.smsc.control.responses().deliverResp).toEqual({ [ESME.ROK]: 3 });
    } finally {
      await h.close();
    }
  });

  describe('on a route whose SMSC hands replies over as packed GSM-7', () => {
    let db: TestDatabase;
    let ds: DataSource;
    const seal = new PhoneCipher(DataKeys.fromBase64(randomBytes(32).toString('base64')));

    beforeAll(async () => {
      db = await createTestDatabase('sms_packed');
      ds = await createDataSource(db.url).initialize();
    });
    afterAll(async () => {
      await ds?.destroy();
      await db?.drop();
    });

    it('joins packed parts, each read from the septet boundary after its UDH, and reads unpacked ones only where the route says so', async () => {
      const packed = await startSmsHarness({ route: { inboundGsm7: 'packed' }, adapter: { inboundPartsDb: ds, inboundPartsSeal: seal, concatTimeoutSeconds: 5 } });
      const parts = ['Hello @ £5, see you ', 'at the {station} ', 'tomorrow_10:00'];
      try {
        for (const form of ['udh8', 'udh16', 'sar'] as const) {
          const phone = packed.nextPhone();
          const { statuses } = await packed.smsc.control.injectConcatMo({ from: phone, to: SHORT_CODE, parts, form, ref: 0x41, packed: true, send: [2, 3, 1] });
          expect(statuses).toEqual([ESME.ROK, ESME.ROK, ESME.ROK]);
          await expectEventually(() =>
            expect(packed.sink.events.filter((e) => e.from?.phoneE164 === phone)).toEqual([expect.objectContaining({ type: 'inbound_message', text: parts.join(''), raw: { dataCoding: 0, parts: 3 } })]),
          );
        }
      } finally {
        await packed.close();
      }
      // The default route reads the same bytes as unpacked septets: not the text (and no crash).
      const plain = await startSmsHarness({ adapter: { inboundPartsDb: ds, inboundPartsSeal: seal, concatTimeoutSeconds: 5 } });
      try {
        const phone = plain.nextPhone();
        await plain.smsc.control.injectConcatMo({ from: phone, to: SHORT_CODE, parts, form: 'udh8', ref: 0x42, packed: true });
        const [reply] = await expectEventually(() => {
          const e = plain.sink.events.filter((x) => x.from?.phoneE164 === phone);
          expect(e).toHaveLength(1);
          return e;
        });
        expect(reply.text).not.toBe(parts.join(''));
      } finally {
        await plain.close();
      }
    });
  });
});
