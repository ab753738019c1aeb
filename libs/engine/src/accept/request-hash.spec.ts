import { createHash } from 'node:crypto';
import { legacyRequestHash, requestHash } from './request-hash';

const base = { to: { phone: '+819012345678' }, category: 'transactional', text: 'hello' };

describe('requestHash', () => {
  it('is the same whatever the key order', () => {
    expect(requestHash({ text: 'hello', category: 'transactional', to: { phone: '+819012345678' } })).toBe(requestHash(base));
  });

  it('reads a null optional field, at the top or in `to`, as not given', () => {
    expect(requestHash({ ...base, sender: null, channels: null })).toBe(requestHash(base));
    expect(requestHash({ ...base, to: { phone: '+819012345678', lineUserId: null } })).toBe(requestHash(base));
    expect(requestHash({ ...base, sender: '0005123456' })).not.toBe(requestHash(base));
  });

  it("keeps a null in what the CRM or a provider owns: metadata's nulls are its data", () => {
    expect(requestHash({ ...base, metadata: { ref: null } })).not.toBe(requestHash({ ...base, metadata: {} }));
    expect(requestHash({ ...base, rcs: { card: null } })).not.toBe(requestHash({ ...base, rcs: {} }));
  });

  it('keeps the old hash for keys stored before: every null kept, keys sorted', () => {
    const body = { text: 'hello', sender: null, to: { phone: '+819012345678' } };
    const old = createHash('sha256').update('{"sender":null,"text":"hello","to":{"phone":"+819012345678"}}').digest('hex');
    expect(legacyRequestHash(body)).toBe(old);
    expect(requestHash(body)).not.toBe(old);
  });
});
