import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { ErasedPerson } from '@tsunagu/channels';
import { createDataSource } from '@tsunagu/database';
import { DataKeys, PhoneCipher } from '@tsunagu/security';
import { createTestDatabase, expectEventually, TestDatabase } from '@tsunagu/testing';
import { ESME } from '../smpp/smpp.types';
import { SmsHarness, startSmsHarness } from '../testing/sms-test.harness';

const OURS = '0005123456';
const THEIRS = '0005999999';

/** Erasure on request reaching the parts of long replies waiting in PostgreSQL, sent over SMPP on TCP. */
describe('erasing a person from the waiting parts of long SMS replies', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let h: SmsHarness;
  const seal = new PhoneCipher(DataKeys.fromBase64(randomBytes(32).toString('base64')));
  /** Rows under any of these source addresses, to `to`: waiting or tombstones. */
  const rows = async (addrs: string[], to: string) =>
    (await ds.query(`SELECT count(*)::int AS n FROM sms_inbound_parts WHERE source_key = ANY($1) AND destination_addr = $2`, [addrs.map((a) => seal.keyOf('sms-inbound-part', a)), to]))[0].n as number;

  beforeAll(async () => {
    db = await createTestDatabase('sms_parts_erasure');
    ds = await createDataSource(db.url).initialize();
    // A window long enough that nothing is joined as incomplete, or purged, while the test looks.
    h = await startSmsHarness({ adapter: { inboundPartsDb: ds, inboundPartsSeal: seal, concatTimeoutSeconds: 600 } });
  });
  afterAll(async () => {
    await h?.close();
    await ds?.destroy();
    await db?.drop();
  });

  it('removes every part from the number, as the SMSC wrote it, to the tenant\'s addresses, on the erasure\'s transaction; others\' stay', async () => {
    const phone = h.nextPhone(); // +8190…
    const national = `0${phone.slice(3)}`;
    const other = h.nextPhone();
    const offer = async (p: Promise<{ statuses: number[] } | { status: number }>) => {
      const r = await p;
      expect('statuses' in r ? r.statuses : [r.status]).toEqual(expect.arrayContaining([ESME.ROK]));
    };
    // Waiting: one part with the number in international form (TON 1), one in national form (a Japanese SMSC's).
    await offer(h.smsc.control.injectConcatMo({ from: phone, to: OURS, parts: ['お問い合わせの', '件です'], form: 'udh8', ref: 1, send: [1] }));
    await offer(h.smsc.control.injectDeliver({ source_addr_ton: 2, source_addr: national, destination_addr: OURS, esm_class: 0x40, data_coding: 8, short_message: { udh: Buffer.from([5, 0, 3, 2, 2, 1]), message: '明日' } }));
    // Joined already: its rows stay as tombstones (the sealed number in them) for the window.
    await offer(h.smsc.control.injectConcatMo({ from: phone, to: OURS, parts: ['了解', 'です'], form: 'udh8', ref: 3 }));
    await expectEventually(() => expect(h.sink.events.filter((e) => e.from?.phoneE164 === phone)).toHaveLength(1));
    // Not this tenant's to erase: the same person to another organisation's address, another person to ours.
    await offer(h.smsc.control.injectConcatMo({ from: phone, to: THEIRS, parts: ['a', 'b'], form: 'udh8', ref: 4, send: [1] }));
    await offer(h.smsc.control.injectConcatMo({ from: other, to: OURS, parts: ['a', 'b'], form: 'udh8', ref: 5, send: [1] }));
    const forms = [phone.slice(1), national];
    expect(await rows(forms, OURS)).toBe(4);

    const person: ErasedPerson = { tenantId: randomUUID(), contactId: randomUUID(), phoneE164: phone, lineUserId: null, inboundAddresses: [OURS, '0005000001'] };
    // An erasure that fails later rolls back: the parts are still there.
    await expect(
      ds.transaction(async (m) => {
        expect(await h.adapter.erasePerson(person, m)).toBe(4);
        throw new Error('the erasure failed after the parts');
      }),
    ).rejects.toThrow('the erasure failed');
    expect(await rows(forms, OURS)).toBe(4);

    expect(await ds.transaction((m) => h.adapter.erasePerson(person, m))).toBe(4);
    expect(await rows(forms, OURS)).toBe(0);
    expect(await rows(forms, THEIRS)).toBe(1);
    expect(await rows([other.slice(1)], OURS)).toBe(1);
    // Opened row by row: what is left of the number is the part to the other organisation.
    const left = (await ds.query(`SELECT destination_addr, source_enc FROM sms_inbound_parts`)) as { destination_addr: string; source_enc: Buffer }[];
    expect(left.filter((r) => forms.includes(seal.decrypt(Buffer.from(r.source_enc)))).map((r) => r.destination_addr)).toEqual([THEIRS]);
    // A person with no number (erased before, LINE only) or no addresses: nothing to do.
    expect(await ds.transaction((m) => h.adapter.erasePerson({ ...person, phoneE164: null }, m))).toBe(0);
    expect(await ds.transaction((m) => h.adapter.erasePerson({ ...person, phoneE164: other, inboundAddresses: [] }, m))).toBe(0);
    expect(await rows([other.slice(1)], OURS)).toBe(1);
  });
});
