import { ChannelError } from '@tsunagu/channels';

/**
 * submit_sm_resp command_status → ChannelError, classified once (STYLE.md §4). Following Kannel,
 * only four statuses are temporary: the SMSC is busy (system error, queue full, throttled, temporary
 * application error), and the session's own state (0x04, answered by binding again). Everything else is a property of the message or the account: retrying the
 * same PDU would get the same answer, so it is permanent and the policy moves on.
 */

export const THROTTLED_STATUS = 0x58;
/** How long a throttled route waits before the next submit, when nothing else says. */
export const DEFAULT_THROTTLE_RETRY_MS = 1000;

/** ESME_RINVBNDSTS: the SMSC no longer holds the session as bound; the bind is rebuilt. */
export const INVALID_BIND_STATUS = 0x04;

const RETRYABLE: Readonly<Record<number, string>> = {
  // Said of the session, not the message: the same PDU on a sound bind goes (Kannel reconnects).
  0x04: 'invalid_bind_status', // ESME_RINVBNDSTS
  0x08: 'smsc_system_error', // ESME_RSYSERR
  0x14: 'smsc_queue_full', // ESME_RMSGQFUL
  0x58: 'throttled', // ESME_RTHROTTLED
  0x64: 'smsc_temporary_error', // ESME_RX_T_APPN
};

const PERMANENT: Readonly<Record<number, string>> = {
  0x01: 'invalid_message_length',
  0x02: 'invalid_command_length',
  0x03: 'invalid_command_id',
  0x05: 'already_bound',
  0x06: 'invalid_priority_flag',
  0x07: 'invalid_registered_delivery',
  0x0a: 'invalid_source',
  0x0b: 'invalid_destination',
  0x0c: 'invalid_message_id',
  0x0d: 'bind_failed',
  0x0e: 'invalid_password',
  0x0f: 'invalid_system_id',
  0x11: 'cancel_failed',
  0x13: 'replace_failed',
  0x15: 'invalid_service_type',
  0x33: 'invalid_number_of_destinations',
  0x34: 'invalid_distribution_list',
  0x40: 'invalid_destination_flag',
  0x42: 'invalid_submit_with_replace',
  0x43: 'invalid_esm_class',
  0x44: 'cannot_submit_to_distribution_list',
  0x45: 'submit_failed',
  0x48: 'invalid_source_ton',
  0x49: 'invalid_source_npi',
  0x50: 'invalid_destination_ton',
  0x51: 'invalid_destination_npi',
  0x53: 'invalid_system_type',
  0x54: 'invalid_replace_if_present',
  0x55: 'invalid_number_of_messages',
  0x61: 'invalid_schedule',
  0x62: 'invalid_validity_period',
  0x63: 'invalid_predefined_message',
  0x65: 'smsc_permanent_error', // ESME_RX_P_APPN
  0x66: 'smsc_rejected', // ESME_RX_R_APPN
  0x67: 'query_failed',
  0xc0: 'invalid_tlv_stream',
  0xc1: 'tlv_not_allowed',
  0xc2: 'invalid_tlv_length',
  0xc3: 'missing_tlv',
  0xc4: 'invalid_tlv_value',
  0xfe: 'delivery_failure',
  0xff: 'smsc_unknown_error',
  0x100: 'service_type_unauthorised',
  0x101: 'prohibited',
  0x102: 'service_type_unavailable',
  0x103: 'service_type_denied',
  0x104: 'invalid_data_coding',
  0x105: 'invalid_source_subunit',
  0x106: 'invalid_destination_subunit',
};

function hex(status: number): string {
  return `0x${status.toString(16).padStart(4, '0')}`;
}

/** null for ESME_ROK; otherwise the ChannelError to throw. Unknown (vendor) statuses are permanent. */
export function classifySubmitStatus(commandStatus: number, retryAfterMs = DEFAULT_THROTTLE_RETRY_MS): ChannelError | null {
  if (commandStatus === 0) return null;
  const retryable = RETRYABLE[commandStatus];
  if (retryable) {
    const after = commandStatus === THROTTLED_STATUS ? retryAfterMs : undefined;
    return ChannelError.retryable(retryable, `SMSC answered ${hex(commandStatus)}`, after);
  }
  const code = PERMANENT[commandStatus] ?? `smsc_status_${hex(commandStatus).slice(2)}`;
  return ChannelError.permanent(code, `SMSC answered ${hex(commandStatus)}`);
}
