import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import express, { NextFunction, Request, Response, Router } from 'express';
import { resolveLang } from '../i18n/i18n';

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

/** A year, the console's host and any below it; not `preload`, which only the domain's owner may ask for. */
const HSTS = 'max-age=31536000; includeSubDomains';

export interface ConsoleHttpOptions {
  /** The console's public URL (`config.publicUrl`): when it is https, every answer asks for https. */
  publicUrl?: string;
}

/**
 * Strict-Transport-Security when the console is https: its public URL says so, or this request
 * came over TLS. `req.secure` believes X-Forwarded-Proto only from a proxy `trust proxy` names, so
 * a client on plain http cannot switch it on; browsers ignore the header over http anyway.
 */
export function strictTransport(secure: boolean, publicUrl: string | undefined): string | null {
  return secure || (publicUrl ?? '').startsWith('https://') ? HSTS : null;
}

function securityHeaders(opts: ConsoleHttpOptions) {
  return (req: Request, res: Response, next: NextFunction): void => {
    res.setHeader('Content-Security-Policy', CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cache-Control', 'no-store');
    const hsts = strictTransport(req.secure, opts.publicUrl);
    if (hsts) res.setHeader('Strict-Transport-Security', hsts);
    next();
  };
}

/** The console's largest form (a key's networks) is far below both. */
export const FORM_LIMITS = { bytes: 16 * 1024, fields: 50 } as const;

const urlencoded = express.urlencoded({ extended: false, limit: FORM_LIMITS.bytes, parameterLimit: FORM_LIMITS.fields });

const FORM_REFUSALS = {
  tooLarge: {
    ja: `フォームが大きすぎます（${FORM_LIMITS.bytes / 1024} kB、${FORM_LIMITS.fields} 項目まで）。何も変更されていません。`,
    en: `This form is too large (at most ${FORM_LIMITS.bytes / 1024} kB and ${FORM_LIMITS.fields} fields). Nothing was changed.`,
  },
  malformed: { ja: 'フォームの形式が正しくありません。何も変更されていません。', en: 'This form could not be read. Nothing was changed.' },
};

/**
 * Forms only, small, refused before any route runs: too many bytes or too many fields is 413,
 * a malformed body 400, each a plain sentence (never an error page with a stack).
 */
function formBody(req: Request, res: Response, next: NextFunction): void {
  urlencoded(req, res, (err?: unknown) => {
    if (!err) return next();
    const type = (err as { type?: string }).type;
    const tooLarge = type === 'entity.too.large' || type === 'parameters.too.many';
    res
      .status(tooLarge ? 413 : 400)
      .type('text')
      .send(FORM_REFUSALS[tooLarge ? 'tooLarge' : 'malformed'][resolveLang(req)]);
  });
}

/**
 * Mounted by the api on `/console` only: security headers on every console response, form
 * parsing (the api parses no bodies globally), and the static assets under `/console/assets`.
 */
export function consoleHttp(opts: ConsoleHttpOptions = {}): Router {
  const router = express.Router();
  router.use(securityHeaders(opts), formBody);
  router.use('/assets', express.static(publicDir(), { index: false, fallthrough: true, maxAge: '1h', dotfiles: 'deny' }));
  return router;
}
