/** The document's introduction: what every operation shares, said once. */
export const API_DESCRIPTION = [
  'Channel-fallback messaging: one notification, delivered by RCS, else SMS over a domestic direct route, else LINE.',
  '',
  '**Authentication.** `Authorization: Bearer tsk_<id>_<secret>`, a tenant API key; each operation names the scope it needs (`messages:send`, `messages:read`, `admin`). Keys in a query string are refused.',
  '',
  '**Idempotency.** `POST /v1/messages` needs an `Idempotency-Key`: the same key and body replay the first answer; the same key with another body is `422 IDEMPOTENCY_KEY_REUSED`.',
  '',
  '**Errors.** Every refusal is `{ "code", "message", "details"? }` with a stable `code`; each operation lists the codes it can answer. `429 RATE_LIMITED` and `503 OVERLOADED`/`UNAVAILABLE` carry `Retry-After`.',
  '',
  '**Callbacks.** Every message and attempt state change, and every reply, is POSTed to the message\'s `callbackUrl` (or the tenant\'s), signed like Standard Webhooks: see the callbacks of `POST /v1/messages`. Failed ones are retried for 24 h; `GET /v1/messages/{id}/callbacks` shows each try, and `POST /v1/callbacks/{id}/redeliver` or `/v1/callbacks/recover` sends them again under the same `webhook-id`.',
  '',
  '**Personal data.** Phone numbers travel in bodies, never in URLs, and come back masked.',
].join('\n');
