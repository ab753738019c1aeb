import { createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { DataKeys, PhoneCipher } from './phone.cipher';
import { parsePhone } from './phone.parser';

const MASTER = Buffer.alloc(32, 7);
const MASTER_B64 = MASTER.toString('base64');

describe('DataKeys.fromBase64', () => {
  it('accepts 32 bytes in standard or URL-safe base64', () => {
    expect(DataKeys.fromBase64(MASTER_B64)).toBeInstanceOf(DataKeys);
    const key = randomBytes(32);
    const a = new PhoneCipher(DataKeys.fromBase64(key.toString('base64')));
    const b = new PhoneCipher(DataKeys.fromBase64(key.toString('base64url')));
    expect(a.blindIndex('t', '+819012345678')).toBe(b.blindIndex('t', '+819012345678'));
  });

  it.each([
    ['', 'empty'],
    [Buffer.alloc(16, 1).toString('base64'), '16 bytes'],
    [Buffer.alloc(33, 1).toString('base64'), '33 bytes'],
    ['not base64 at all!!', 'junk'],
    ['x'.repeat(44), 'right length, wrong bytes'],
  ])('refuses %j (%s), naming the variable but never the value', (value) => {
    let message = '';
    try {
      DataKeys.fromBase64(value);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('TSUNAGU_DATA_KEY');
    if (value.length > 0) expect(message).not.toContain(value);
  });

  it('does not expose key material when logged or serialised', () => {
    const keys = DataKeys.fromBase64(MASTER_B64);
    const cipher = new PhoneCipher(keys);
    const rendered = [inspect(keys, { showHidden: true }), JSON.stringify({ keys, cipher }), inspect(cipher), String(Object.keys(cipher))];
    const encKey = Buffer.from(hkdfSync('sha256', MASTER, Buffer.alloc(0), 'tsunagu/phone-encryption/v1', 32));
    for (const text of rendered) {
      expect(text).not.toContain(MASTER_B64);
      expect(text).not.toContain(encKey.toString('hex'));
      expect(text).not.toMatch(/[0-9a-f]{32}/);
    }
  });
});

describe('PhoneCipher', () => {
  const cipher = new PhoneCipher(DataKeys.fromBase64(MASTER_B64));

  it('round-trips, with a fresh IV every time', () => {
    const a = cipher.encrypt('+819012345678');
    const b = cipher.encrypt('+819012345678');
    expect(a.equals(b)).toBe(false);
    expect(a[0]).toBe(1); // version byte
    expect(a.length).toBe(1 + 12 + 16 + '+819012345678'.length);
    expect(cipher.decrypt(a)).toBe('+819012345678');
    expect(cipher.decrypt(b)).toBe('+819012345678');
    expect(a.includes(Buffer.from('9012345678'))).toBe(false);
  });

  it('uses the HKDF-derived key the format promises (interoperable with other readers)', () => {
    const blob = cipher.encrypt('+819012345678');
    const key = Buffer.from(hkdfSync('sha256', MASTER, Buffer.alloc(0), 'tsunagu/phone-encryption/v1', 32));
    const decipher = createDecipheriv('aes-256-gcm', key, blob.subarray(1, 13));
    decipher.setAuthTag(blob.subarray(13, 29));
    const plain = Buffer.concat([decipher.update(blob.subarray(29)), decipher.final()]).toString('utf8');
    expect(plain).toBe('+819012345678');
  });

  it('refuses any tampering: version, IV, tag, ciphertext, truncation', () => {
    const blob = cipher.encrypt('+819012345678');
    for (const index of [0, 1, 12, 13, 28, 29, blob.length - 1]) {
      const bad = Buffer.from(blob);
      bad[index] ^= 0x01;
      expect(() => cipher.decrypt(bad)).toThrow(/ciphertext/);
    }
    expect(() => cipher.decrypt(blob.subarray(0, 28))).toThrow(/malformed/);
    expect(() => cipher.decrypt(Buffer.alloc(0))).toThrow(/malformed/);
    expect(() => cipher.decrypt(Buffer.concat([blob, Buffer.from([0])]))).toThrow(/authentication/);
  });

  it('refuses a blob made under another master key', () => {
    const other = new PhoneCipher(DataKeys.fromBase64(randomBytes(32).toString('base64')));
    expect(() => cipher.decrypt(other.encrypt('+819012345678'))).toThrow(/authentication/);
  });

  it('keeps phone and secret ciphertexts apart (distinct sub-keys)', () => {
    const secretBlob = cipher.encryptSecret('whsec_abc');
    expect(cipher.decryptSecret(secretBlob)).toBe('whsec_abc');
    expect(() => cipher.decrypt(secretBlob)).toThrow(/authentication/);
    expect(() => cipher.decryptSecret(cipher.encrypt('+819012345678'))).toThrow(/authentication/);
  });

  describe('blindIndex', () => {
    it('row 1: every written form of one number gives one index', () => {
      const forms = ['+81 90-1234-5678', '09012345678', '+8109012345678', '０９０１２３４５６７８'];
      const indexes = new Set(forms.map((raw) => cipher.blindIndex('tenant-a', parsePhone(raw).e164)));
      expect(indexes.size).toBe(1);
    });

    it('is HMAC-SHA256 of tenantId \\n e164 under the blind-index sub-key', () => {
      const key = Buffer.from(hkdfSync('sha256', MASTER, Buffer.alloc(0), 'tsunagu/blind-index/v1', 32));
      const expected = createHmac('sha256', key).update('tenant-a\n+819012345678').digest('hex');
      expect(cipher.blindIndex('tenant-a', '+819012345678')).toBe(expected);
      expect(expected).toMatch(/^[0-9a-f]{64}$/);
    });

    it('differs per tenant and per key, and is not a plain hash', () => {
      const a = cipher.blindIndex('tenant-a', '+819012345678');
      expect(cipher.blindIndex('tenant-b', '+819012345678')).not.toBe(a);
      const other = new PhoneCipher(DataKeys.fromBase64(randomBytes(32).toString('base64')));
      expect(other.blindIndex('tenant-a', '+819012345678')).not.toBe(a);
      expect(a).not.toBe(createHash('sha256').update('tenant-a\n+819012345678').digest('hex'));
    });

    it('refuses non-canonical numbers and ambiguous tenant ids', () => {
      expect(() => cipher.blindIndex('t', '09012345678')).toThrow(/E\.164/);
      expect(() => cipher.blindIndex('t', '+81 90 1234 5678')).toThrow(/E\.164/);
      expect(() => cipher.blindIndex('', '+819012345678')).toThrow(/tenant/);
      expect(() => cipher.blindIndex('a\nb', '+819012345678')).toThrow(/tenant/);
    });
  });
});
