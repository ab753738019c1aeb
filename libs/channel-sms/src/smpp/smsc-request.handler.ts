import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Logger } from '@nestjs/common';
import { ESME, newPdu, SmppPdu } from './smpp.types';

/** What answering the SMSC's requests needs of the bind whose session they came on. */
export interface SmscRequestPort {
  readonly bindId: string;
  /** The bind's logger: these lines are the bind's own. */
  readonly logger: Logger;
  /** Hands a deliver_sm or data_sm on (BindHooks.onDeliver); resolves once it is recorded. */
  deliver(pdu: SmppPdu): Promise<void>;
  /** Writes a response on that session, unless it has closed since. */
  reply(pdu: SmppPdu): void;
  /** The SMSC unbound: the bind goes down and closes the session. */
  unbound(): void;
}

/** Answers a request PDU (not a resp) the SMSC sent on a bound or binding session. */
export function handleSmscRequest(pdu: SmppPdu, port: SmscRequestPort): void {
  switch (pdu.command) {
    case 'deliver_sm':
    case 'data_sm': // some SMSCs send receipts and replies as data_sm (SMPP 3.4 §4.7), text in message_payload
      // ESME_ROK once the receipt or reply is recorded, and for garbage too (a refused malformed
      // receipt would be redelivered forever). When it could not be recorded (the database is
      // restarting), ESME_RX_T_APPN asks the SMSC to redeliver it later instead of losing it.
      // Handed on one turn later: a submit_sm_resp read in the same socket read is emitted in this
      // same turn, and its continuations (the send learning its message id) must run first, or
      // the receipt finds no send for that id.
      void nextTurn()
        .then(() => port.deliver(pdu))
        .then(
          () => ESME.ROK,
          () => ESME.RX_T_APPN,
        )
        .then((status) => port.reply(newPdu(`${pdu.command}_resp`, { sequence_number: pdu.sequence_number, message_id: '', command_status: status })));
      return;
    case 'enquire_link':
      port.reply(pdu.response());
      return;
    case 'unbind':
      // The SMSC ends the session: answer, take no more submits on it (those in flight end as
      // unknown outcomes when it closes), and close it (SmppBind.unboundBySmsc).
      port.reply(pdu.response());
      port.unbound();
      return;
    default:
      port.logger.warn(`bind ${port.bindId}: refused ${pdu.command} (command_id 0x${pdu.command_id.toString(16).padStart(8, '0')}) from the SMSC`);
      port.reply(refusal(pdu));
  }
}

/** generic_nack ESME_RINVCMDID for unknown commands; the command's resp with the same status otherwise. */
function refusal(pdu: SmppPdu): SmppPdu {
  if (pdu.command !== 'unknown') {
    try {
      return newPdu(`${pdu.command}_resp`, { sequence_number: pdu.sequence_number, command_status: ESME.RINVCMDID });
    } catch {
      // a command without a resp type: fall through to generic_nack
    }
  }
  return newPdu('generic_nack', { sequence_number: pdu.sequence_number, command_status: ESME.RINVCMDID });
}
