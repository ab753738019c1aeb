import { DomainError } from '@tsunagu/core';
import type { ContactEntity } from '@tsunagu/database';

/**
 * An erased contact keeps its id and history but has no number or LINE link to use or give
 * back. Anything that would need them (a send, a reveal, a new link) is refused the same way;
 * the person is not lost: their next message starts a new contact.
 */
export function assertNotErased(contact: Pick<ContactEntity, 'erasedAt'>): void {
  if (contact.erasedAt) throw new DomainError('CONFLICT', "This contact's data was erased on request; a new message to the person starts a new contact.");
}
