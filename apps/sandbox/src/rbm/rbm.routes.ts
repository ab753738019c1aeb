import express, { Request, Response, Router } from 'express';
import { validateAgentMessage } from './agent-message.validator';
import { googleError, RbmAnswer, RbmSandboxState } from './rbm-sandbox.state';
import { RBM_OUTCOMES, RbmOutcome, RbmScript, SandboxRbmRecords, SandboxReply } from './rbm-sandbox.types';
import { GOOGLE_TOKEN_AUDIENCE, RbmTokenIssuer, TokenRefusal } from './rbm-token.issuer';

const E164 = /^\+[1-9]\d{6,14}$/;

export interface RbmRoutesDeps {
  state: RbmSandboxState;
  issuer: RbmTokenIssuer;
  records(): SandboxRbmRecords;
  reset(): void;
  /** Extra `aud` values the token endpoint accepts besides its own URL and Google's. */
  tokenAudiences: readonly string[];
}

/** The RBM REST surface (/v1), the OAuth token endpoint (/token) and the sandbox's control (/control). */
export function rbmRouter(deps: RbmRoutesDeps): Router {
  const router = express.Router();
  const json = express.json({ limit: '256kb' });

  router.post('/token', express.urlencoded({ extended: false, limit: '16kb' }), (req, res) => {
    const own = `${req.protocol}://${req.get('host') ?? ''}${req.baseUrl}/token`;
    try {
      const grant = deps.issuer.grant(isObject(req.body) ? req.body : {}, [own, GOOGLE_TOKEN_AUDIENCE, ...deps.tokenAudiences]);
      res.set('cache-control', 'no-store').json(grant);
    } catch (err) {
      if (!(err instanceof TokenRefusal)) throw err;
      res.status(400).json({ error: err.error, error_description: err.message });
    }
  });

  const api = express.Router();
  api.use((req, res, next) => {
    if (!deps.issuer.check(req.get('authorization'))) {
      return send(res, googleError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.'));
    }
    if (typeof req.query.agentId !== 'string' || !req.query.agentId) {
      return send(res, googleError(400, 'INVALID_ARGUMENT', 'agentId is required.'));
    }
    next();
  });
  api.get('/phones/:phone/capabilities', (req, res) => {
    if (!E164.test(req.params.phone)) return send(res, badPhone());
    if (typeof req.query.requestId !== 'string' || !req.query.requestId) {
      return send(res, googleError(400, 'INVALID_ARGUMENT', 'requestId is required.'));
    }
    send(res, deps.state.capability(req.params.phone));
  });
  api.post('/phones/:phone/agentMessages', json, (req, res) => {
    if (!E164.test(req.params.phone)) return send(res, badPhone());
    const messageId = req.query.messageId;
    if (typeof messageId !== 'string' || !messageId) {
      return send(res, googleError(400, 'INVALID_ARGUMENT', 'messageId is required.'));
    }
    const problem = validateAgentMessage(req.body);
    if (problem) return send(res, googleError(400, 'INVALID_ARGUMENT', problem));
    send(res, deps.state.create(req.params.phone, String(req.query.agentId), messageId, req.body as Record<string, unknown>));
  });
  api.delete('/phones/:phone/agentMessages/:messageId', (req, res) => {
    if (!E164.test(req.params.phone)) return send(res, badPhone());
    send(res, deps.state.revoke(req.params.phone, req.params.messageId));
  });
  router.use('/v1', api);

  const control = express.Router();
  control.post('/script', json, (req, res) => {
    const body: unknown = req.body;
    if (!isObject(body) || typeof body.phone !== 'string' || !RBM_OUTCOMES.includes(body.outcome as RbmOutcome)) {
      return res.status(400).json({ error: `phone and outcome (${RBM_OUTCOMES.join(', ')}) are required` });
    }
    deps.state.script(body.phone, scriptFrom(body));
    res.status(204).end();
  });
  control.post('/reply', json, (req, res) => {
    const body: unknown = req.body;
    if (!isObject(body) || typeof body.phone !== 'string') return res.status(400).json({ error: 'phone is required' });
    const messageId = deps.state.reply(body as unknown as SandboxReply);
    res.status(202).json({ messageId });
  });
  control.get('/records', (_req, res) => {
    res.json(deps.records());
  });
  control.post('/reset', (_req, res) => {
    deps.reset();
    res.status(204).end();
  });
  router.use('/control', control);

  // Malformed JSON and oversized bodies get Google's error shape, not an HTML page.
  router.use((err: unknown, _req: Request, res: Response, next: (err?: unknown) => void) => {
    if (res.headersSent) return next(err);
    const status = (err as { status?: unknown })?.status;
    if (status === 413) return send(res, googleError(413, 'INVALID_ARGUMENT', 'Request payload is too large.'));
    if (status === 400) return send(res, googleError(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.'));
    send(res, googleError(500, 'INTERNAL', 'Internal error encountered.'));
  });
  return router;
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

function send(res: Response, answer: RbmAnswer): void {
  if (answer.headers) res.set(answer.headers);
  res.status(answer.status).json(answer.body);
}

function badPhone(): RbmAnswer {
  return googleError(400, 'INVALID_ARGUMENT', 'The phone number must be in E.164 format.');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
