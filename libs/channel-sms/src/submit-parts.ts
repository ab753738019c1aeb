import { setTimeout as sleep } from 'node:timers/promises';
import { ChannelError } from '@tsunagu/channels';
import type { BindPool, PoolTimings } from './bind.pool';
import type { SmppBind, SubmitResponse } from './smpp.bind';
import { classifySubmitStatus, INVALID_BIND_STATUS, THROTTLED_STATUS } from './submit-status';

export interface SubmittedParts {
  /** The SMSC's message_id for each part, as it answered ('' when it gave none). */
  messageIds: string[];
  /** The bind the first part went on. */
  bind: string;
}

/**
 * Submits a message's parts in order on the route's binds. Until the first part is accepted
 * nothing has reached the person, so its refusal or failure is the send's own (the engine retries
 * or moves on). After that the person holds the start of the message: a later part the SMSC
 * refused for now (0x58 throttled, 0x14 queue full, ...) never reached anyone, so it is submitted
 * again, same bytes and UDH, after the route's backoff, each part getting up to submitTimeoutMs;
 * giving up at once would leave half a message. A later part whose fate is unknown, or that is
 * refused for good, ends the send as `partial_submit` (never resent: it may have arrived).
 */
export async function submitParts(
  pool: BindPool,
  fields: Record<string, unknown>,
  parts: Buffer[],
  timings: Pick<PoolTimings, 'windowWaitMs' | 'submitTimeoutMs' | 'throttleBackoffMs'>,
): Promise<SubmittedParts> {
  const messageIds: string[] = [];
  let firstBind = '';
  let deadline = Date.now() + timings.windowWaitMs;
  for (let i = 0; i < parts.length; i++) {
    const partial = (why: string) => ChannelError.unknownOutcome('partial_submit', `part ${i + 1}/${parts.length}: ${why}`);
    for (;;) {
      let resp: SubmitResponse;
      let bind: SmppBind;
      try {
        bind = await pool.acquire(deadline);
        firstBind ||= bind.id;
        resp = await bind.submit({ ...fields, short_message: parts[i] });
      } catch (err) {
        if (i === 0) throw err;
        throw partial(err instanceof ChannelError ? err.code : 'not confirmed');
      }
      if (resp.status === INVALID_BIND_STATUS) bind.rebindWhenIdle('invalid_bind_status');
      if (resp.status === 0) {
        pool.noteAccepted();
        messageIds.push(resp.messageId);
        break;
      }
      const retryAfter = resp.status === THROTTLED_STATUS ? pool.noteThrottled() : undefined;
      const error = classifySubmitStatus(resp.status, retryAfter) as ChannelError;
      if (i === 0) throw error;
      if (error.kind !== 'retryable') throw partial(error.code);
      // A throttled route is waited out by acquire(); other busy answers get the route's first backoff.
      const wait = resp.status === THROTTLED_STATUS ? 0 : timings.throttleBackoffMs;
      if (Date.now() + wait >= deadline) throw partial(error.code);
      await sleep(wait);
    }
    deadline = Date.now() + timings.submitTimeoutMs;
  }
  return { messageIds, bind: firstBind };
}
