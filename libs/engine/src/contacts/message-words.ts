/**
 * A message's words — what it said and what the CRM attached — as erasure on request and the
 * retention sweep both remove them, leaving states, reasons, routes and ids. One definition, so
 * the two cannot drift apart.
 *
 * `crm_ref` is the metadata's `reference`, copied to a column (and `messages_crm_ref`) so history
 * can be searched by it (`GET /v1/messages?reference=`, the console). It goes with the metadata:
 * a CRM's reference is often its customer number, which names the person as well as a phone
 * number does, and left behind it would still find the message (and open its conversation)
 * after the words are gone.
 */
export const MESSAGE_WORDS_GONE = `text = NULL, text_redacted = true, rcs = NULL, line = NULL, metadata = NULL, crm_ref = NULL, updated_at = now()`;

/** The same words in a callback's body (an inbound reply's text, the message's metadata). */
export const CALLBACK_WORDS_GONE = `payload - 'text' - 'metadata'`;
