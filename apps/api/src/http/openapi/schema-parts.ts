/** Small JSON Schema builders for the documented responses (OpenAPI 3.0: `nullable`, not type arrays). */

export type Schema = Record<string, unknown>;

export const str = (extra: Schema = {}): Schema => ({ type: 'string', ...extra });
export const int = (extra: Schema = {}): Schema => ({ type: 'integer', ...extra });
export const bool = (extra: Schema = {}): Schema => ({ type: 'boolean', ...extra });
export const uuid = (extra: Schema = {}): Schema => str({ format: 'uuid', ...extra });
export const time = (extra: Schema = {}): Schema => str({ format: 'date-time', ...extra });
export const nullable = (s: Schema): Schema => ({ ...s, nullable: true });
export const list = (items: Schema, extra: Schema = {}): Schema => ({ type: 'array', items, ...extra });
/** Free-form JSON: whatever the CRM or the policy put there. */
export const anyObject = (extra: Schema = {}): Schema => ({ type: 'object', additionalProperties: true, ...extra });

/** An object whose every property is required and no other is allowed: the document says all of it. */
export function exact(properties: Record<string, Schema>, extra: Schema = {}): Schema {
  return { type: 'object', additionalProperties: false, required: Object.keys(properties), properties, ...extra };
}
