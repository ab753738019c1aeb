import { ATTEMPT_STATUSES, MESSAGE_STATUSES } from '@tsunagu/core';
import { Schema, anyObject, bool, exact, int, nullable, str, time, uuid } from '../http/openapi/schema-parts';
import { REPLY_METADATA } from './message.schemas';

/** Fields every callback body has; `metadata` only when the message had some. */
const common = {
  id: uuid({ description: 'The callback\'s own id; the same as the `webhook-id` header. Dedupe on it: a retry repeats it.' }),
  messageId: uuid(),
  occurredAt: time({ description: 'When the change was recorded: orders callbacks for one message that arrive out of order.' }),
};
const withMetadata = (properties: Record<string, Record<string, unknown>>, metadata = 'As the CRM sent it with the message.'): Schema & { required: string[] } => {
  const s = exact({ ...common, ...properties }) as Schema & { required: string[] };
  return { ...s, properties: { ...(s.properties as object), metadata: anyObject({ description: metadata }) } };
};

/** A message's own state changed. */
export const MESSAGE_STATUS_CALLBACK = withMetadata({
  type: str({ enum: ['message.status'] }),
  status: str({ enum: [...MESSAGE_STATUSES] }),
  reason: nullable(str({ example: 'all_channels_failed' })),
  channel: nullable(str()),
  possibleDuplicate: bool(),
});

/** What one attempt came to (not its internal steps: pending, submitting, retries). */
export const ATTEMPT_STATUS_CALLBACK = withMetadata({
  type: str({ enum: ['attempt.status'] }),
  status: str({ enum: ATTEMPT_STATUSES.filter((s) => !['pending', 'submitting'].includes(s)) }),
  reason: nullable(str({ example: 'fallback_timeout' })),
  attempt: exact({ id: uuid(), seq: int({ minimum: 1 }), channel: str(), route: nullable(str()), status: str() }),
});

/** A reply from the person, on any channel, in the conversation of the message it answers. */
const inbound = withMetadata({
  type: str({ enum: ['message.inbound'] }),
  status: str({ enum: ['received'] }),
  channel: str(),
  contactId: uuid(),
  text: nullable(str({ description: "Absent from a callback still pending when the person's data was erased." })),
}, REPLY_METADATA);
export const INBOUND_CALLBACK = { ...inbound, required: inbound.required.filter((k) => k !== 'text') };

/** A withdrawn attempt was delivered after all: the person may have the message twice. */
export const POSSIBLE_DUPLICATE_CALLBACK = withMetadata({
  type: str({ enum: ['message.possible_duplicate'] }),
  status: str(),
  reason: nullable(str()),
  possibleDuplicate: bool({ enum: [true] }),
});

export const CALLBACK_SCHEMA = { oneOf: [MESSAGE_STATUS_CALLBACK, ATTEMPT_STATUS_CALLBACK, INBOUND_CALLBACK, POSSIBLE_DUPLICATE_CALLBACK], discriminator: { propertyName: 'type' } };

const header = (name: string, description: string, example: string) => ({ name, in: 'header', required: true, description, schema: { type: 'string', example } });

/**
 * The status callbacks as OpenAPI `callbacks` on `POST /v1/messages` (Nest's `@ApiCallbacks`
 * takes only classes; these bodies are schemas, so they are added to the document here).
 */
export function documentCallbacks(doc: { paths: Record<string, Record<string, Record<string, unknown>>> }): void {
  const send = doc.paths['/v1/messages']?.post;
  if (!send) return;
  send.callbacks = {
    status: {
      '{$request.body#/callbackUrl}': {
        post: {
          summary: 'Status callback (to the message\'s callbackUrl, else the tenant\'s)',
          description:
            'Signed like Standard Webhooks: verify `webhook-signature` = `v1,` + base64 HMAC-SHA256 over `webhook-id.webhook-timestamp.body` (the raw body), keyed by the base64-decoded bytes after `whsec_` in the tenant\'s callback secret, and refuse stale timestamps. ' +
            'Delivered at least once: dedupe on `webhook-id`. 5xx, 408, 429 and timeouts are retried with backoff for 24 h, not before a `Retry-After` you send (up to an hour); 3xx and any other 4xx are final. ' +
            'Each callback is tried on its own, so two for one message can arrive out of order: `occurredAt` orders them. Bodies carry ids, states and reasons, never the phone number.',
          parameters: [
            header('webhook-id', 'The callback id; the same on every retry.', '01a24954-a47e-7546-b415-e34e305293d9'),
            header('webhook-timestamp', 'Unix seconds when this try was signed.', '1796525268'),
            header('webhook-signature', '`v1,<base64 signature>`', 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4='),
          ],
          requestBody: { required: true, content: { 'application/json': { schema: CALLBACK_SCHEMA } } },
          responses: { '2XX': { description: 'Taken: not sent again.' }, '4XX': { description: 'Refused: not retried (except 408 and 429).' }, '5XX': { description: 'Retried with backoff.' } },
        },
      },
    },
  };
}
