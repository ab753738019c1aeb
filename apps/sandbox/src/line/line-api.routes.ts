import { randomUUID } from 'node:crypto';
import express, { Request, Response, Router } from 'express';
import {
  checkDeliveryTag,
  checkRetryKey,
  checkSendRequest,
  LINE_ERRORS,
  LineErrorBody,
} from './line-request.validator';
import { SandboxLineState } from './line-sandbox.state';
import { LineTokenIssuer } from './line-token.issuer';
import { LineWebhookDispatcher } from './line-webhook.dispatcher';
import { SandboxLineChannel, SandboxLineOptions, SandboxLineOutcome } from './sandbox-line.types';

/** The contract suite's generic outcome names, as LINE failures. */
const ALIASES: Partial<Record<SandboxLineOutcome, SandboxLineOutcome>> = {
  retryable: 'server_error',
  permanent: 'bad_request',
  unknown_outcome: 'accept_then_error',
};

const ERROR_OUTCOMES: Partial<Record<SandboxLineOutcome, [number, LineErrorBody]>> = {
  rate_limited: [429, LINE_ERRORS.tooManyRequests],
  monthly_quota: [429, LINE_ERRORS.monthlyLimit],
  server_error: [500, LINE_ERRORS.serverError],
  bad_request: [400, LINE_ERRORS.failedToSend],
  forbidden: [403, LINE_ERRORS.forbidden],
  pnp_unreachable: [422, LINE_ERRORS.failedToSend],
};

/**
 * The Messaging API endpoints Tsunagu calls: push, LINE notification message (PNP) push, and the
 * user profile. Answers like LINE, failures included; every request is recorded. A request
 * carries a channel's configured long-lived token or a live token the token endpoint issued;
 * anything else (unknown, expired) is answered 401 in LINE's shape.
 */
export function lineApiRoutes(state: SandboxLineState, webhooks: LineWebhookDispatcher, opts: SandboxLineOptions, tokens: LineTokenIssuer): Router {
  const router = express.Router();
  const raw = express.raw({ type: () => true, limit: '2mb' });
  const authenticate = (req: Request): SandboxLineChannel | null => {
    const authorization = req.headers.authorization;
    return state.channelByToken(authorization) ?? state.channelByBot(tokens.check(authorization) ?? undefined, { exact: true });
  };

  router.post('/v2/bot/message/push', raw, (req, res) => handleSend('push', req, res));
  router.post('/bot/pnp/push', raw, (req, res) => handleSend('pnp', req, res));

  router.get('/v2/bot/profile/:userId', (req, res) => {
    const requestId = randomUUID();
    res.setHeader('x-line-request-id', requestId);
    const channel = authenticate(req);
    const userId = String(req.params['userId']);
    const answer = (status: number, body: unknown, outcome: string) => {
      state.record({ method: 'GET', path: req.path, botUserId: channel?.botUserId ?? null, retryKey: null, deliveryTag: null, body: null, rawBody: '', status, outcome, requestId });
      res.status(status).json(body);
    };
    if (!channel) return answer(401, LINE_ERRORS.unauthorized, 'unauthorized');
    if (!state.isFollower(channel.botUserId, userId)) return answer(404, LINE_ERRORS.notFound, 'not_found');
    return answer(200, { displayName: `Sandbox ${userId.slice(1, 7)}`, userId, language: 'ja' }, 'ok');
  });

  function handleSend(kind: 'push' | 'pnp', req: Request, res: Response): void {
    const requestId = randomUUID();
    res.setHeader('x-line-request-id', requestId);
    const rawBody = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
    const retryKey = header(req, 'x-line-retry-key');
    const deliveryTag = kind === 'pnp' ? header(req, 'x-line-delivery-tag') : null;
    const channel = authenticate(req);
    let body: unknown = null;
    try {
      body = JSON.parse(rawBody);
    } catch {
      body = null;
    }
    const answer = (status: number, payload: unknown, outcome: string) => {
      state.record({ method: 'POST', path: req.path, botUserId: channel?.botUserId ?? null, retryKey, deliveryTag, body, rawBody, status, outcome, requestId });
      res.status(status).json(payload);
    };

    if (!channel) return answer(401, LINE_ERRORS.unauthorized, 'unauthorized');
    const headerProblem = checkRetryKey(retryKey, kind) ?? checkDeliveryTag(deliveryTag);
    if (headerProblem) return answer(400, headerProblem, 'bad_header');
    if (body === null) return answer(400, LINE_ERRORS.notJson, 'not_json');

    // Push only: a PNP request carrying a retry key was refused above, so a resent PNP is sent again.
    const before = state.acceptedRetry(channel, retryKey);
    if (before) {
      res.setHeader('x-line-accepted-request-id', before.requestId);
      return answer(409, { ...LINE_ERRORS.retryKeyAccepted, sentMessages: before.sentMessageIds.map((id) => ({ id })) }, 'retry_key_accepted');
    }
    const invalid = checkSendRequest(body, kind);
    if (invalid) return answer(400, invalid, 'invalid_request');

    const request = body as { to: string; messages: unknown[] };
    const scripted = state.nextOutcome(request.to);
    const outcome = ALIASES[scripted] ?? scripted;
    if (!state.withinQuota(channel, opts.monthlyQuota)) return answer(429, LINE_ERRORS.monthlyLimit, 'monthly_quota');
    const failure = ERROR_OUTCOMES[outcome];
    if (failure) return answer(failure[0], failure[1], outcome);

    const delivered = state.deliver(
      { kind, botUserId: channel.botUserId, to: request.to, retryKey, deliveryTag, requestId, messages: request.messages },
      request.messages.length,
    );
    if (kind === 'pnp' && outcome !== 'never_delivered') {
      scheduleDelivery(channel, deliveryTag ?? request.to);
    }
    if (outcome === 'accept_then_error') return answer(500, LINE_ERRORS.serverError, outcome);
    const payload = kind === 'push' ? { sentMessages: delivered.sentMessageIds.map((id) => ({ id, quoteToken: `q${id}` })) } : {};
    if (outcome === 'slow_accept') {
      // The timer is the dispatcher's, so close() clears it; the socket is closed with the server.
      webhooks.later(opts.slowResponseMs ?? 3000, async () => {
        if (!res.writableEnded && !res.destroyed) answer(200, payload, outcome);
      });
      return;
    }
    return answer(200, payload, outcome);
  }

  /** LINE sends the delivery completion event once the phone received the notification message. */
  function scheduleDelivery(channel: SandboxLineChannel, data: string): void {
    webhooks.later(opts.pnpDeliveryDelayMs ?? 200, () => webhooks.emit(channel, { type: 'delivery', delivery: { data } }));
  }

  return router;
}

function header(req: Request, name: string): string | null {
  const value = req.headers[name];
  return typeof value === 'string' ? value : null;
}
