import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import YAML from 'yaml';

type Schema = Record<string, unknown>;

const LINE_SPEC_FILES = ['messaging-api.yml', 'webhook.yml', 'channel-access-token.yml'] as const;

/**
 * LINE's published OpenAPI descriptions (line/line-openapi, Apache-2.0), kept in the repository at
 * `specs/line` so a fresh clone tests against them; `TSUNAGU_LINE_SPECS` points at another copy.
 * Missing specs fail the test that needs them, with a message saying where they were looked for;
 * they are never skipped.
 */
export function lineSpecDir(): string {
  const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');
  const dir = process.env.TSUNAGU_LINE_SPECS ? path.resolve(process.env.TSUNAGU_LINE_SPECS) : path.join(repoRoot, 'specs', 'line');
  if (!LINE_SPEC_FILES.every((file) => existsSync(path.join(dir, file)))) {
    throw new Error(`LINE OpenAPI specs not found in ${dir} (expected ${LINE_SPEC_FILES.join(', ')}; see specs/line/README.md).`);
  }
  return dir;
}

/**
 * OpenAPI 3 polymorphism as ajv can run it. LINE's specs put a `discriminator` on the base
 * schema (Message, Action, FlexComponent, Event, ...) and each subtype is `allOf: [base, ...]`,
 * which is a cycle for a validator. Each discriminated base becomes:
 *   `<Name>__Base` (its own properties, no discriminator), and
 *   `<Name>` = base ∧ type ∈ mapping keys ∧ (type = k ⇒ mapping[k]) for every k,
 * and the subtypes' `allOf` point at `<Name>__Base` instead of `<Name>`.
 */
function rewriteDiscriminators(schemas: Record<string, Schema>): Record<string, Schema> {
  const ref = (name: string) => `#/components/schemas/${name}`;
  const out: Record<string, Schema> = structuredClone(schemas);
  const bases = new Set<string>();
  for (const [name, schema] of Object.entries(schemas)) {
    const d = schema['discriminator'] as { propertyName: string; mapping?: Record<string, string> } | undefined;
    if (!d?.mapping) continue;
    bases.add(ref(name));
    const { discriminator: _omit, ...base } = structuredClone(schema);
    out[`${name}__Base`] = base;
    const keys = Object.keys(d.mapping);
    out[name] = {
      allOf: [
        { $ref: ref(`${name}__Base`) },
        { required: [d.propertyName], properties: { [d.propertyName]: { enum: keys } } },
        ...keys.map((k) => ({ if: { properties: { [d.propertyName]: { const: k } } }, then: { $ref: d.mapping?.[k] } })),
      ],
    };
  }
  // Subtypes (and subtypes that are bases themselves) extend the base without its discriminator.
  for (const schema of Object.values(out)) {
    if (!Array.isArray(schema['allOf'])) continue;
    schema['allOf'] = (schema['allOf'] as Schema[]).map((part) =>
      typeof part['$ref'] === 'string' && bases.has(part['$ref']) ? { ...part, $ref: `${part['$ref']}__Base` } : part,
    );
  }
  return out;
}

/** A validator for `#/components/schemas/<name>` of one of LINE's spec files. */
export function lineSchemaValidator(file: (typeof LINE_SPEC_FILES)[number]): (name: string) => ValidateFunction {
  const doc = YAML.parse(readFileSync(path.join(lineSpecDir(), file), 'utf8')) as { components: { schemas: Record<string, Schema> } };
  // strict: false — OpenAPI keywords (nullable, example, externalDocs) are not JSON Schema.
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  for (const f of ['int32', 'int64', 'float', 'double', 'byte', 'binary']) ajv.addFormat(f, true);
  ajv.addSchema({ components: { schemas: rewriteDiscriminators(doc.components.schemas) } }, file);
  return (name) => {
    const validate = ajv.getSchema(`${file}#/components/schemas/${name}`);
    if (!validate) throw new Error(`${file} has no schema ${name}`);
    return validate;
  };
}
