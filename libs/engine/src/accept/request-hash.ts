import { createHash } from 'node:crypto';

/** Key order must not matter: `{a,b}` and `{b,a}` are the same request. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

function digest(body: unknown): string {
  return createHash('sha256').update(JSON.stringify(canonical(body))).digest('hex');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The object without its null-valued keys. */
function withoutNulls(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null));
}

/**
 * The request's own optional fields may be null, meaning "not given" (the API's schema says so),
 * so `{"sender": null}` is the same request as one without `sender`: a CRM whose retry serialises
 * an unset field differently must get its first answer back, not a key-reuse error. Only the
 * request's own fields and `to` are read so; what the CRM or a provider owns (`metadata`, `rcs`,
 * `line`) is hashed as sent, where a null is data.
 */
export function requestHash(body: unknown): string {
  if (!isRecord(body)) return digest(body);
  const own = withoutNulls(body);
  if (isRecord(own.to)) own.to = withoutNulls(own.to);
  return digest(own);
}

/**
 * The hash as it was made before nulls meant "not given" (every null kept): idempotency keys
 * stored then hold it, so a replay within their lifetime still matches.
 */
export function legacyRequestHash(body: unknown): string {
  return digest(body);
}
