/** What the sandbox SMSC does with a submit to a destination. */
export type SmscOutcome =
  | 'delivered'
  | 'undeliverable'
  | 'expired'
  | 'rejected'
  | 'no_receipt'
  /** Answer submit_sm_resp with this command_status (hex `0x14` or decimal). */
  | `submit_error:${string}`
  /** Do not answer; drop the connection the submit came on (the ESME cannot know the outcome). */
  | 'drop_connection'
  /** Answer with an empty / a 65-character message_id (BAD-INPUTS 44). */
  | 'empty_id'
  | 'long_id';

export type SmscFailMode =
  /** Answer every submit_sm with 0x58 for `durationMs`. */
  | 'throttle'
  /** Stop answering submit_sm; `dropAfterMs` after the first unanswered one, destroy every connection. */
  | 'drop'
  /** Send each receipt before its submit_sm_resp, for `durationMs`. */
  | 'early_receipt'
  /** Send each receipt right behind its submit_sm_resp, in the same TCP write, for `durationMs`. */
  | 'receipt_with_resp'
  /** Send every receipt `count` times, for `durationMs`. */
  | 'duplicate_receipts'
  /** Send receipts whose text cannot be parsed (and no TLVs), for `durationMs`. */
  | 'malformed_receipts'
  /** Refuse binds with ESME_RBINDFAIL for `durationMs`. */
  | 'refuse_binds'
  /** Write one malformed PDU (`kind`) raw to every bound connection. */
  | 'malformed_pdu'
  /** Send unbind to every bound ESME and take nothing more on those connections; the ESME closes them. */
  | 'unbind'
  /**
   * Forget, silently, that the current connections are bound (an SMSC that lost its session table
   * in a failover): their submits are answered ESME_RINVBNDSTS until the ESME binds again.
   */
  | 'forget_binds';

export type MalformedPduKind = 'too_long' | 'len8' | 'len2' | 'unknown_cmd' | 'truncated';

export interface SmscFailRequest {
  mode: SmscFailMode;
  durationMs?: number;
  count?: number;
  dropAfterMs?: number;
  kind?: MalformedPduKind;
}

export interface SandboxSmscOptions {
  port?: number;
  host?: string;
  systemId: string;
  password: string;
  /** Delay between submit_sm_resp and the receipt. Default 20 ms. */
  receiptDelayMs?: number;
  /**
   * Form of submit_sm_resp message ids. Default 'hex' (upper case, zero-padded, as many SMSCs do);
   * 'prefixed' puts a node name and `_` before the hex (`SMSC_01_00012AB3C4`), as clustered SMSCs do.
   */
  messageIdFormat?: 'hex' | 'decimal' | 'prefixed';
  /**
   * 'decimal' writes receipt ids in decimal while resp ids are hex (a `hex_decimal` route); 'hex'
   * writes them in hex while resp ids are decimal (`messageIdFormat: 'decimal'`, a `decimal_hex` route).
   */
  receiptIdFormat?: 'same' | 'decimal' | 'hex';
  /** False: receipts carry the Appendix B text alone, without the (optional) receipted_message_id and message_state TLVs. Default true. */
  receiptTlvs?: boolean;
  defaultOutcome?: SmscOutcome;
  /** An account limit: submits past this many per second get 0x58. */
  throttle?: { maxPerSecond?: number };
  /** Submit records kept (oldest dropped first). Default 200,000. */
  maxRecords?: number;
  /** Log sink for one-line, PII-free events. Default: none. */
  log?: (line: string) => void;
}

/** One submit_sm as the sandbox received it. */
export interface SubmitRecord {
  index: number;
  sessionId: number;
  sequenceNumber: number;
  source: string;
  sourceTon: number;
  destination: string;
  dataCoding: number;
  esmClass: number;
  registeredDelivery: number;
  /** validity_period as the package decodes it (relative periods from the time received). */
  validityUntil?: string;
  /** The concatenation reference, total and part number from the UDH, when multipart. */
  udhRef?: number;
  udhTotal?: number;
  udhSeq?: number;
  /** The short_message body (after the UDH) as hex. */
  bytes: string;
  /** The body as the `smpp` package decodes it by data_coding. */
  text: string;
  messageId: string;
  status: number;
  receivedAt: string;
}

export interface MoRequest {
  from: string;
  to: string;
  text: string;
}

/** A long reply in parts: `send` lists the 1-based parts in the order the SMSC offers them, repeats and gaps included. */
export interface ConcatMoRequest {
  from: string;
  to: string;
  parts: string[];
  form: 'udh8' | 'udh16' | 'sar';
  ref: number;
  /** 8 (UCS-2, the default) or 0 (GSM-7). */
  dataCoding?: 0 | 8;
  /** GSM-7 packed 8 septets to 7 octets, after the UDH's fill bits (data_coding 0), as some SMSCs pass replies on. */
  packed?: boolean;
  send?: number[];
}

export interface SandboxSmscControl {
  script(destination: string, outcome: SmscOutcome): void;
  fail(request: SmscFailRequest): void;
  injectMo(mo: MoRequest): Promise<{ status: number }>;
  /** Offers the parts one after another, each once the last was answered; resolves with each resp status. */
  injectConcatMo(mo: ConcatMoRequest): Promise<{ statuses: number[] }>;
  /**
   * Any deliver_sm the scripts do not send (a second, contradicting receipt; a date that is not a
   * date), on the bound connection: `fields` over a receipt's defaults. As a data_sm when asked, as
   * some SMSCs send receipts and replies. Resolves with the ESME's resp status.
   */
  injectDeliver(fields: Record<string, unknown>, command?: 'deliver_sm' | 'data_sm'): Promise<{ status: number }>;
  records(): readonly SubmitRecord[];
  submitsTo(destination: string): SubmitRecord[];
  submitCount(): number;
  /** deliver_sm_resp (and data_sm_resp) statuses, generic_nacks and unbind_resps the ESME sent back. */
  responses(): { deliverResp: Record<number, number>; genericNack: number; unbindResp: number };
  boundCount(): number;
  connectionCount(): number;
  /** Connections accepted since start: grows by one per (re)connect of an ESME bind. */
  connectionsOpened(): number;
  reset(): void;
}
