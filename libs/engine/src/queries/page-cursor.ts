import { DomainError } from '@tsunagu/core';

/** Opaque page cursors over messages ordered newest first: the last item's time and id. */
export function encodeCursor(m: { createdAt: Date; id: string }): string {
  return Buffer.from(`${m.createdAt.toISOString()}|${m.id}`).toString('base64url');
}

export function decodeCursor(cursor: string): { at: Date; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const date = new Date(at);
  if (!id || Number.isNaN(date.getTime())) throw new DomainError('INVALID_REQUEST', 'The page cursor is not valid.');
  return { at: date, id };
}
