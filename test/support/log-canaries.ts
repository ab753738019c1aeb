import { existsSync, readFileSync, statSync } from 'node:fs';

/**
 * What the e2e suite sent or configured that must never reach a log line: every number `mobile()`
 * made up, every body and LINE user id posted through the harness, every API key, callback secret,
 * staff password, console cookie and CSRF token that went through the engines it started, and
 * each engine's own secrets (data key, operations token, provider credentials, the RBM access
 * tokens the sandbox issued it). Each engine the
 * harness starts logs at info (production's level) to a file of its own under
 * test-output/e2e-logs/, and closing the engine fails if any of them is in it: the log scan runs
 * over the whole e2e suite's output.
 */
export type CanaryKind =
  | 'phone'
  | 'body'
  | 'key'
  | 'line-user-id'
  | 'staff-password'
  | 'console-session'
  | 'csrf-token'
  | 'callback-secret'
  | 'ops-token'
  | 'operator-token'
  | 'data-key'
  | 'line-channel-secret'
  | 'line-access-token'
  | 'rbm-private-key'
  | 'rbm-client-token'
  | 'rbm-access-token'
  | 'smpp-password'
  | 'channel-secret';

const canaries = new Map<string, CanaryKind>();

/**
 * A LINE user id is a person's identifier, wherever it came from (a webhook the harness never saw
 * included), so its shape is a canary too; a bot's own id (`destination`) is not a person.
 */
const LINE_USER_ID = /(?<![A-Za-z0-9])U[0-9a-f]{32}(?![0-9a-f])/g;
const botUserIds = new Set<string>();

/** Shorter values ("token", "ja") also occur in ordinary log text, so they cannot be canaries. */
const MIN_SECRET_LENGTH = 8;

/**
 * A number in every form a careless log line could carry: E.164, without its `+`, and national.
 * Only whole numbers: a bad input's "+8" would match every line.
 */
export function addPhoneCanary(e164: string): void {
  if (!/^\+\d{10,15}$/.test(e164)) return;
  canaries.set(e164, 'phone');
  canaries.set(e164.slice(1), 'phone');
  if (!e164.startsWith('+81')) return;
  const national = `0${e164.slice(3)}`;
  canaries.set(national, 'phone');
  // As people write a mobile number: 090-1234-5678.
  if (national.length === 11) canaries.set(`${national.slice(0, 3)}-${national.slice(3, 7)}-${national.slice(7)}`, 'phone');
}

/** Bodies under six characters ("hi", "OK") also occur in ordinary log text, so they are not canaries. */
export function addBodyCanary(text: unknown): void {
  if (typeof text === 'string' && text.length >= 6) canaries.set(text, 'body');
}

/** The whole token and its secret part (its last 43 characters). */
export function addKeyCanary(token: string): void {
  canaries.set(token, 'key');
  if (token.length > 43) canaries.set(token.slice(-43), 'key');
}

/**
 * Any other secret or identifier. A test that sets a secret the harness cannot see (a password
 * typed into a browser, a credential of its own) registers it here. Values under eight
 * characters are ignored: they would match ordinary text.
 */
export function addSecretCanary(kind: CanaryKind, value: unknown): void {
  if (typeof value === 'string' && value.length >= MIN_SECRET_LENGTH) canaries.set(value, kind);
}

/** A LINE bot's own user id: shaped like a person's, but allowed in logs. */
export function allowBotUserId(id: unknown): void {
  if (typeof id === 'string') botUserIds.add(id);
}

/**
 * The canaries found in a log, as kind and line number only: the report must not leak them again.
 * The default registry also flags anything shaped like a LINE user id that is not a bot's.
 */
export function findCanaries(log: string, needles: ReadonlyMap<string, string> = canaries): string[] {
  const found: string[] = [];
  const shapes = needles === canaries;
  log.split('\n').forEach((line, i) => {
    const kinds = new Set<string>();
    for (const [needle, kind] of needles) if (line.includes(needle)) kinds.add(kind);
    if (shapes && line.includes('U')) for (const [id] of line.matchAll(LINE_USER_ID)) if (!botUserIds.has(id)) kinds.add('line-user-id');
    for (const kind of kinds) found.push(`${kind} on line ${i + 1}`);
  });
  return found;
}

/**
 * Throws, naming the file, what kind of canary and where, when an engine's log holds any.
 * A missing or empty log fails too: it proves nothing, and usually means the logs went somewhere
 * else. `mayBeEmpty` says why this engine may legitimately have written nothing (a level above
 * info writes only on trouble); whatever it did write is still scanned.
 */
export function assertLogClean(file: string, opts: { mayBeEmpty?: string } = {}): void {
  const size = existsSync(file) ? statSync(file).size : -1;
  if (size <= 0) {
    if (opts.mayBeEmpty) return;
    throw new Error(`the engine log ${file} is ${size < 0 ? 'missing' : 'empty'}: the scan for personal data and secrets had nothing to read`);
  }
  const found = findCanaries(readFileSync(file, 'utf8'));
  if (found.length) {
    const more = found.length > 10 ? ` and ${found.length - 10} more` : '';
    throw new Error(`personal data or a secret in the engine log ${file}: ${found.slice(0, 10).join(', ')}${more}`);
  }
}
