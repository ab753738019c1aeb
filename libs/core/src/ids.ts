import { randomWindow } from './random-bytes';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID_RE.test(value);
}

/** The last millisecond an id was made for, and the counter within it (RFC 9562 §6.2, method 1). */
let lastMs = -1;
let counter = 0;

/**
 * UUIDv7: time-ordered, so new rows land at the right edge of the primary-key index instead of
 * scattering writes across it (the hot insert path is messages + attempts + events).
 * Within one millisecond of one process the 12 bits after the version count up from a random
 * start below 2048, so ids sort in the order they were made: a transaction's events (which share
 * `created_at`) read back in the order they happened. Past 2,048 ids in one millisecond, or with
 * a clock that stepped back, the order within that millisecond is random again, never a repeat:
 * 74 bits stay random.
 */
export function newId(now: number = Date.now()): string {
  const bytes = randomWindow(16);
  if (now === lastMs && counter < 0xfff) counter++;
  else {
    lastMs = now;
    counter = ((bytes[6] & 0x07) << 8) | bytes[7];
  }
  bytes[0] = (now / 2 ** 40) & 0xff;
  bytes[1] = (now / 2 ** 32) & 0xff;
  bytes[2] = (now >>> 24) & 0xff;
  bytes[3] = (now >>> 16) & 0xff;
  bytes[4] = (now >>> 8) & 0xff;
  bytes[5] = now & 0xff;
  bytes[6] = 0x70 | (counter >> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
