import { NextFunction, Request, Response } from 'express';
import sjson from 'secure-json-parse';
import { DomainError } from '@tsunagu/core';

/**
 * JSON for /v1, parsed by us from the raw bytes: only application/json in UTF-8 (415 otherwise),
 * `__proto__` and `constructor.prototype` refused (no prototype pollution), and duplicate keys
 * take the last value (documented; JSON.parse's behaviour), the body limit already enforced.
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
  try {
    req.body = sjson.parse(raw.toString('utf8'), undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (err) {
    const pollution = /prototype|constructor/i.test((err as Error).message);
    return next(new DomainError('INVALID_JSON', pollution ? 'The body contains a forbidden __proto__ or constructor key.' : 'The body is not valid JSON.'));
  }
  next();
}
