import { DomainError } from '@tsunagu/core';
import type { SenderKind } from '@tsunagu/database';

export interface SenderAddress {
  address: string;
  kind: SenderKind;
  ton: number;
  npi: number;
}

/**
 * Classifies a sender address the way carriers register them: the common short codes
 * (`0005` + 4–6 digits), long numbers, and alphanumeric ids (international routes only).
 */
export function classifySender(raw: string): SenderAddress {
  const address = raw.trim();
  if (/^0005\d{4,6}$/.test(address)) return { address, kind: 'short_code', ton: 3, npi: 0 };
  if (/^\+[1-9]\d{7,14}$/.test(address)) return { address, kind: 'long_number', ton: 1, npi: 1 };
  if (/^0\d{9,10}$/.test(address)) return { address, kind: 'long_number', ton: 2, npi: 1 };
  if (/^(?=.*[A-Za-z])[A-Za-z0-9 .-]{1,11}$/.test(address)) return { address, kind: 'alphanumeric', ton: 5, npi: 0 };
  throw new DomainError(
    'VALIDATION_FAILED',
    'A sender is a short code (0005 and 4–6 digits), a long number (+E.164 or 0…), or an alphanumeric id of at most 11 characters.',
    { field: 'address' },
  );
}
