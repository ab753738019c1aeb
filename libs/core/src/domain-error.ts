/**
 * Every refusal a client can act on carries a stable machine-readable code.
 * The HTTP status lives beside the code so that one exception filter maps them all.
 */
export const ERROR_STATUS = {
  // 400
  INVALID_JSON: 400,
  INVALID_REQUEST: 400,
  UNKNOWN_FIELD: 400,
  INVALID_ID: 400,
  IDEMPOTENCY_KEY_REQUIRED: 400,
  INVALID_IDEMPOTENCY_KEY: 400,
  INVALID_PAYLOAD: 400,
  API_KEY_IN_QUERY: 400,
  // 401 / 403 / 404 / 409
  UNAUTHENTICATED: 401,
  INVALID_SIGNATURE: 401,
  INSUFFICIENT_SCOPE: 403,
  FORBIDDEN: 403,
  /** A sender is approved by the platform's operators, never by the organisation that asked for it. */
  OPERATOR_APPROVAL_REQUIRED: 403,
  NOT_FOUND: 404,
  IDEMPOTENCY_IN_PROGRESS: 409,
  MESSAGE_ALREADY_FINAL: 409,
  /** A callback asked to be sent again is still being tried: its next try is already scheduled. */
  CALLBACK_ALREADY_PENDING: 409,
  CONFLICT: 409,
  // 413 / 415
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  // 422
  IDEMPOTENCY_KEY_REUSED: 422,
  INVALID_PHONE_NUMBER: 422,
  NUMBER_CANNOT_RECEIVE_SMS: 422,
  DESTINATION_NOT_ALLOWED: 422,
  SENDER_NOT_APPROVED: 422,
  BODY_EMPTY: 422,
  BODY_TOO_LONG: 422,
  INVALID_TEXT: 422,
  BODY_CONTAINS_CARD_NUMBER: 422,
  BODY_CONTAINS_MY_NUMBER: 422,
  UNKNOWN_CHANNEL: 422,
  INVALID_CHANNEL_POLICY: 422,
  CHANNEL_NOT_ALLOWED_FOR_OTP: 422,
  NO_REACHABLE_CHANNEL: 422,
  INVALID_SCHEDULE: 422,
  INVALID_EXPIRY: 422,
  CALLBACK_URL_NOT_ALLOWED: 422,
  /** A callback to send again, and neither its message nor the tenant has a URL for it. */
  NO_CALLBACK_URL: 422,
  VALIDATION_FAILED: 422,
  // 429 / 5xx
  RATE_LIMITED: 429,
  OVERLOADED: 503,
  /** PostgreSQL could not be reached or asked us to try again; a retry with the same key finds whatever was recorded. */
  UNAVAILABLE: 503,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export function isDomainError(err: unknown): err is DomainError {
  return err instanceof DomainError;
}
