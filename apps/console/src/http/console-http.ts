import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import express, { NextFunction, Request, Response, Router } from 'express';

/** The console's own static files: found beside the sources, or from the compiled tree back to them. */
export function publicDir(): string {
  const candidates = [resolve(__dirname, '..', '..', 'public'), resolve(__dirname, '..', '..', '..', '..', '..', 'apps', 'console', 'public')];
  return candidates.find((dir) => existsSync(join(dir, 'console.css'))) ?? candidates[0];
}

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Content-Security-Policy', CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cache-Control', 'no-store');
  next();
}

const urlencoded = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 50 });

/** Forms only, small; a body too large or malformed is a plain 413/400, not an error page with a stack. */
function formBody(req: Request, res: Response, next: NextFunction): void {
  urlencoded(req, res, (err?: unknown) => {
    if (!err) return next();
    const status = (err as { type?: string }).type === 'entity.too.large' ? 413 : 400;
    res.status(status).type('text').send(status === 413 ? 'Request body too large.' : 'Malformed form body.');
  });
}

/**
 * Mounted by the api on `/console` only: security headers on every console response, form
 * parsing (the api parses no bodies globally), and the static assets under `/console/assets`.
 */
export function consoleHttp(): Router {
  const router = express.Router();
  router.use(securityHeaders, formBody);
  router.use('/assets', express.static(publicDir(), { index: false, fallthrough: true, maxAge: '1h', dotfiles: 'deny' }));
  return router;
}
