import { createHmac, timingSafeEqual } from 'node:crypto';
import sjson from 'secure-json-parse';
import { InboundRequest, InvalidInboundError } from '@tsunagu/channels';

/*
 * RBM pushes notifications Pub/Sub-style:
 *   { message: { data: <base64 JSON>, messageId, publishTime, attributes? }, subscription }
 * with `X-Goog-Signature: base64(HMAC-SHA512(clientToken, base64-decoded message.data))`.
 * The signature covers the decoded data, so the envelope is read before it can be checked;
 * nothing inside `data` is parsed until the signature holds.
 */

/** Generous for RBM notifications (ids and URIs only); the controller enforces the HTTP limit. */
const MAX_BODY_BYTES = 1024 * 1024;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export interface WebhookSigner<T> {
  clientToken: string;
  /** Whatever the caller wants back for the matching token (its agent). */
  owner: T;
}

export interface DecodedPush<T> {
  /** Every owner whose client token verifies the signature (usually one). */
  owners: T[];
  data: unknown;
  pubsubMessageId?: string;
  publishTime?: string;
}

export interface RbmHandshake {
  clientToken: string;
  secret: string;
}

export function rbmSignature(clientToken: string, data: Buffer): string {
  return createHmac('sha512', clientToken).update(data).digest('base64');
}

export function decodeRbmPush<T>(request: InboundRequest, signers: readonly WebhookSigner<T>[]): DecodedPush<T> {
  const signature = header(request, 'x-goog-signature');
  if (!signature) throw new InvalidInboundError('INVALID_SIGNATURE', 'X-Goog-Signature is missing');
  const envelope = parseJson(request.rawBody, 'the body is not JSON');
  const message = isObject(envelope) ? envelope.message : undefined;
  if (!isObject(message) || typeof message.data !== 'string') {
    throw new InvalidInboundError('INVALID_PAYLOAD', 'message.data is missing');
  }
  if (!BASE64.test(message.data)) throw new InvalidInboundError('INVALID_PAYLOAD', 'message.data is not base64');
  const data = Buffer.from(message.data, 'base64');

  const owners = signers.filter((s) => signatureMatches(signature, rbmSignature(s.clientToken, data))).map((s) => s.owner);
  if (owners.length === 0) throw new InvalidInboundError('INVALID_SIGNATURE', 'X-Goog-Signature does not match');

  return {
    owners,
    data: parseJson(data, 'message.data does not decode to JSON'),
    pubsubMessageId: typeof message.messageId === 'string' ? message.messageId : undefined,
    publishTime: typeof message.publishTime === 'string' ? message.publishTime : undefined,
  };
}

/** The verification handshake RBM posts when the webhook is configured; null for other traffic. */
export function readRbmHandshake(rawBody: Buffer): RbmHandshake | null {
  if (rawBody.length > MAX_BODY_BYTES) return null;
  let body: unknown;
  try {
    body = sjson.parse(rawBody.toString('utf8'), undefined, { protoAction: 'remove', constructorAction: 'remove' });
  } catch {
    return null;
  }
  if (!isObject(body) || 'message' in body) return null;
  const { clientToken, secret } = body;
  if (typeof clientToken !== 'string' || typeof secret !== 'string') return null;
  return { clientToken, secret };
}

/** Constant-time comparison of two strings of any length. */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  // Compare equal-length buffers so a length mismatch costs the same time as a content mismatch.
  const same = timingSafeEqual(
    Buffer.concat([left, Buffer.alloc(Math.max(0, right.length - left.length))]),
    Buffer.concat([right, Buffer.alloc(Math.max(0, left.length - right.length))]),
  );
  return same && left.length === right.length;
}

function signatureMatches(received: string, expected: string): boolean {
  return safeEqual(received.trim(), expected);
}

function parseJson(bytes: Buffer, problem: string): unknown {
  if (bytes.length > MAX_BODY_BYTES) throw new InvalidInboundError('INVALID_PAYLOAD', 'the body is too large');
  try {
    return sjson.parse(bytes.toString('utf8'), undefined, { protoAction: 'remove', constructorAction: 'remove' });
  } catch {
    throw new InvalidInboundError('INVALID_PAYLOAD', problem);
  }
}

function header(request: InboundRequest, name: string): string | undefined {
  const value = request.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first && first.length > 0 ? first : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
