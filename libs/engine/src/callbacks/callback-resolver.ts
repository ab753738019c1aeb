/**
 * The resolver callback URLs are judged with: on save (a tenant's URL, a message's `callbackUrl`:
 * assertCallbackUrlAllowed) and on send (guardedPost's connecting lookup). An `AllLookup` from
 * @tsunagu/security. Nothing provides it in production, so each injection falls back to the OS
 * resolver (`osResolver`, Node's `dns.lookup`); a test provides a stand-in in a global module, so
 * that one name can answer differently on save and on send (DNS rebinding) through the real
 * paths of both the api and the worker.
 */
export const CALLBACK_RESOLVER = Symbol('CALLBACK_RESOLVER');
