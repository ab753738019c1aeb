import { DomainError, isUuid } from '@tsunagu/core';

/**
 * A message's `created_at` as PostgreSQL keeps it, to the microsecond, for a cursor: a JS Date
 * keeps milliseconds, and a cursor cut to them passed over every row of its last item's
 * millisecond that the page had not shown (accepts committed together share one `now()`).
 */
export function cursorAt(alias: string): string {
  return `to_char(${alias}.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}

/** Opaque page cursors over messages ordered newest first: the last item's time (from `cursorAt`) and id. */
export function encodeCursor(m: { at: string; id: string }): string {
  return Buffer.from(`${m.at}|${m.id}`).toString('base64url');
}

/** What `cursorAt` writes, or what `toISOString` wrote (cursors handed out before it): a cursor is ours, so anything else was not made by us. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.(\d{3}|\d{6})Z$/;

/**
 * A cursor we did not make (or one altered) is 400, never a query PostgreSQL refuses (a 500).
 * `at` stays text, so PostgreSQL reads its microseconds (a Date parameter would lose them).
 */
export function decodeCursor(cursor: string): { at: string; id: string } {
  const [at, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (rest.length || !id || !isUuid(id) || !ISO_INSTANT.test(at ?? '') || Number.isNaN(new Date(at).getTime())) {
    throw new DomainError('INVALID_REQUEST', 'The page cursor is not valid.');
  }
  return { at, id };
}

/** The cursor after `last`, from a page read with `cursorAt(…)` selected as `cursor_at`. */
export function cursorAfter(last: { id: string }, raw: { m_id: string; cursor_at: string }[]): string {
  const row = raw.find((r) => r.m_id === last.id);
  if (!row) throw new Error('page cursor: the last item is not among the rows read');
  return encodeCursor({ at: row.cursor_at, id: last.id });
}
