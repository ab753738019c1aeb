import { Request, Response } from 'express';
import { Dictionary, EN, MessageKey } from './messages';
import { JA } from './messages.ja';

export type Lang = 'ja' | 'en';
export const LANG_COOKIE = 'tsunagu_lang';

const DICTIONARIES: Record<Lang, Dictionary> = { ja: JA, en: EN };
const TIME_ZONE = 'Asia/Tokyo';

/** Words for one request's language; dates and numbers in Japanese formats, Asia/Tokyo time, either way. */
export class I18n {
  private readonly dict: Dictionary;
  private readonly dateTime: Intl.DateTimeFormat;
  private readonly number: Intl.NumberFormat;

  constructor(readonly lang: Lang) {
    this.dict = DICTIONARIES[lang];
    // Japanese formats in both languages (2025/02/01 00:30:00 JST): staff and customers read the same dates.
    const locale = 'ja-JP';
    this.dateTime = new Intl.DateTimeFormat(locale, {
      timeZone: TIME_ZONE,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hour12: false,
      timeZoneName: 'short',
    });
    this.number = new Intl.NumberFormat(locale);
  }

  t(key: MessageKey): string {
    return this.dict[key];
  }

  date(value: Date | string | null | undefined): string {
    if (!value) return '';
    const d = typeof value === 'string' ? new Date(value) : value;
    return Number.isNaN(d.getTime()) ? '' : this.dateTime.format(d);
  }

  num(value: number): string {
    return this.number.format(value);
  }
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const name = part.slice(0, i).trim();
    try {
      out[name] = decodeURIComponent(part.slice(i + 1).trim());
    } catch {
      // a malformed cookie value is ignored, not fatal
    }
  }
  return out;
}

/** `?lang=` wins and is remembered in a cookie; then the cookie; then Accept-Language; else Japanese. */
export function resolveLang(req: Request, res?: Response): Lang {
  const query = typeof req.query?.lang === 'string' ? req.query.lang : undefined;
  if (query === 'ja' || query === 'en') {
    res?.append('Set-Cookie', `${LANG_COOKIE}=${query}; Path=/console; Max-Age=31536000; SameSite=Strict; HttpOnly`);
    return query;
  }
  const cookie = parseCookies(req.headers.cookie)[LANG_COOKIE];
  if (cookie === 'ja' || cookie === 'en') return cookie;
  const accept = String(req.headers['accept-language'] ?? '').toLowerCase();
  return accept.startsWith('en') ? 'en' : 'ja';
}
