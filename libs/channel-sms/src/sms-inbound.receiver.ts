import { Logger } from '@nestjs/common';
import type { ChannelEventSink, ErasedPerson, ErasureSql } from '@tsunagu/channels';
import { InboundConcatReassembler } from './concat/inbound-concat.reassembler';
import { InboundPart, InboundPartsStore } from './concat/inbound-parts.store';
import { handleDeliver } from './deliver.handler';
import type { RecentIds } from './recent-ids';
import type { SmsRouteConfig } from './route.selector';
import { DEFAULT_STOP_WORDS, SmsChannelOptions } from './sms-channel.options';
import { sourceAddressesOf } from './smpp-address';
import type { SmppBind } from './smpp.bind';
import type { SmppPdu } from './smpp/smpp.types';

/**
 * The SMS adapter's inbound side: every deliver_sm or data_sm a bind takes (receipts, replies and
 * the parts of long replies) handed on to the event sink, and the parts kept until their reply is
 * joined. A bind answers the SMSC only once `receive` settles: a rejection makes it answer a
 * temporary error, and the SMSC offers the PDU again.
 */
export class SmsInboundReceiver {
  // The adapter's name: these lines were always the adapter's, and operators' filters match it.
  private readonly logger = new Logger('SmsAdapter');
  private readonly stopWords: readonly string[];
  /** Joins long replies; null without a database for their parts (each part is then a reply). */
  private readonly concat: InboundConcatReassembler | null;
  /** Where those parts wait (null likewise). */
  private readonly parts: InboundPartsStore | null;
  private unparsedReceipts = 0;
  private sinkFailures = 0;

  constructor(
    private readonly options: SmsChannelOptions,
    private readonly sink: ChannelEventSink,
    /** Where receipts seen DELIVRD are noted, for the adapter's cancel. */
    private readonly delivered: RecentIds<true>,
  ) {
    this.stopWords = options.stopWords ?? DEFAULT_STOP_WORDS;
    const concatSeconds = options.concatTimeoutSeconds ?? 180;
    this.parts = options.inboundPartsDb && options.inboundPartsSeal ? new InboundPartsStore(options.inboundPartsDb, options.inboundPartsSeal, concatSeconds) : null;
    this.concat =
      this.parts
      ? new InboundConcatReassembler(
          this.parts,
          sink,
          new Map(options.routes.map((r) => [r.name, r])),
          this.stopWords,
          // Often enough that a reply is late by a fraction of its window, at most 5 s.
          Math.min(5000, Math.max(100, (concatSeconds * 1000) / 4)),
        )
      : null;
  }

  /** Starts the sweep of long replies waiting for parts. */
  start(): void {
    this.concat?.start();
  }

  stop(): Promise<void> {
    return this.concat?.stop() ?? Promise.resolve();
  }

  /** For health: receipts that could not be read, and PDUs the sink (or the parts' table) refused. */
  counters(): { unparsedReceipts: number; sinkFailures: number } {
    return { unparsedReceipts: this.unparsedReceipts, sinkFailures: this.sinkFailures };
  }

  /** Parts of long replies from the person's number to the tenant's addresses, waiting or joined. */
  async erase(person: ErasedPerson, sql: ErasureSql): Promise<number> {
    if (!this.parts || !person.phoneE164) return 0;
    return this.parts.erase(sql, sourceAddressesOf(person.phoneE164), person.inboundAddresses);
  }

  async receive(route: SmsRouteConfig, pdu: SmppPdu, bind: SmppBind): Promise<void> {
    let outcome = handleDeliver(pdu, route, this.stopWords);
    if (outcome.kind === 'part') {
      if (this.concat) return this.concatPart(outcome.part, bind);
      outcome = handleDeliver(pdu, route, this.stopWords, undefined, { holdParts: false });
    }
    if (outcome.kind === 'unparsed') {
      this.unparsedReceipts++;
      this.logger.warn(`unparsed receipt on ${bind.id}: ${outcome.reason} (${outcome.redactedText.length} chars)`);
      try {
        this.options.onUnparsed?.({
          route: route.name,
          bind: bind.id,
          reason: outcome.reason,
          receivedAt: new Date(),
          esmClass: Number(pdu.esm_class) || 0,
          dataCoding: Number(pdu.data_coding) || 0,
          redactedText: outcome.redactedText,
          ...(typeof pdu.receipted_message_id === 'string' ? { receiptedMessageId: pdu.receipted_message_id } : {}),
          ...(typeof pdu.message_state === 'number' ? { messageState: pdu.message_state } : {}),
        });
      } catch (err) {
        this.logger.error(`onUnparsed callback failed: ${(err as Error).message}`);
      }
      return;
    }
    if (outcome.kind !== 'events') return;
    if (outcome.receipt?.stat === 'DELIVRD') this.delivered.set(outcome.events[0].providerMessageId as string, true);
    try {
      await this.sink.ingest(outcome.events);
    } catch (err) {
      this.sinkFailures++;
      this.logger.error(`event sink refused ${outcome.events.length} sms event(s) from ${bind.id}: ${(err as Error).message}`);
      throw err; // the bind answers a temporary error: the SMSC redelivers, nothing is lost
    }
  }

  private async concatPart(part: InboundPart, bind: SmppBind): Promise<void> {
    try {
      await (this.concat as InboundConcatReassembler).accept(part);
    } catch (err) {
      this.sinkFailures++;
      this.logger.error(`part of a long sms reply from ${bind.id} not recorded: ${(err as Error).message}`);
      throw err; // the bind answers a temporary error: the SMSC offers the part again
    }
  }
}
