import { createSign, generateKeyPairSync } from 'node:crypto';
import { request } from 'node:http';
import { StartedSandboxRbm, startSandboxRbm } from './sandbox-rbm';
import { JWT_BEARER_GRANT, RBM_SCOPE } from './rbm-token.issuer';

// The RBM stand-in over real HTTP: what it answers to good and bad requests, in Google's shapes.

const EMAIL = 'sandbox-spec@test.iam.gserviceaccount.com';
const account = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
const PHONE = '+819012345678';
const AGENT = 'agent-spec';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** One raw request: node:http, so bodies, types and lengths can be as malformed as a test needs. */
function call(base: string, method: string, path: string, opts: { body?: string | Buffer; type?: string; auth?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (opts.type) headers['content-type'] = opts.type;
    if (opts.auth) headers.authorization = opts.auth;
    const req = request(`${base}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : undefined });
      });
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

function assertion(aud: string): string {
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const iat = Math.floor(Date.now() / 1000);
  const input = `${enc({ alg: 'RS256', typ: 'JWT' })}.${enc({ iss: EMAIL, scope: RBM_SCOPE, aud, iat, exp: iat + 3600 })}`;
  return `${input}.${createSign('RSA-SHA256').update(input).sign(account.privateKey).toString('base64url')}`;
}

const googleError = (code: number, status: string) => ({ error: { code, status, message: expect.any(String) } });

describe('sandbox RBM over HTTP', () => {
  let rbm: StartedSandboxRbm;
  let bearer: string;
  const json = 'application/json';

  beforeAll(async () => {
    rbm = await startSandboxRbm({ serviceAccountPublicKeys: { [EMAIL]: account.publicKey }, clientToken: 'spec-client-token' });
    const form = new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion: assertion(rbm.tokenUrl) }).toString();
    const grant = await call(rbm.baseUrl, 'POST', '/token', { body: form, type: 'application/x-www-form-urlencoded' });
    expect(grant.status).toBe(200);
    expect(grant.headers['cache-control']).toBe('no-store');
    bearer = `Bearer ${grant.body.access_token}`;
  });
  afterAll(() => rbm.close());

  const capabilities = (phone: string, query: string, auth?: string) =>
    call(rbm.baseUrl, 'GET', `/v1/phones/${encodeURIComponent(phone)}/capabilities${query}`, { auth });
  const create = (query: string, body: string | Buffer, type = json) =>
    call(rbm.baseUrl, 'POST', `/v1/phones/${encodeURIComponent(PHONE)}/agentMessages${query}`, { auth: bearer, body, type });

  it('refuses token requests it cannot grant, in OAuth’s shape', async () => {
    const wrongGrant = await call(rbm.baseUrl, 'POST', '/token', { body: 'grant_type=password', type: 'application/x-www-form-urlencoded' });
    expect(wrongGrant).toMatchObject({ status: 400, body: { error: 'unsupported_grant_type' } });
    const notAForm = await call(rbm.baseUrl, 'POST', '/token', { body: '{"grant_type":"x"}', type: json });
    expect(notAForm).toMatchObject({ status: 400, body: { error: 'unsupported_grant_type' } });
    const huge = await call(rbm.baseUrl, 'POST', '/token', { body: 'a='.padEnd(20_000, 'x'), type: 'application/x-www-form-urlencoded' });
    expect(huge).toMatchObject({ status: 413, body: googleError(413, 'INVALID_ARGUMENT') });
  });

  it('answers a capability check for a scripted number, and checks credentials, agent, number and request id in that order', async () => {
    rbm.control.script(PHONE, 'capable');
    const ok = await capabilities(PHONE, `?agentId=${AGENT}&requestId=r1`, bearer);
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(ok.body.features).toEqual(expect.arrayContaining(['RICHCARD_STANDALONE']));

    expect(await capabilities(PHONE, `?agentId=${AGENT}&requestId=r1`)).toMatchObject({ status: 401, body: googleError(401, 'UNAUTHENTICATED') });
    expect(await capabilities(PHONE, `?agentId=${AGENT}&requestId=r1`, 'Bearer forged')).toMatchObject({ status: 401 });
    expect(await capabilities('090-1234', '?requestId=r1', bearer)).toMatchObject({ status: 400, body: { error: { message: 'agentId is required.' } } });
    expect(await capabilities(PHONE, `?agentId=${AGENT}&agentId=other&requestId=r1`, bearer)).toMatchObject({ status: 400, body: { error: { message: 'agentId is required.' } } });
    expect(await capabilities('090-1234', `?agentId=${AGENT}&requestId=r1`, bearer)).toMatchObject({ status: 400, body: { error: { message: 'The phone number must be in E.164 format.' } } });
    expect(await capabilities(PHONE, `?agentId=${AGENT}`, bearer)).toMatchObject({ status: 400, body: { error: { message: 'requestId is required.' } } });

    rbm.control.script(PHONE, 'not_capable');
    expect(await capabilities(PHONE, `?agentId=${AGENT}&requestId=r2`, bearer)).toMatchObject({ status: 404, body: googleError(404, 'NOT_FOUND') });
  });

  it('creates and revokes an agent message, and refuses bodies that are not a valid AgentMessage', async () => {
    rbm.control.script(PHONE, 'capable');
    const message = JSON.stringify({ contentMessage: { text: 'spec' } });
    const created = await create(`?agentId=${AGENT}&messageId=m-1`, message);
    expect(created.status).toBe(200);
    expect(Object.keys(rbm.control.records().messages)).toContain('m-1');
    const revoked = await call(rbm.baseUrl, 'DELETE', `/v1/phones/${encodeURIComponent(PHONE)}/agentMessages/m-1?agentId=${AGENT}`, { auth: bearer });
    expect(revoked.status).toBe(200);
    expect(rbm.control.records().revokes).toEqual([{ messageId: 'm-1', status: 200 }]);

    expect(await create(`?agentId=${AGENT}`, message)).toMatchObject({ status: 400, body: { error: { message: 'messageId is required.' } } });
    expect(await create(`?agentId=${AGENT}&messageId=m-2`, '{"contentMessage":')).toMatchObject({ status: 400, body: { error: { message: 'Invalid JSON payload received.' } } });
    expect(await create(`?agentId=${AGENT}&messageId=m-3`, '"text"')).toMatchObject({ status: 400, body: { error: { message: 'Invalid JSON payload received.' } } });
    expect(await create(`?agentId=${AGENT}&messageId=m-4`, message, 'text/plain')).toMatchObject({ status: 400, body: googleError(400, 'INVALID_ARGUMENT') });
    expect(await create(`?agentId=${AGENT}&messageId=m-5`, Buffer.alloc(300 * 1024, 0x20))).toMatchObject({ status: 413, body: googleError(413, 'INVALID_ARGUMENT') });
    for (const id of ['m-2', 'm-3', 'm-4', 'm-5']) expect(rbm.control.records().messages[id]).toBeUndefined();
  });

  it('answers unknown routes and malformed paths in Google’s error shape, and keeps serving', async () => {
    expect(await call(rbm.baseUrl, 'GET', '/v1/phones/x/unknown', { auth: bearer })).toMatchObject({ status: 404, body: googleError(404, 'NOT_FOUND') });
    expect(await call(rbm.baseUrl, 'PUT', `/v1/phones/${encodeURIComponent(PHONE)}/capabilities`, { auth: bearer })).toMatchObject({ status: 404 });
    expect(await call(rbm.baseUrl, 'GET', '/v1/phones/%E0%A4%A/capabilities', { auth: bearer })).toMatchObject({ status: 400, body: googleError(400, 'INVALID_ARGUMENT') });
    expect(await capabilities(PHONE, `?agentId=${AGENT}&requestId=r3`, bearer)).toMatchObject({ status: 200 });
  });

  it('is driven over /control: script, reply, records and reset', async () => {
    const other = '+819099999999';
    expect((await call(rbm.baseUrl, 'POST', '/control/script', { body: JSON.stringify({ phone: other, outcome: 'capable' }), type: json })).status).toBe(204);
    expect(await capabilities(other, `?agentId=${AGENT}&requestId=r4`, bearer)).toMatchObject({ status: 200 });
    expect(await call(rbm.baseUrl, 'POST', '/control/script', { body: JSON.stringify({ phone: other, outcome: 'explode' }), type: json })).toMatchObject({ status: 400, body: { error: expect.stringContaining('phone and outcome') } });
    expect(await call(rbm.baseUrl, 'POST', '/control/script', { body: '{', type: json })).toMatchObject({ status: 400, body: googleError(400, 'INVALID_ARGUMENT') });
    expect(await call(rbm.baseUrl, 'POST', '/control/reply', { body: '{}', type: json })).toMatchObject({ status: 400, body: { error: 'phone is required' } });

    const records = await call(rbm.baseUrl, 'GET', '/control/records');
    expect(records.status).toBe(200);
    expect(records.body.tokensIssued[EMAIL]).toBeGreaterThanOrEqual(1);
    expect((await call(rbm.baseUrl, 'POST', '/control/reset')).status).toBe(204);
    expect((await call(rbm.baseUrl, 'GET', '/control/records')).body.tokensIssued).toEqual({});
  });

  it('revokes issued tokens and scripts the token endpoint over /control', async () => {
    const form = () => new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion: assertion(rbm.tokenUrl) }).toString();
    const askToken = () => call(rbm.baseUrl, 'POST', '/token', { body: form(), type: 'application/x-www-form-urlencoded' });
    const own = `Bearer ${(await askToken()).body.access_token}`;
    expect(await capabilities(PHONE, `?agentId=${AGENT}&requestId=r5`, own)).toMatchObject({ status: 200 });
    const before = rbm.control.records().unauthenticatedCalls;
    expect(await call(rbm.baseUrl, 'POST', '/control/revoke-tokens', { body: JSON.stringify({ clientEmail: EMAIL }), type: json })).toMatchObject({ status: 200, body: { revoked: 1 } });
    expect(await capabilities(PHONE, `?agentId=${AGENT}&requestId=r6`, own)).toMatchObject({ status: 401, body: googleError(401, 'UNAUTHENTICATED') });
    expect(rbm.control.records().unauthenticatedCalls).toBe(before + 1);
    expect(await call(rbm.baseUrl, 'POST', '/control/revoke-tokens', { body: JSON.stringify({ clientEmail: 7 }), type: json })).toMatchObject({ status: 400 });

    const outcome = (o: unknown) => call(rbm.baseUrl, 'POST', '/control/token-outcome', { body: JSON.stringify({ clientEmail: EMAIL, outcome: o }), type: json });
    expect((await outcome('refuse')).status).toBe(204);
    expect(await askToken()).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect((await outcome('unavailable')).status).toBe(204);
    expect((await askToken()).status).toBe(503);
    expect(await outcome('explode')).toMatchObject({ status: 400, body: { error: expect.stringContaining('clientEmail and outcome') } });
    expect((await outcome('issue')).status).toBe(204);
    expect((await askToken()).status).toBe(200);
  });

  it("runs its clock off the machine's over /control: Date says its time, and an assertion by the machine's is refused in Google's words", async () => {
    const form = new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion: assertion(rbm.tokenUrl) }).toString();
    const askToken = () => call(rbm.baseUrl, 'POST', '/token', { body: form, type: 'application/x-www-form-urlencoded' });
    const clock = (offsetSeconds: unknown) => call(rbm.baseUrl, 'POST', '/control/clock', { body: JSON.stringify({ offsetSeconds }), type: json });
    const dateOf = (reply: Reply) => Date.parse(reply.headers.date as string);

    expect((await clock(600)).status).toBe(204);
    const refused = await askToken();
    expect(refused).toMatchObject({ status: 400, body: { error: 'invalid_grant', error_description: expect.stringContaining('Check your iat and exp values') } });
    expect(Math.abs(dateOf(refused) - (Date.now() + 600_000))).toBeLessThan(2000);
    // Every route's Date is the same clock's.
    expect(Math.abs(dateOf(await capabilities(PHONE, `?agentId=${AGENT}&requestId=r7`)) - (Date.now() + 600_000))).toBeLessThan(2000);
    expect(await clock('ten')).toMatchObject({ status: 400, body: { error: expect.stringContaining('offsetSeconds') } });

    expect((await clock(0)).status).toBe(204);
    const granted = await askToken();
    expect(granted.status).toBe(200);
    expect(Math.abs(dateOf(granted) - Date.now())).toBeLessThan(2000);
  });
});
