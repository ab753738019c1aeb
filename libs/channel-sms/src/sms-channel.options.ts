import type { AddressSeal, SqlClient } from './concat/inbound-parts.store';
import type { SmsRouteConfig } from './route.selector';

export const SMS_CHANNEL_OPTIONS = Symbol('SMS_CHANNEL_OPTIONS');

export const DEFAULT_STOP_WORDS = ['STOP', '停止', '配信停止'] as const;

/** A receipt the adapter could not read, with personal data removed, for the lead to store. */
export interface UnparsedReceiptRecord {
  route: string;
  bind: string;
  reason: string;
  receivedAt: Date;
  esmClass: number;
  dataCoding: number;
  /** The receipt text with its `text:` field (the start of the body) cut, at most 300 characters. */
  redactedText: string;
  receiptedMessageId?: string;
  messageState?: number;
}

export interface SmsTimingOptions {
  /** Wait for a bound bind with a free window slot before a retryable `window_full`. Default 5000. */
  windowWaitMs?: number;
  /** Default 30000: a submit with no resp by then is `unknown_outcome` and the bind is rebuilt. */
  submitTimeoutMs?: number;
  /** Connect + bind. Default 10000. */
  bindTimeoutMs?: number;
  /** Default 10000. */
  enquireLinkTimeoutMs?: number;
  /** Reconnect backoff: initial and cap, with jitter. Defaults 500 / 30000. */
  reconnectInitialMs?: number;
  reconnectMaxMs?: number;
  /** Pause of a route after a 0x58, doubling while it repeats. Defaults 1000 / 10000. */
  throttleBackoffMs?: number;
  throttleBackoffMaxMs?: number;
  /** cancel_sm resp wait. Default 10000. */
  cancelTimeoutMs?: number;
}

export interface SmsChannelOptions {
  routes: SmsRouteConfig[];
  /** How long receipts are awaited after a submit (the engine's DLR window); also how long ids are remembered. */
  dlrWindowSeconds?: number;
  /** MO texts (trimmed, NFKC, case-insensitive) that opt the sender out. */
  stopWords?: readonly string[];
  /**
   * Names this process in health and logs, so an operator can tell which worker holds which binds
   * (an SMSC counts binds per account). Defaults to the host name and pid.
   */
  instanceId?: string;
  /** Connect on module init. Default true. Set false to call `start()` yourself. */
  autoStart?: boolean;
  timing?: SmsTimingOptions;
  /**
   * Where parts of long replies wait for their siblings (the `sms_inbound_parts` table), shared by
   * every worker. Without it each part is handed on as a reply of its own.
   */
  inboundPartsDb?: SqlClient;
  /** Seals the sender's number in that table (the engine's PhoneCipher); required with `inboundPartsDb`. */
  inboundPartsSeal?: AddressSeal;
  /** How long a long reply waits for its missing parts before it is handed on incomplete. Default 180. */
  concatTimeoutSeconds?: number;
  /** Called for every receipt that could not be parsed (after the ESME_ROK). */
  onUnparsed?(record: UnparsedReceiptRecord): void;
}
