/**
 * A message's words — what it said and what the CRM attached — as erasure on request and the
 * retention sweep both remove them, leaving states, reasons, routes and ids. One definition, so
 * the two cannot drift apart.
 */
export const MESSAGE_WORDS_GONE = `text = NULL, text_redacted = true, rcs = NULL, line = NULL, metadata = NULL, updated_at = now()`;

/** The same words in a callback's body (an inbound reply's text, the message's metadata). */
export const CALLBACK_WORDS_GONE = `payload - 'text' - 'metadata'`;
