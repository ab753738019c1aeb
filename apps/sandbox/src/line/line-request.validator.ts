/**
 * Request checks the way the Messaging API answers them: 400 with `{message, details:[{message,
 * property}]}`. Written independently of the adapter's ajv schema on purpose, so that a mistake
 * in one is caught by the other.
 */
export interface LineErrorBody {
  message: string;
  details?: { message: string; property: string }[];
}

const MESSAGE_TYPES = ['text', 'textV2', 'sticker', 'image', 'video', 'audio', 'location', 'imagemap', 'template', 'flex', 'coupon'];
const USER_OR_CHAT_ID = /^[UCR][0-9a-f]{32}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const LINE_ERRORS = {
  unauthorized: { message: 'Authentication failed. Confirm that the access token in the authorization header is valid.' },
  notJson: { message: 'The request body could not be parsed as JSON' },
  retryKey: { message: "The value for the 'X-Line-Retry-Key' header is invalid" },
  // LINE documents the 400 but not its wording.
  retryKeyNotSupported: { message: "The 'X-Line-Retry-Key' header is not supported by this API" },
  deliveryTag: { message: "The value for the 'X-Line-Delivery-Tag' header is invalid" },
  invalidTo: { message: "The property, 'to', in the request body is invalid (line: -, column: -)" },
  retryKeyAccepted: { message: 'The retry key is already accepted' },
  tooManyRequests: { message: 'Too Many Requests' },
  monthlyLimit: { message: 'You have reached your monthly limit.' },
  serverError: { message: 'Internal server error' },
  forbidden: { message: 'Access to this API is not available for your account' },
  failedToSend: { message: 'Failed to send messages' },
  notFound: { message: 'Not found' },
} satisfies Record<string, LineErrorBody>;

/**
 * Only push, multicast, narrowcast and broadcast take a retry key; any other API, LINE
 * notification messages (PNP) included, refuses a request carrying one with 400
 * (developers.line.biz: "Retry failed API requests", and the PNP reference's "Unsupported features").
 */
export function checkRetryKey(value: string | null, kind: 'push' | 'pnp'): LineErrorBody | null {
  if (value === null) return null;
  if (kind === 'pnp') return LINE_ERRORS.retryKeyNotSupported;
  return UUID.test(value) ? null : LINE_ERRORS.retryKey;
}

export function checkDeliveryTag(value: string | null): LineErrorBody | null {
  return value === null || (value.length >= 16 && value.length <= 100) ? null : LINE_ERRORS.deliveryTag;
}

/** Push: `to` is a user, group or room id. PNP: `to` is the SHA-256 hex of an E.164 number. */
export function checkSendRequest(body: unknown, kind: 'push' | 'pnp'): LineErrorBody | null {
  if (!isRecord(body)) return LINE_ERRORS.notJson;
  const to = body['to'];
  if (typeof to !== 'string' || !(kind === 'push' ? USER_OR_CHAT_ID : SHA256_HEX).test(to)) return LINE_ERRORS.invalidTo;
  const details: { message: string; property: string }[] = [];
  const messages = body['messages'];
  if (!Array.isArray(messages) || messages.length < 1 || messages.length > 5) {
    details.push({ message: 'Size must be between 1 and 5', property: 'messages' });
  } else {
    messages.forEach((m, i) => details.push(...checkMessage(m, `messages[${i}]`)));
  }
  if (body['notificationDisabled'] !== undefined && typeof body['notificationDisabled'] !== 'boolean') {
    details.push({ message: 'Must be a boolean', property: 'notificationDisabled' });
  }
  return details.length === 0 ? null : { message: `The request body has ${details.length} error(s)`, details };
}

function checkMessage(m: unknown, at: string): { message: string; property: string }[] {
  if (!isRecord(m)) return [{ message: 'Must be an object', property: at }];
  const out: { message: string; property: string }[] = [];
  const need = (prop: string, check: (v: unknown) => string | null) => {
    const v = m[prop];
    const problem = v === undefined || v === null ? 'Must be specified' : check(v);
    if (problem) out.push({ message: problem, property: `${at}.${prop}` });
  };
  const text = (max: number) => (v: unknown) =>
    typeof v !== 'string' || v.length === 0 ? 'Must be a non-empty string' : v.length > max ? `Length must be between 0 and ${max}` : null;
  const https = (v: unknown) =>
    typeof v === 'string' && v.startsWith('https://') && v.length <= 2000 ? null : 'Must be a valid HTTPS URL';
  const number = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? null : 'Must be a number');
  const object = (v: unknown) => (isRecord(v) && typeof v['type'] === 'string' ? null : 'Must be an object with a type');

  const type = m['type'];
  if (typeof type !== 'string' || !MESSAGE_TYPES.includes(type)) {
    return [{ message: `Must be one of the following values: [${MESSAGE_TYPES.join(', ')}]`, property: `${at}.type` }];
  }
  switch (type) {
    case 'text':
    case 'textV2':
      need('text', text(5000));
      break;
    case 'sticker':
      need('packageId', text(100));
      need('stickerId', text(100));
      break;
    case 'image':
    case 'video':
      need('originalContentUrl', https);
      need('previewImageUrl', https);
      break;
    case 'audio':
      need('originalContentUrl', https);
      need('duration', number);
      break;
    case 'location':
      need('title', text(100));
      need('address', text(100));
      need('latitude', number);
      need('longitude', number);
      break;
    case 'imagemap':
      need('baseUrl', https);
      need('altText', text(1500));
      need('baseSize', (v) => (isRecord(v) && typeof v['width'] === 'number' && typeof v['height'] === 'number' ? null : 'Must have width and height'));
      need('actions', (v) => (Array.isArray(v) ? null : 'Must be an array'));
      break;
    case 'template':
      need('altText', text(1500));
      need('template', object);
      break;
    case 'flex':
      need('altText', text(1500));
      need('contents', object);
      break;
    case 'coupon':
      need('couponId', text(100));
      break;
  }
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
