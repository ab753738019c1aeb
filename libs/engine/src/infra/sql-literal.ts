// pg's own conversion of a JS value to its text form (dates, arrays, buffers, objects), so an
// inlined literal means exactly what the same value sent as a parameter would.
const { prepareValue } = require('pg/lib/utils') as { prepareValue(value: unknown): string | Buffer | null };

/** One value as a quoted SQL literal (untyped, like a parameter: PostgreSQL infers its type). */
export function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  const text = prepareValue(value);
  if (text === null) return 'NULL';
  return quote(Buffer.isBuffer(text) ? `\\x${text.toString('hex')}` : text);
}

const QUOTE_OR_BACKSLASH = /['\\]/;
const QUOTES_AND_BACKSLASHES = /['\\]/g;

/**
 * The same text as pg's `escapeLiteral`: quotes and backslashes doubled, and an `E''` string when
 * there is a backslash, so the literal means the same whatever `standard_conforming_strings` says.
 * pg builds it one string concatenation per character, and V8 then flattens the result: most of
 * the 7% of the worker's CPU that rendering statements took (perf, session 13). Most values need
 * no escaping at all.
 */
export function quote(text: string): string {
  // PostgreSQL text cannot hold a NUL, and inside a statement sent over the simple protocol one
  // cuts the message short: the server answers 08P01 and drops the connection, which reads as
  // "database away" (a 503 inviting a retry that can never succeed). Refused here, as what it is.
  if (text.includes('\u0000')) throw new Error('A NUL character cannot be stored in PostgreSQL text; the value must be refused before it reaches SQL.');
  if (!QUOTE_OR_BACKSLASH.test(text)) return `'${text}'`;
  const doubled = text.replace(QUOTES_AND_BACKSLASHES, (c) => c + c);
  return text.includes('\\') ? ` E'${doubled}'` : `'${doubled}'`;
}

/**
 * `$n` placeholders replaced by literals, so statements can travel several to a round trip over
 * the simple protocol (which takes no parameters). Only our own SQL templates are scanned: a
 * value containing `$1` is inserted once, never rescanned.
 */
export function inline(sql: string, params: readonly unknown[]): string {
  return sql.replace(/\$(\d+)/g, (_, n: string) => {
    const i = Number(n) - 1;
    if (i < 0 || i >= params.length) throw new Error(`placeholder $${n} has no parameter`);
    return literal(params[i]);
  });
}
