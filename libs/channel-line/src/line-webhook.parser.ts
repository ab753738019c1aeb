import Ajv from 'ajv';
import sjson from 'secure-json-parse';
import { ChannelEvent } from '@tsunagu/core';
import { InboundRequest, InvalidInboundError } from '@tsunagu/channels';
import { verifyLineSignature } from './line-signature.util';
import { LineCallbackBody, lineCallbackSchema } from './line-webhook.schema';
import { LineWebhookChannel, mapLineWebhookEvents } from './line-webhook.mapper';

export interface LineWebhookSecretSource extends LineWebhookChannel {
  channelSecret: string;
}

export type LineWebhookResult =
  | { status: 'parsed'; channel: LineWebhookChannel; events: ChannelEvent[]; received: number }
  /** A destination we have no channel for: answered 200 and dropped, so LINE does not retry forever. */
  | { status: 'unknown_destination'; events: [] };

const ajv = new Ajv({ allErrors: false, strictTypes: false });
const validateCallback = ajv.compile<LineCallbackBody>(lineCallbackSchema);

/**
 * Verifies and parses one LINE webhook request. Order matters:
 * 1. the signature header must be present;
 * 2. the body is peeked at with a prototype-safe parse only to read `destination`, which selects
 *    the channel secret (several official accounts share one webhook URL);
 * 3. the HMAC over the exact raw bytes is checked in constant time — nothing from the body is
 *    trusted before this;
 * 4. the body is checked against webhook.yml's shape, then mapped.
 * A body we cannot read a destination from is tried against every secret, so a malformed body
 * signed by one of our channels is `INVALID_PAYLOAD` and anything unsigned is `INVALID_SIGNATURE`.
 */
export function parseLineWebhook(
  request: InboundRequest,
  channels: readonly LineWebhookSecretSource[],
): LineWebhookResult {
  const signature = request.headers['x-line-signature'];
  if (signature === undefined || signature === '') {
    throw new InvalidInboundError('INVALID_SIGNATURE', 'x-line-signature header is missing');
  }
  const rawBody = request.rawBody;
  const peeked = safeParse(rawBody);
  const destination =
    peeked.ok && isRecord(peeked.value) && typeof peeked.value['destination'] === 'string'
      ? peeked.value['destination']
      : undefined;

  if (destination === undefined) {
    const signedByUs = channels.some((c) => verifyLineSignature(c.channelSecret, rawBody, signature));
    if (!signedByUs) throw new InvalidInboundError('INVALID_SIGNATURE', 'x-line-signature does not match the body');
    throw new InvalidInboundError(
      'INVALID_PAYLOAD',
      peeked.ok ? 'LINE webhook body has no destination' : 'LINE webhook body is not valid JSON',
    );
  }

  const channel = channels.find((c) => c.botUserId === destination);
  if (!channel) return { status: 'unknown_destination', events: [] };

  if (!verifyLineSignature(channel.channelSecret, rawBody, signature)) {
    throw new InvalidInboundError('INVALID_SIGNATURE', 'x-line-signature does not match the body');
  }
  const body = peeked.ok ? peeked.value : undefined;
  if (!validateCallback(body)) {
    const first = validateCallback.errors?.[0];
    throw new InvalidInboundError(
      'INVALID_PAYLOAD',
      `LINE webhook body does not match webhook.yml: ${first ? `${first.instancePath || '/'} ${first.message}` : 'invalid'}`,
    );
  }
  const { id, tenantId, botUserId } = channel;
  return {
    status: 'parsed',
    channel: { id, tenantId, botUserId },
    events: mapLineWebhookEvents(body, { id, tenantId, botUserId }),
    received: body.events.length,
  };
}

function safeParse(raw: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    // `__proto__` / `constructor.prototype` keys are removed, never assigned (BAD-INPUTS #25).
    return { ok: true, value: sjson.parse(raw.toString('utf8'), undefined, { protoAction: 'remove', constructorAction: 'remove' }) };
  } catch {
    return { ok: false };
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
