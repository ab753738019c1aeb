import { exact, int, list, nullable, str, time, uuid } from '../http/openapi/schema-parts';

/** One status callback as sent to the CRM, with each try and what came back. */
export const CALLBACK_VIEW_SCHEMA = exact({
  id: uuid({ description: 'The `webhook-id` the CRM received it under; the same on every try and on redelivery.' }),
  event: exact({
    type: nullable(str({ example: 'message.status' })),
    status: nullable(str({ example: 'delivered' })),
    occurredAt: nullable(time()),
  }),
  status: str({ enum: ['pending', 'delivered', 'failed', 'cancelled'], description: 'Of the callback itself: still being tried, taken by the CRM (2xx), refused or out of retries, or ended with no URL to go to.' }),
  tries: int(),
  lastStatus: nullable(int({ description: "The CRM's last HTTP status; null when no answer came." })),
  lastError: nullable(str({ example: 'etimedout' })),
  nextTryAt: nullable(time({ description: 'While pending.' })),
  giveUpAt: time(),
  deliveredAt: nullable(time()),
  createdAt: time(),
  attempts: list(
    exact({
      try: int(),
      at: time(),
      origin: nullable(str({ example: 'https://crm.example.jp', description: 'Scheme, host and port it went to (never the path or query); null when there was no URL.' })),
      status: nullable(int()),
      error: nullable(str()),
    }),
  ),
});

export const CALLBACK_LIST_SCHEMA = list(CALLBACK_VIEW_SCHEMA, { description: 'Oldest first.' });

export const RECOVERED_SCHEMA = exact({
  redelivered: int({ description: 'Callbacks put back to be tried now (at most 5,000 per request).' }),
  nextCursor: nullable(str({ description: 'Some were left: send the same period again with this as `after`. Null when none is.' })),
});

/** The body of `POST /v1/callbacks/recover`, checked by SchemaPipe; the instants are parsed by the engine. */
export const RECOVER_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['since'],
  properties: {
    since: { type: 'string', maxLength: 40, example: '2026-12-01T00:00:00+09:00', description: 'Callbacks written from this instant (date-time with offset; at most 31 days ago).' },
    until: { type: 'string', maxLength: 40, description: 'Up to this instant, excluded (now when absent).' },
    after: { type: 'string', maxLength: 200, description: "The previous answer's `nextCursor`: the next page of the same period." },
  },
};
