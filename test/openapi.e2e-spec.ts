import Ajv from 'ajv';
import { EngineHarness, post, startEngine } from './support/engine-harness';

interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: object }> }; security?: unknown[] }>>;
}

/** The OpenAPI document at /docs describes the API a CRM calls, and its body schema is the one the api enforces. */
describe('OpenAPI at /docs', () => {
  let engine: EngineHarness;
  let doc: OpenApiDoc;

  beforeAll(async () => {
    engine = await startEngine({ label: 'openapi', startWorker: false });
    const res = await fetch(`${engine.baseUrl}/docs/openapi.json`);
    expect(res.status).toBe(200);
    doc = (await res.json()) as OpenApiDoc;
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('lists the /v1 routes with bearer auth', () => {
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/messages', '/v1/messages/{id}', '/v1/messages/{id}/cancel', '/v1/contacts/lookup', '/v1/contacts/{id}/conversation']),
    );
    expect(doc.paths['/v1/messages'].post.security).toEqual([{ bearer: [] }]);
  });

  it('documents the send body with the schema that checks it: a body it accepts is accepted, one it refuses is refused', async () => {
    const schema = doc.paths['/v1/messages'].post.requestBody?.content['application/json'].schema;
    expect(schema).toBeDefined();
    const validate = new Ajv({ strict: false }).compile(schema as object);
    const good = { to: { phone: '+819012345678' }, category: 'transactional', text: 'ご予約は明日10時です。' };
    const bad = { ...good, extra: true };
    expect([validate(good), validate(bad)]).toEqual([true, false]);

    expect((await post(engine, '/v1/messages', good, { 'idempotency-key': 'openapi-good' })).status).toBe(202);
    const refused = await post(engine, '/v1/messages', bad, { 'idempotency-key': 'openapi-bad' });
    expect([refused.status, refused.body.code]).toEqual([400, 'UNKNOWN_FIELD']);
  });
});
