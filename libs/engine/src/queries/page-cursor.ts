import { DomainError, isUuid } from '@tsunagu/core';

/** Opaque page cursors over messages ordered newest first: the last item's time and id. */
export function encodeCursor(m: { createdAt: Date; id: string }): string {
  return Buffer.from(`${m.createdAt.toISOString()}|${m.id}`).toString('base64url');
}

/** Exactly what `toISOString` writes: a cursor is ours, so anything else was not made by us. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** A cursor we did not make (or one altered) is 400, never a query PostgreSQL refuses (a 500). */
export function decodeCursor(cursor: string): { at: Date; id: string } {
  const [at, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const date = new Date(at);
  if (rest.length || !id || !isUuid(id) || !ISO_INSTANT.test(at) || Number.isNaN(date.getTime())) {
    throw new DomainError('INVALID_REQUEST', 'The page cursor is not valid.');
  }
  return { at: date, id };
}
