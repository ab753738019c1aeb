import type { IncomingMessage, ServerResponse } from 'node:http';
import { finished } from 'node:stream/promises';
import getRawBody from 'raw-body';
import { validateAgentMessage } from './agent-message.validator';
import { googleError, RbmAnswer, RbmSandboxState } from './rbm-sandbox.state';
import { RBM_OUTCOMES, RbmOutcome, RbmScript, SandboxRbmRecords, SandboxReply } from './rbm-sandbox.types';
import { GOOGLE_TOKEN_AUDIENCE, RbmTokenIssuer, TOKEN_OUTCOMES, TokenEndpointDown, TokenOutcome, TokenRefusal } from './rbm-token.issuer';

/*
 * The RBM stand-in answers on bare node:http, with no framework. Every SMS the pipeline bench
 * sends first asks it for the number's RCS capability, and with Express in front that routing
 * was a quarter of the bench process's own CPU: CPU the real Google would spend on its machines,
 * taken here from the two cores the engine is measured on.
 */

const E164 = /^\+[1-9]\d{6,14}$/;
const JSON_LIMIT = 256 * 1024;
const FORM_LIMIT = 16 * 1024;

export interface RbmRoutesDeps {
  state: RbmSandboxState;
  issuer: RbmTokenIssuer;
  records(): SandboxRbmRecords;
  reset(): void;
  /** Extra `aud` values the token endpoint accepts besides its own URL and Google's. */
  tokenAudiences: readonly string[];
}

export type RbmRequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** A request as the routes see it: the path's segments decoded, the query, the body once read. */
interface RbmRequest {
  raw: IncomingMessage;
  segments: string[];
  query: URLSearchParams;
}

/** Thrown while reading a body: too large (413) or not JSON (400); answered in Google's error shape. */
class BodyRefusal extends Error {
  readonly answer: RbmAnswer;
  constructor(status: 400 | 413) {
    const message = status === 413 ? 'Request payload is too large.' : 'Invalid JSON payload received.';
    super(message);
    this.answer = googleError(status, 'INVALID_ARGUMENT', message);
  }
}

/**
 * The RBM REST surface (/v1), the OAuth token endpoint (/token) and the sandbox's control
 * (/control: script, reply, records, reset, revoke-tokens, token-outcome, clock). Every answer's
 * `Date` is the token endpoint's clock, as Google's servers all keep one time.
 */
export function rbmRequestListener(deps: RbmRoutesDeps): RbmRequestListener {
  const route = async (req: RbmRequest): Promise<RbmAnswer | undefined> => {
    const { raw, segments: s } = req;
    const method = raw.method ?? 'GET';
    if (s[0] === 'token' && s.length === 1 && method === 'POST') return token(deps, req);
    if (s[0] === 'v1') return v1(deps, req, method);
    if (s[0] === 'control' && s.length === 2) return control(deps, req, method, s[1]);
    return undefined;
  };

  return (raw, res) => {
    let req: RbmRequest;
    try {
      const url = new URL(raw.url ?? '/', 'http://sandbox');
      req = { raw, segments: url.pathname.split('/').filter(Boolean).map(decodeURIComponent), query: url.searchParams };
    } catch {
      return send(res, googleError(400, 'INVALID_ARGUMENT', 'The request path is malformed.'), deps.issuer.dateHeader());
    }
    route(req).then(
      (answer) => send(res, answer ?? googleError(404, 'NOT_FOUND', `${raw.method} ${raw.url?.split('?')[0]} is not an RBM route.`), deps.issuer.dateHeader()),
      (err: unknown) => send(res, err instanceof BodyRefusal ? err.answer : googleError(500, 'INTERNAL', 'Internal error encountered.'), deps.issuer.dateHeader()),
    );
  };
}

async function token(deps: RbmRoutesDeps, req: RbmRequest): Promise<RbmAnswer> {
  const text = await readBody(req.raw, FORM_LIMIT);
  const form = isForm(req.raw) ? Object.fromEntries(new URLSearchParams(text)) : {};
  const own = `http://${req.raw.headers.host ?? ''}/token`;
  try {
    const grant = deps.issuer.grant(form, [own, GOOGLE_TOKEN_AUDIENCE, ...deps.tokenAudiences]);
    return { status: 200, body: grant, headers: { 'cache-control': 'no-store' } };
  } catch (err) {
    if (err instanceof TokenEndpointDown) return { status: 503, body: { error: 'internal_failure', error_description: err.message } };
    if (!(err instanceof TokenRefusal)) throw err;
    return { status: 400, body: { error: err.error, error_description: err.message } };
  }
}

async function v1(deps: RbmRoutesDeps, req: RbmRequest, method: string): Promise<RbmAnswer | undefined> {
  const [, phones, phone, resource, messageId, ...rest] = req.segments;
  if (phones !== 'phones' || phone === undefined || rest.length > 0) return undefined;
  const isCapabilities = resource === 'capabilities' && messageId === undefined && method === 'GET';
  const isCreate = resource === 'agentMessages' && messageId === undefined && method === 'POST';
  const isRevoke = resource === 'agentMessages' && messageId !== undefined && method === 'DELETE';
  if (!isCapabilities && !isCreate && !isRevoke) return undefined;

  // Authentication and the agent come before anything about the request itself, as Google checks.
  if (!deps.issuer.check(req.raw.headers.authorization)) {
    return googleError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.');
  }
  const agentId = single(req.query, 'agentId');
  if (!agentId) return googleError(400, 'INVALID_ARGUMENT', 'agentId is required.');
  if (!E164.test(phone)) return googleError(400, 'INVALID_ARGUMENT', 'The phone number must be in E.164 format.');

  if (isCapabilities) {
    if (!single(req.query, 'requestId')) return googleError(400, 'INVALID_ARGUMENT', 'requestId is required.');
    return deps.state.capability(phone);
  }
  if (isRevoke) return deps.state.revoke(phone, messageId as string);
  const id = single(req.query, 'messageId');
  if (!id) return googleError(400, 'INVALID_ARGUMENT', 'messageId is required.');
  const body = await readJson(req.raw);
  const problem = validateAgentMessage(body);
  if (problem) return googleError(400, 'INVALID_ARGUMENT', problem);
  return deps.state.create(phone, agentId, id, body as Record<string, unknown>);
}

