import { CATEGORIES } from '@tsunagu/core';

/**
 * The body of `POST /v1/messages`, one JSON Schema that both checks requests (compiled by ajv in
 * SchemaPipe) and documents them (OpenAPI at /docs). It checks shape only; what the values mean
 * (a phone that can take SMS, a sender that is approved, a text without card numbers) is the
 * engine's ValidateMessageService. Optional fields may be null, meaning "not given".
 */
const optional = <T extends object>(schema: T) => ({ ...schema, nullable: true });
const freeObject = { type: 'object' } as const;
/** Far above any written phone number; only keeps a pathological string out of the engine. */
export const PHONE_HARD_CAP = 1024;

export const SEND_MESSAGE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['to', 'category', 'text'],
  properties: {
    to: {
      type: 'object',
      additionalProperties: false,
      required: ['phone'],
      properties: {
        // Only a hard cap against abuse: whether a string of this length is a phone number is
        // parsePhone's to say, so an over-long one is 422 INVALID_PHONE_NUMBER (BAD-INPUTS row 5),
        // not a 400 about the request's shape. The parser refuses anything over 64 characters
        // before normalising it.
        phone: { type: 'string', maxLength: PHONE_HARD_CAP, example: '+819012345678', description: 'Any common Japanese or E.164 form; normalised to E.164.' },
        lineUserId: optional({ type: 'string', maxLength: 64, description: 'LINE user id, when the CRM has linked the account.' }),
      },
    },
    category: { type: 'string', enum: [...CATEGORIES] },
    text: { type: 'string', maxLength: 5000, description: 'The plain text every channel can carry (NFC-normalised).', example: 'ご予約は明日10時です。' },
    rcs: optional({ ...freeObject, description: 'RCS rich card and suggestions.' }),
    line: optional({ type: 'array', maxItems: 5, items: freeObject, description: 'LINE message objects (at most 5).' }),
    channels: optional({ type: 'array', maxItems: 10, items: { type: 'string' }, example: ['rcs', 'sms', 'line'], description: 'Channel order, overriding the policy.' }),
    timeouts: optional({ ...freeObject, example: { rcs: 60, sms: 600 }, description: 'Seconds per channel before falling back.' }),
    successOn: optional({ type: 'string', enum: ['delivered', 'read'] }),
    sendAt: optional({ type: 'string', example: '2026-12-01T09:00:00+09:00' }),
    expiresAt: optional({ type: 'string', example: '2026-12-01T12:00:00+09:00' }),
    sender: optional({ type: 'string', maxLength: 20, description: 'A registered, approved sender (short code, long number or alphanumeric id).' }),
    callbackUrl: optional({ type: 'string', maxLength: 2048, description: 'Where status callbacks go; defaults to the tenant callback URL.' }),
    metadata: optional({ ...freeObject, description: 'Echoed in callbacks; `reference` (a string of up to 200 characters) is searchable in the console and by GET /v1/messages. No string in it may hold a NUL or an unpaired surrogate.' }),
  },
};
