import { Request, Response } from 'express';
import { StaffEntity, StaffRole, StaffSessionEntity } from '@tsunagu/database';
import { I18n, parseCookies, resolveLang } from '../i18n/i18n';
import { safePath } from '../views/html';

export const SESSION_COOKIE = 'tsunagu_session';
export const LOGIN_CSRF_COOKIE = 'tsunagu_login_csrf';

export interface ConsoleRequest extends Request {
  staff?: StaffEntity;
  staffSession?: StaffSessionEntity;
  i18nCtx?: I18n;
}

/** What every page needs to render: words, the signed-in staff member and the CSRF token. */
export interface PageContext {
  i18n: I18n;
  staff: StaffEntity | null;
  csrf: string | null;
  /** The current path (no query), for the navigation's current page. */
  path: string;
  /** The page in the other language: this page's address with its query kept, `lang` replaced. */
  langHref: (lang: string) => string;
}

/**
 * `view`: the page a form's answer shows, when the form's own address has no page of its own
 * (a reveal answered at `…/reveal`): the language switch leads there, as a GET of the form's
 * address would be a 404. A GET page keeps its query (`?before=` of an older page) across the switch.
 */
export function pageContext(req: ConsoleRequest, res: Response, view?: string): PageContext {
  req.i18nCtx ??= new I18n(resolveLang(req, res));
  const [own, query = ''] = (req.originalUrl ?? '/console').split('#')[0].split('?');
  const path = safePath(own) === '#' ? '/console' : own;
  const target = view !== undefined && safePath(view) !== '#' ? view : path;
  const kept = new URLSearchParams(req.method === 'GET' && view === undefined ? query : '');
  kept.delete('lang');
  const langHref = (lang: string) => {
    const params = new URLSearchParams(kept);
    params.set('lang', lang);
    return `${target}?${params.toString()}`;
  };
  return { i18n: req.i18nCtx, staff: req.staff ?? null, csrf: req.staffSession?.csrfToken ?? null, path, langHref };
}

/** `staff:<email>` — the form the audit log and sender changes record as actor. */
export function actorOf(staff: StaffEntity): string {
  return `staff:${staff.email}`;
}

export const ROLE_RANK: Record<StaffRole, number> = { agent: 1, supervisor: 2, admin: 3 };

export function hasRole(staff: StaffEntity | null | undefined, role: StaffRole): boolean {
  return !!staff && ROLE_RANK[staff.role] >= ROLE_RANK[role];
}

/**
 * A console cookie's name on the wire. Over https it carries the `__Host-` prefix, which browsers
 * accept only from a secure origin, with Secure, `Path=/` and no Domain: a cookie planted by a
 * sibling subdomain or over plain http cannot take its place. Plain http (development) keeps the
 * bare name, as browsers refuse `__Host-` cookies there.
 */
export function cookieName(name: string, secure: boolean): string {
  return secure ? `__Host-${name}` : name;
}

/** The request's value of a console cookie, by its name for this request (see `cookieName`). */
export function readCookie(req: Request, name: string, secure: boolean): string | undefined {
  return parseCookies(req.headers.cookie)[cookieName(name, secure)];
}

/**
 * Cookie attributes: always HttpOnly and SameSite=Strict; over https (`isHttps`) Secure, the
 * `__Host-` name and `Path=/` as that prefix requires; else `Path=/console`. Clearing one (Max-Age=0)
 * names it the same way, so it clears the cookie that was set.
 */
export function cookie(name: string, value: string, opts: { secure: boolean; maxAgeSeconds?: number }): string {
  const parts = [`${cookieName(name, opts.secure)}=${encodeURIComponent(value)}`, opts.secure ? 'Path=/' : 'Path=/console', 'HttpOnly', 'SameSite=Strict'];
  if (opts.maxAgeSeconds !== undefined) parts.push(`Max-Age=${opts.maxAgeSeconds}`);
  if (opts.secure) parts.push('Secure');
  return parts.join('; ');
}

/**
 * Served as https: over TLS here, through a proxy `TSUNAGU_TRUST_PROXY` names that says so
 * (Express's `req.secure`), or under an https public URL. The same answer as HSTS's: an
 * `X-Forwarded-Proto` from a client nobody vouches for decides nothing.
 */
export function isHttps(req: Request, publicUrl: string | undefined): boolean {
  return req.secure || (publicUrl ?? '').startsWith('https://');
}

export function sendHtml(res: Response, status: number, body: { value: string }): void {
  res.status(status).type('html').send(`<!doctype html>\n${body.value}`);
}
