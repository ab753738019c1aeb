/**
 * The one way an adapter reports failure. Provider errors are classified into this in one pure
 * parser per provider; the engine acts on `kind` in one place.
 *
 * - retryable: nothing reached the person; the same attempt may be sent again after a backoff.
 * - permanent: this channel will not deliver this attempt; the policy moves to the next channel.
 * - unknown_outcome: the provider may have accepted it (an SMPP submit lost with its bind);
 *   never resent, the policy moves on after the timeout.
 */
export type ChannelErrorKind = 'retryable' | 'permanent' | 'unknown_outcome';

export class ChannelError extends Error {
  constructor(
    readonly kind: ChannelErrorKind,
    readonly code: string,
    message?: string,
    readonly retryAfterMs?: number,
  ) {
    super(message ?? code);
    this.name = 'ChannelError';
  }

  /** The provider's id for the refused request (LINE's `x-line-request-id`), kept on the attempt's event. */
  providerRequestId?: string;

  withProviderRequestId(id: string | null | undefined): this {
    if (id) this.providerRequestId = id;
    return this;
  }

  static retryable(code: string, message?: string, retryAfterMs?: number): ChannelError {
    return new ChannelError('retryable', code, message, retryAfterMs);
  }

  static permanent(code: string, message?: string): ChannelError {
    return new ChannelError('permanent', code, message);
  }

  static unknownOutcome(code: string, message?: string): ChannelError {
    return new ChannelError('unknown_outcome', code, message);
  }
}

export function isChannelError(err: unknown): err is ChannelError {
  return err instanceof ChannelError;
}

/** A webhook or PDU that must be refused: bad signature (401) or malformed payload (400). */
export class InvalidInboundError extends Error {
  constructor(
    readonly code: 'INVALID_SIGNATURE' | 'INVALID_PAYLOAD',
    message: string,
  ) {
    super(message);
    this.name = 'InvalidInboundError';
  }
}
