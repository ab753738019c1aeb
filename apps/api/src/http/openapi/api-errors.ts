import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { ERROR_STATUS, ErrorCode } from '@tsunagu/core';

/** Every refusal's body: a stable machine-readable code, a human message, and details for some. */
export const ERROR_BODY_SCHEMA: SchemaObject & { properties: Record<string, SchemaObject> } = {
  type: 'object',
  additionalProperties: false,
  required: ['code', 'message'],
  properties: {
    code: { type: 'string', enum: Object.keys(ERROR_STATUS), description: 'Stable: branch on this, never on the message.' },
    message: { type: 'string', description: 'For people; may change wording.' },
    details: { type: 'object', additionalProperties: true, description: 'Extra facts for some codes, e.g. `problems` for INVALID_REQUEST.' },
  },
};

const HEADERS_429_503 = { 'Retry-After': { description: 'Seconds to wait before retrying (with the same Idempotency-Key).', schema: { type: 'integer' } } };

/**
 * The error responses an operation can give, each listing the codes that map to its status, read
 * from ERROR_STATUS itself: the document cannot name a code the api does not have, or miss one.
 * `only` narrows a status to the codes this operation can really answer with.
 */
export function ApiErrors(statuses: number[], only: Partial<Record<number, ErrorCode[]>> = {}) {
  return applyDecorators(
    ...statuses.map((status) => {
      const codes = only[status] ?? (Object.keys(ERROR_STATUS) as ErrorCode[]).filter((c) => ERROR_STATUS[c] === status);
      return ApiResponse({
        status,
        description: codes.map((c) => `\`${c}\``).join(', '),
        schema: { ...ERROR_BODY_SCHEMA, properties: { ...ERROR_BODY_SCHEMA.properties, code: { type: 'string', enum: codes } } },
        ...(status === 429 || status === 503 ? { headers: HEADERS_429_503 } : {}),
      });
    }),
  );
}

/** What every `/v1` operation can answer besides its own errors: the key, its scope, its rate. */
export const ApiKeyErrors = () => ApiErrors([401, 403, 429], { 401: ['UNAUTHENTICATED'], 403: ['INSUFFICIENT_SCOPE', 'FORBIDDEN'], 429: ['RATE_LIMITED'] });

/** A success response with its documented schema (checked against real answers by `test/openapi.e2e-spec.ts`). */
export const ApiAnswer = (status: number, schema: Record<string, unknown>, description = '', headers?: Record<string, { description: string; schema: SchemaObject }>) =>
  ApiResponse({ status, description, schema: schema as SchemaObject, ...(headers ? { headers } : {}) });
