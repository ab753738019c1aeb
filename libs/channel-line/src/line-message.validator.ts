import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import messagesSchema from './line-message.schema.json';

export type LineMessageValidation = { ok: true } | { ok: false; errors: string[] };

/** A LINE message object as sent in `messages` (validated before it leaves the adapter). */
export type LineMessage = { type: string } & Record<string, unknown>;

/** LINE's hard limits, also in line-message.schema.json. */
export const LINE_MAX_MESSAGES = 5;
export const LINE_MAX_TEXT_LENGTH = 5000;

// `strictTypes: false`: the per-type subschemas add properties without repeating `type: object`.
const ajv = new Ajv({ allErrors: true, strictTypes: false });
// JSON Schema's maxLength counts code points. LINE places emoji by UTF-16 index, so its text
// limit is held in UTF-16 units too: the stricter count only refuses what LINE might refuse.
ajv.addKeyword({
  keyword: 'maxUtf16Length',
  type: 'string',
  schemaType: 'number',
  validate: (max: number, data: string) => data.length <= max,
  errors: false,
});
const validate: ValidateFunction = ajv.compile(messagesSchema);

/**
 * Checks message objects against the types and limits LINE publishes, before a send. Errors name
 * the JSON path and the rule, never the value (message bodies are personal data).
 */
export function validateLineMessages(messages: unknown): LineMessageValidation {
  if (validate(messages)) return { ok: true };
  return { ok: false, errors: describe(validate.errors ?? []) };
}

function describe(errors: ErrorObject[]): string[] {
  const out = new Set<string>();
  for (const e of errors) {
    // if/then wrappers repeat the failure already reported by the inner keyword.
    if (e.keyword === 'if') continue;
    const path = toLinePath(e.instancePath) || 'messages';
    if (e.keyword === 'required') {
      out.add(`${joinPath(path, String((e.params as { missingProperty: string }).missingProperty))}: must be specified`);
    } else if (e.keyword === 'maxUtf16Length') {
      out.add(`${path}: must NOT have more than ${String(e.schema)} UTF-16 code units`);
    } else if (e.keyword === 'enum') {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.join(', ');
      out.add(`${path}: must be one of ${allowed}`);
    } else {
      out.add(`${path}: ${e.message ?? e.keyword}`);
    }
  }
  return [...out];
}

/** `/0/text` → `messages[0].text`, LINE's own notation in its 400 details. */
function toLinePath(instancePath: string): string {
  if (instancePath === '') return '';
  let path = 'messages';
  for (const part of instancePath.split('/').slice(1)) {
    path += /^\d+$/.test(part) ? `[${part}]` : `.${part.replace(/~1/g, '/').replace(/~0/g, '~')}`;
  }
  return path;
}

function joinPath(base: string, prop: string): string {
  return `${base}.${prop}`;
}
