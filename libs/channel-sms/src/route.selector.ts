import { Category, DomainError } from '@tsunagu/core';

/** One SMPP route: an account on an SMSC, bound N times. Secrets (password) are never logged. */
export interface SmsRouteConfig {
  name: string;
  /** Domestic direct routes reach Japanese carriers only; international routes go abroad via an aggregator. */
  kind: 'domestic_direct' | 'international';
  /** Carriers this route reaches (informational: number portability hides the carrier of a number). */
  carriers: string[];
  host: string;
  port: number;
  systemId: string;
  password: string;
  systemType?: string;
  tls?: boolean;
  /** Binds (TCP sessions) to keep open. */
  binds: number;
  /** Outstanding submit_sm PDUs allowed per bind (a 3-part SMS is 3 PDUs). */
  window: number;
  /** Submits per second the SMSC allows this account, across all binds. 0 = unlimited. */
  throughputPerSecond: number;
  enquireLinkSeconds: number;
  /** Upper bound for the validity period; the attempt's timeout is used when shorter. */
  validityPeriodSeconds?: number;
  /** The most segments one message may take; default 10. */
  maxSegments: number;
  udh16?: boolean;
  /**
   * `hex_decimal`: submit_sm_resp ids are hex and receipt ids decimal (some SMSCs do this);
   * `decimal_hex`: the other way round.
   */
  messageIdMatch?: 'as_is' | 'hex_decimal' | 'decimal_hex';
  /** Sender used when the attempt carries none. */
  defaultSender?: string;
  /** Clock offset of the SMSC's receipt dates from UTC, in minutes (JST = 540). Default 0. */
  receiptUtcOffsetMinutes?: number;
  /**
   * How the SMSC hands over a reply's GSM-7 text (data_coding 0): `unpacked`, one septet per
   * octet, as most do (the default), or `packed`, 8 septets in 7 octets as on the air. Receipts
   * are read as ASCII either way.
   */
  inboundGsm7?: 'unpacked' | 'packed';
}

export interface SmsRouteRequest {
  destinationE164: string;
  /** The destination is a Japanese number. */
  domestic: boolean;
  category: Category;
  allowInternational: boolean;
  /** Routes with no bound bind or backing off; used only when nothing healthy fits. */
  unhealthy?: ReadonlySet<string>;
}

export function isJapaneseNumber(e164: string): boolean {
  return e164.startsWith('+81');
}

/**
 * Picks the route for one SMS. Japanese numbers go only over domestic direct routes (the product
 * promise: carrier-approved routes, never grey international ones). International routes carry only
 * foreign numbers, only when the policy allows it, and never one-time passwords (not SIM-safe
 * abroad). Healthy routes first, then configuration order.
 */
export function selectSmsRoute(routes: readonly SmsRouteConfig[], req: SmsRouteRequest): SmsRouteConfig {
  const japanese = req.domestic || isJapaneseNumber(req.destinationE164);
  let candidates: SmsRouteConfig[];
  if (japanese) {
    candidates = routes.filter((r) => r.kind === 'domestic_direct');
    if (!candidates.length) {
      throw new DomainError('DESTINATION_NOT_ALLOWED', 'No domestic direct SMS route is configured for Japanese numbers.');
    }
  } else {
    if (req.category === 'otp') {
      throw new DomainError('DESTINATION_NOT_ALLOWED', 'One-time passwords are not sent over international SMS routes.');
    }
    if (!req.allowInternational) {
      throw new DomainError('DESTINATION_NOT_ALLOWED', 'International SMS is not allowed for this message.');
    }
    candidates = routes.filter((r) => r.kind === 'international');
    if (!candidates.length) {
      throw new DomainError('DESTINATION_NOT_ALLOWED', 'No international SMS route is configured.');
    }
  }
  const unhealthy = req.unhealthy;
  return candidates.find((r) => !unhealthy?.has(r.name)) ?? candidates[0];
}
