import { createCipheriv, createDecipheriv, createHmac, hkdfSync } from 'node:crypto';
import { randomWindow } from '@tsunagu/core';
import { inspect } from 'node:util';

const KEY_ENV = 'TSUNAGU_DATA_KEY';
const KEY_BYTES = 32;
const INFO = {
  encryption: 'tsunagu/phone-encryption/v1',
  blindIndex: 'tsunagu/blind-index/v1',
  secret: 'tsunagu/secret-encryption/v1',
} as const;

interface SubKeys {
  encryption: Buffer;
  blindIndex: Buffer;
  secret: Buffer;
}

/**
 * Sub-keys live in a module-private map rather than on the instance, so no `console.log`,
 * `JSON.stringify` or error serialiser that reaches a DataKeys can print key material.
 */
const subKeys = new WeakMap<DataKeys, SubKeys>();

/**
 * The sub-keys derived from the one master data key (TSUNAGU_DATA_KEY). One key per purpose:
 * the blind index key must not be the encryption key, and a leaked webhook-secret ciphertext must
 * not help against phone ciphertexts. HKDF-SHA256 with a distinct `info` per purpose gives
 * independent keys from one configured secret.
 */
export class DataKeys {
  private constructor(master: Buffer) {
    const derive = (info: string): Buffer =>
      Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), info, KEY_BYTES));
    subKeys.set(this, {
      encryption: derive(INFO.encryption),
      blindIndex: derive(INFO.blindIndex),
      secret: derive(INFO.secret),
    });
  }

  /** Accepts standard or URL-safe base64 of exactly 32 bytes (`openssl rand -base64 32`). */
  static fromBase64(b64: string): DataKeys {
    const text = typeof b64 === 'string' ? b64.trim() : '';
    const wellFormed = /^[A-Za-z0-9+/_-]+={0,2}$/.test(text);
    const bytes = wellFormed ? Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64') : null;
    if (!bytes || bytes.length !== KEY_BYTES) {
      // Say what is wrong and how to fix it, never what the value was.
      throw new Error(
        `${KEY_ENV} must be ${KEY_BYTES} random bytes encoded as base64 ` +
          `(generate one with: openssl rand -base64 32).`,
      );
    }
    return new DataKeys(bytes);
  }

  toJSON(): string {
    return '[DataKeys]';
  }

  [inspect.custom](): string {
    return '[DataKeys]';
  }
}

function keysOf(keys: DataKeys): SubKeys {
  const found = subKeys.get(keys);
  if (!found) throw new Error('DataKeys must be created with DataKeys.fromBase64().');
  return found;
}

/** Blob layout: version (1) | IV (12) | GCM tag (16) | ciphertext. */
const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + IV_BYTES + TAG_BYTES;

function seal(key: Buffer, plain: string): Buffer {
  // Random per message (GCM must never reuse an IV under a key), from the pooled CSPRNG.
  const iv = randomWindow(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
}

function open(key: Buffer, blob: Buffer, what: string): string {
  if (!Buffer.isBuffer(blob) || blob.length < HEADER_BYTES) {
    throw new Error(`The ${what} ciphertext is malformed.`);
  }
  if (blob[0] !== VERSION) throw new Error(`The ${what} ciphertext has unknown version ${blob[0]}.`);
  const iv = blob.subarray(1, 1 + IV_BYTES);
  const tag = blob.subarray(1 + IV_BYTES, HEADER_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(blob.subarray(HEADER_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    // Node's message ("Unsupported state or unable to authenticate data") says nothing useful.
    throw new Error(`The ${what} ciphertext failed authentication (tampered, or a different key).`);
  }
}

const E164 = /^\+[1-9][0-9]{6,14}$/;

/**
 * Phone numbers at rest: AES-256-GCM ciphertext to read them back, plus a keyed blind index to
 * find a contact by number without decrypting every row.
 */
export class PhoneCipher {
  private readonly keys: SubKeys;

  constructor(keys: DataKeys) {
    this.keys = keysOf(keys);
    // Keep the sub-keys off enumerable properties, like DataKeys does.
    Object.defineProperty(this, 'keys', { enumerable: false });
  }

  encrypt(plain: string): Buffer {
    return seal(this.keys.encryption, plain);
  }

  decrypt(blob: Buffer): string {
    return open(this.keys.encryption, blob, 'phone');
  }

  /**
   * HMAC-SHA256(blind key, tenantId + '\n' + e164), hex. Keyed, so a stolen table cannot be
   * reversed by hashing every Japanese mobile number (there are only ~10^9); per tenant, so the
   * same person in two tenants cannot be linked. Only canonical E.164 is accepted: indexing an
   * unnormalised form would silently create a second contact that no lookup finds.
   */
  blindIndex(tenantId: string, e164: string): string {
    if (typeof tenantId !== 'string' || tenantId.length === 0 || tenantId.includes('\n')) {
      throw new Error('blindIndex needs a non-empty tenant id without line breaks.');
    }
    if (typeof e164 !== 'string' || !E164.test(e164)) {
      throw new Error('blindIndex needs a canonical E.164 number (use parsePhone first).');
    }
    return createHmac('sha256', this.keys.blindIndex).update(`${tenantId}\n${e164}`, 'utf8').digest('hex');
  }

  /**
   * HMAC-SHA256(blind key, purpose + '\n' + value), hex: to find a row by a number (or any
   * address) stored only sealed, where `blindIndex`'s tenant and E.164 rules do not fit (an
   * SMSC's source address before any tenant is known). The purpose keeps each use's digests apart.
   */
  keyOf(purpose: string, value: string): string {
    return createHmac('sha256', this.keys.blindIndex).update(`${purpose}\n${value}`, 'utf8').digest('hex');
  }

  /** Other secrets stored in the database (tenant callback secrets), under their own sub-key. */
  encryptSecret(plain: string): Buffer {
    return seal(this.keys.secret, plain);
  }

  decryptSecret(blob: Buffer): string {
    return open(this.keys.secret, blob, 'secret');
  }

  toJSON(): string {
    return '[PhoneCipher]';
  }

  [inspect.custom](): string {
    return '[PhoneCipher]';
  }
}