async function control(deps: RbmRoutesDeps, req: RbmRequest, method: string, action: string): Promise<RbmAnswer | undefined> {
  if (action === 'records' && method === 'GET') return { status: 200, body: deps.records() };
  if (method !== 'POST') return undefined;
  if (action === 'reset') {
    deps.reset();
    return { status: 204, body: undefined };
  }
  if (action === 'revoke-tokens') {
    const body = await readJson(req.raw);
    const clientEmail = isObject(body) ? body.clientEmail : undefined;
    if (clientEmail !== undefined && typeof clientEmail !== 'string') return { status: 400, body: { error: 'clientEmail is a string when given' } };
    return { status: 200, body: { revoked: deps.issuer.revoke(clientEmail) } };
  }
  if (action === 'token-outcome') {
    const body = await readJson(req.raw);
    if (!isObject(body) || typeof body.clientEmail !== 'string' || !TOKEN_OUTCOMES.includes(body.outcome as TokenOutcome)) {
      return { status: 400, body: { error: `clientEmail and outcome (${TOKEN_OUTCOMES.join(', ')}) are required` } };
    }
    deps.issuer.tokenOutcome(body.clientEmail, body.outcome as TokenOutcome);
    return { status: 204, body: undefined };
  }
  if (action === 'clock') {
    const body = await readJson(req.raw);
    const seconds = isObject(body) ? body.offsetSeconds : undefined;
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || Math.abs(seconds) > 366 * 86_400) {
      return { status: 400, body: { error: "offsetSeconds (how far the token endpoint's clock runs ahead of the machine's; negative: behind) is required" } };
    }
    deps.issuer.clockOffset(seconds);
    return { status: 204, body: undefined };
  }
  if (action === 'script') {
    const body = await readJson(req.raw);
    if (!isObject(body) || typeof body.phone !== 'string' || !RBM_OUTCOMES.includes(body.outcome as RbmOutcome)) {
      return { status: 400, body: { error: `phone and outcome (${RBM_OUTCOMES.join(', ')}) are required` } };
    }
    deps.state.script(body.phone, scriptFrom(body));
    return { status: 204, body: undefined };
  }
  if (action === 'reply') {
    const body = await readJson(req.raw);
    if (!isObject(body) || typeof body.phone !== 'string') return { status: 400, body: { error: 'phone is required' } };
    if (body.event !== undefined && body.event !== 'UNSUBSCRIBE' && body.event !== 'SUBSCRIBE') {
      return { status: 400, body: { error: 'event is UNSUBSCRIBE or SUBSCRIBE' } };
    }
    const id = deps.state.reply(body as unknown as SandboxReply);
    return { status: 202, body: body.event ? { eventId: id } : { messageId: id } };
  }
  return undefined;
}

function scriptFrom(body: Record<string, unknown>): RbmScript {
  const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);
  return {
    outcome: body.outcome as RbmOutcome,
    afterMs: num(body.afterMs),
    retryAfterSeconds: num(body.retryAfterSeconds),
    duplicateEvents: body.duplicateEvents === true,
    readBeforeDelivered: body.readBeforeDelivered === true,
    ttlRevokeFails: body.ttlRevokeFails === true,
  };
}

/** One value of a query parameter, or undefined when it is absent, empty or repeated. */
function single(query: URLSearchParams, name: string): string | undefined {
  const values = query.getAll(name);
  return values.length === 1 && values[0] ? values[0] : undefined;
}

/** A JSON object or array body; undefined when the request says it is not JSON (Google then finds no message). */
async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = await readBody(req, JSON_LIMIT);
  if (!isJson(req)) return undefined;
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) throw new BodyRefusal(400);
  return parsed;
}

/**
 * The whole body as UTF-8 (raw-body enforces the limit). A refused body is read off before the
 * answer, as Express's parsers did, so the client is not cut off mid-upload.
 */
async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  try {
    return await getRawBody(req, { limit, encoding: 'utf8' });
  } catch (err) {
    // raw-body's errors carry the HTTP status they mean: 413 past the limit, 400 for a body
    // that does not match its headers (length, charset).
    const status = (err as { status?: unknown }).status;
    if (status !== 413 && status !== 400) throw err;
    req.resume();
    await finished(req).catch(() => undefined);
    throw new BodyRefusal(status);
  }
}

/** `date`: the sandbox's clock when it is moved (`clockOffset`); without it node writes the machine's. */
function send(res: ServerResponse, answer: RbmAnswer, date: string | undefined): void {
  if (res.headersSent) return;
  const headers: Record<string, string> = { ...(date ? { date } : {}), ...answer.headers };
  if (answer.body === undefined) {
    res.writeHead(answer.status, headers).end();
    return;
  }
  const text = JSON.stringify(answer.body);
  headers['content-type'] = 'application/json; charset=utf-8';
  headers['content-length'] = String(Buffer.byteLength(text));
  res.writeHead(answer.status, headers).end(text);
}

function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

function isJson(req: IncomingMessage): boolean {
  const type = mediaType(req);
  return type === 'application/json' || type.endsWith('+json');
}

function isForm(req: IncomingMessage): boolean {
  return mediaType(req) === 'application/x-www-form-urlencoded';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
