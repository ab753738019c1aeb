import { NextFunction, Request, Response } from 'express';
import sjson from 'secure-json-parse';
import { DomainError } from '@tsunagu/core';

/**
 * Far deeper than any LINE flex message or RCS card. Past it, the code that walks a body
 * recursively (the idempotency hash, validation) runs out of stack: a 60 KB body of `{"a":`
 * was a 500.
 */
export const JSON_MAX_DEPTH = 128;

// Fatal: bytes that are not UTF-8 (a Shift_JIS body sent without its charset) are refused, not
// turned into U+FFFD and sent to the person as 「���」.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Whether objects and arrays nest deeper than `max`, counted on the bytes, outside strings. */
export function nestsDeeperThan(raw: Buffer, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i];
    if (inString) {
      if (b === 0x5c) i++; // `\`: the next byte is escaped, whatever it is
      else if (b === 0x22) inString = false;
    } else if (b === 0x22) inString = true;
    else if (b === 0x7b || b === 0x5b) {
      if (++depth > max) return true;
    } else if (b === 0x7d || b === 0x5d) depth--;
  }
  return false;
}

/**
 * JSON for /v1, parsed by us from the raw bytes: only application/json in UTF-8 (415 otherwise;
 * 400 for bytes that are not UTF-8), nesting bounded, `__proto__` and `constructor.prototype`
 * refused (no prototype pollution), and duplicate keys take the last value (documented;
 * JSON.parse's behaviour), the body limit already enforced.
 */
export function jsonBody(req: Request, _res: Response, next: NextFunction): void {
  const raw = req.body as unknown;
  if (!Buffer.isBuffer(raw) || raw.length === 0) {
    if (['POST', 'PUT', 'PATCH'].includes(req.method) && req.headers['content-length'] && req.headers['content-length'] !== '0') {
      return next(new DomainError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json; charset=utf-8.'));
    }
    req.body = undefined;
    return next();
  }
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  const [mime, ...params] = type.split(';').map((s) => s.trim());
  const charset = params.find((p) => p.startsWith('charset='))?.slice(8).replace(/"/g, '');
  if (mime !== 'application/json' || (charset && charset !== 'utf-8' && charset !== 'utf8')) {
    return next(new DomainError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json; charset=utf-8.'));
  }
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    return next(new DomainError('INVALID_JSON', 'The body is not valid UTF-8; send JSON encoded as UTF-8.'));
  }
  if (nestsDeeperThan(raw, JSON_MAX_DEPTH)) {
    return next(new DomainError('INVALID_JSON', `The body nests objects and arrays deeper than ${JSON_MAX_DEPTH} levels.`));
  }
  try {
    req.body = sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (err) {
    const pollution = /prototype|constructor/i.test((err as Error).message);
    return next(new DomainError('INVALID_JSON', pollution ? 'The body contains a forbidden __proto__ or constructor key.' : 'The body is not valid JSON.'));
  }
  next();
}
