import { existsSync, readFileSync } from 'node:fs';

/**
 * What the e2e suite sent that must never reach a log line: every number `mobile()` made up, every
 * body posted through the harness, every API key it held. Each engine the harness starts logs at
 * info (production's level) to a file of its own under test-output/e2e-logs/, and closing the
 * engine fails if any of them is in it: the log scan runs over the whole e2e suite's output.
 */
const canaries = new Map<string, 'phone' | 'body' | 'key'>();

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

/** The canaries found in a log, as kind and line number only: the report must not leak them again. */
export function findCanaries(log: string, needles: ReadonlyMap<string, string> = canaries): string[] {
  const found: string[] = [];
  log.split('\n').forEach((line, i) => {
    const kinds = new Set<string>();
    for (const [needle, kind] of needles) if (line.includes(needle)) kinds.add(kind);
    for (const kind of kinds) found.push(`${kind} on line ${i + 1}`);
  });
  return found;
}

/** Throws, naming the file, what kind of canary and where, when an engine's log holds any. */
export function assertLogClean(file: string): void {
  if (!existsSync(file)) return;
  const found = findCanaries(readFileSync(file, 'utf8'));
  if (found.length) throw new Error(`personal data or a secret in the engine log ${file}: ${found.slice(0, 10).join(', ')}`);
}
