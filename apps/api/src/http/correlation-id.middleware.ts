import { randomUUID } from 'node:crypto';
import { NextFunction, Request, Response } from 'express';

const SAFE = /^[A-Za-z0-9._-]{1,64}$/;

/** Every response carries a correlation id; a sane one from the caller is kept. */
export function correlationId(req: Request, res: Response, next: NextFunction): void {
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && SAFE.test(incoming) ? incoming : randomUUID();
  (req as Request & { id: string }).id = id;
  res.setHeader('x-request-id', id);
  next();
}
