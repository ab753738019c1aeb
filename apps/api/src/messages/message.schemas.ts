import { ATTEMPT_STATUSES, CATEGORIES, MESSAGE_STATUSES } from '@tsunagu/core';
import { anyObject, bool, exact, int, list, nullable, str, time, uuid } from '../http/openapi/schema-parts';

const messageStatus = str({ enum: [...MESSAGE_STATUSES, 'received'], description: '`received` for an inbound reply.' });
const attemptStatus = str({ enum: [...ATTEMPT_STATUSES] });
const channel = str({ example: 'sms', description: 'A registered channel: `rcs`, `sms`, `line`, or one an adapter adds.' });

/**
 * What a reply's metadata holds: Tsunagu writes it (the CRM sends none). The one text for the
 * message view and the `message.inbound` callback.
 */
export const REPLY_METADATA =
  'Written by Tsunagu: `contentType` (`text`, `image`, `sticker`, `location`, `file`, `suggestion` or `other`), `recipient` (SMS: the address the person replied to), ' +
  'and for a long SMS reply whose parts did not all arrive within `channels.sms.concatTimeoutSeconds`, `incomplete: true` with `partsReceived` and `parts`: ' +
  'the text is then the parts that came, joined in order, and says nothing of where the missing ones were.';

/** A message's outcome, as the engine's `messageOutcome` gives it to the full view and the list. */
const OUTCOME = {
  status: messageStatus,
  reason: nullable(str()),
  category: nullable(str({ enum: [...CATEGORIES] })),
  channel: nullable(str({ description: 'The channel it ended on (or is on).' })),
  possibleDuplicate: bool({ description: 'A withdrawn attempt was delivered after all: the person may have it twice.' }),
  contactId: uuid(),
};

export const ACCEPTED_SCHEMA = exact({ id: uuid(), status: str({ enum: ['accepted', ...MESSAGE_STATUSES.filter((s) => s !== 'accepted')], description: 'On a replay, the state the first answer gave.' }) });

export const CANCELLING_SCHEMA = exact({ id: uuid(), status: str({ enum: ['cancelling'] }) });

export const PREVIEW_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['channel', 'fits', 'limit', 'units'],
  properties: {
    channel,
    fits: bool(),
    limit: nullable(int({ description: 'The most units the channel takes; null when unlimited.' })),
    units: int({ description: 'SMS: characters in its encoding (a GSM extension character counts two).' }),
    encoding: str({ example: 'ucs2', description: 'SMS: the alphabet the text needs.' }),
    segments: int(),
    remainingInLast: int(),
  },
};

export const ATTEMPT_SCHEMA = exact({
  id: uuid(),
  seq: int({ minimum: 1 }),
  channel,
  status: attemptStatus,
  route: nullable(str({ description: 'SMS: the route it took (`jp-direct`, or an international one only where a policy allows); RCS: the agent; LINE: the channel.' })),
  bind: nullable(str({ description: 'SMS: the SMPP bind that carried the submit.' })),
  sender: nullable(str()),
  providerMessageId: nullable(str()),
  reason: nullable(str({ example: 'fallback_timeout' })),
  permanent: nullable(bool({ description: 'For a failure: whether retrying could help.' })),
  retries: int({ minimum: 0 }),
  createdAt: time(),
  sentAt: nullable(time()),
  deliveredAt: nullable(time()),
  readAt: nullable(time()),
  finishedAt: nullable(time()),
  deadlineAt: nullable(time({ description: 'When the next channel is tried if this one has not delivered.' })),
});

export const MESSAGE_EVENT_SCHEMA = exact({
  type: str({ example: 'attempt.status' }),
  source: str({ example: 'engine' }),
  status: nullable(str()),
  reason: nullable(str()),
  attemptId: nullable(uuid()),
  anomaly: bool({ description: 'A report that arrived out of order or after the end, recorded but not acted on.' }),
  occurredAt: time(),
});

export const MESSAGE_VIEW_SCHEMA = exact({
  id: uuid(),
  direction: str({ enum: ['outbound', 'inbound'] }),
  ...OUTCOME,
  conversationId: uuid(),
  text: nullable(str({ description: 'Null once redacted (an OTP, after it is final).' })),
  textRedacted: bool(),
  sender: nullable(str()),
  metadata: nullable(anyObject({ description: `Outbound: as the CRM sent it. Inbound (a reply): ${REPLY_METADATA}` })),
  plan: nullable(anyObject({ description: 'Channels, timeouts and route fixed at accept time.' })),
  sendAt: nullable(time()),
  expiresAt: nullable(time()),
  createdAt: time(),
  completedAt: nullable(time()),
  attempts: list(ATTEMPT_SCHEMA),
  events: list(MESSAGE_EVENT_SCHEMA),
  decisions: list(exact({ kind: str({ example: 'channel' }), inputs: anyObject(), outcome: anyObject(), at: time() }), { description: 'Why each channel was (not) chosen.' }),
});

export const MESSAGE_LIST_SCHEMA = exact({
  items: list(
    exact({
      id: uuid(),
      ...OUTCOME,
      reference: nullable(str()),
      createdAt: time(),
      completedAt: nullable(time()),
    }),
    { description: 'Newest first.' },
  ),
  nextCursor: nullable(str({ description: 'Pass as `before` for the next (older) page; null at the end.' })),
});
