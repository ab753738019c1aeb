import { randomBytes } from 'node:crypto';
import express, { NextFunction, Request, Response, Router } from 'express';
import { SandboxLineState } from './line-sandbox.state';
import { LineTokenIssuer } from './line-token.issuer';
import { LineWebhookDispatcher } from './line-webhook.dispatcher';
import {
  SANDBOX_LINE_OUTCOMES,
  SandboxLineChannel,
  SandboxLineOutcome,
  SandboxLineRecords,
  SandboxLineWebhookRecord,
} from './sandbox-line.types';

export type SandboxLineInbound = 'text' | 'sticker' | 'image';

/** What tests (in process) and demos (over HTTP, `/control/*`) can make the stand-in do. */
export interface SandboxLineControl {
  /** The next send to `to` (user id, PNP hash or E.164 number) ends in `outcome`. Queued, one per send. */
  script(to: string, outcome: SandboxLineOutcome): void;
  /** The user adds the account as a friend (or unblocks it): a `follow` webhook. */
  follow(userId?: string, botUserId?: string): Promise<{ userId: string; webhook: SandboxLineWebhookRecord }>;
  /** The user blocks the account: an `unfollow` webhook. */
  unfollow(userId: string, botUserId?: string): Promise<SandboxLineWebhookRecord>;
  /** The user writes to the account: a `message` webhook. */
  message(userId: string, text: string, opts?: { type?: SandboxLineInbound; botUserId?: string }): Promise<SandboxLineWebhookRecord>;
  /** LINE's redelivery: the same event again with `isRedelivery: true`; null if unknown. */
  redeliver(webhookEventId: string): Promise<SandboxLineWebhookRecord | null>;
  records(): SandboxLineRecords;
  /** Messages produced for one X-Line-Retry-Key. */
  messageCount(retryKey: string): number;
  setWebhookUrl(url: string | undefined): void;
  /**
   * Tokens issued by `POST /oauth2/v3/token` (of one channel, or all) stop working at once: the
   * next Messaging API call with one answers 401, as LINE does after expiry. Configured long-lived
   * tokens are untouched. Returns how many were live.
   */
  expireIssuedTokens(botUserId?: string): number;
  /**
   * Every access token the token endpoint issued since start, resets included: for a test's log
   * scan. In process only, never over HTTP: each is a live bearer credential until it expires.
   */
  issuedTokens(): readonly string[];
  /** Delivery events still waiting on their timers (0 after close). */
  pendingTimers(): number;
  reset(): void;
}

export class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function newLineUserId(): string {
  return `U${randomBytes(16).toString('hex')}`;
}

export function createLineControl(state: SandboxLineState, webhooks: LineWebhookDispatcher, tokens: LineTokenIssuer): SandboxLineControl {
  const channelFor = (botUserId?: string): SandboxLineChannel => {
    const channel = state.channelByBot(botUserId);
    if (!channel) throw new ControlError(404, `no sandbox channel with botUserId ${botUserId}`);
    return channel;
  };
  const userEvent = (userId: string) => ({ source: { type: 'user', userId }, replyToken: randomBytes(16).toString('hex') });

  return {
    script(to, outcome) {
      if (typeof to !== 'string' || to === '') throw new ControlError(400, '`to` is required');
      if (!SANDBOX_LINE_OUTCOMES.includes(outcome)) {
        throw new ControlError(400, `outcome must be one of ${SANDBOX_LINE_OUTCOMES.join(', ')}`);
      }
      state.script(to, outcome);
    },
    async follow(userId = newLineUserId(), botUserId) {
      const channel = channelFor(botUserId);
      const { isUnblocked } = state.follow(channel.botUserId, userId);
      const webhook = await webhooks.emit(channel, { type: 'follow', ...userEvent(userId), follow: { isUnblocked } });
      return { userId, webhook };
    },
    async unfollow(userId, botUserId) {
      const channel = channelFor(botUserId);
      state.unfollow(channel.botUserId, userId);
      return webhooks.emit(channel, { type: 'unfollow', source: { type: 'user', userId } });
    },
    async message(userId, text, opts = {}) {
      const channel = channelFor(opts.botUserId);
      const id = `${Date.now()}${Math.floor(Math.random() * 1e5)}`;
      const quoteToken = randomBytes(12).toString('hex');
      const content =
        opts.type === 'sticker'
          ? { id, type: 'sticker', packageId: '446', stickerId: '1988', stickerResourceType: 'STATIC', quoteToken }
          : opts.type === 'image'
            ? { id, type: 'image', contentProvider: { type: 'line' }, quoteToken }
            : { id, type: 'text', text, quoteToken };
      return webhooks.emit(channel, { type: 'message', ...userEvent(userId), message: content });
    },
    redeliver: (webhookEventId) => webhooks.redeliver(webhookEventId),
    records: () => state.snapshot(webhooks.records, { tokensIssued: tokens.issued, tokenRefusals: tokens.refusals, tokenRequests: tokens.requests }),
    messageCount: (retryKey) => state.messages.filter((m) => m.retryKey === retryKey).length,
    setWebhookUrl(url) {
      webhooks.webhookUrl = url;
    },
    expireIssuedTokens(botUserId) {
      if (botUserId !== undefined && !state.channelByBot(botUserId, { exact: true })) {
        throw new ControlError(404, `no sandbox channel with botUserId ${botUserId}`);
      }
      return tokens.expire(botUserId);
    },
    issuedTokens: () => tokens.issuedTokens(),
    pendingTimers: () => webhooks.pendingTimers,
    reset() {
      state.reset();
      webhooks.reset();
      tokens.reset();
    },
  };
}

/** `/control/*` over HTTP, for demos and the end-to-end specs. */
export function lineControlRoutes(control: SandboxLineControl): Router {
  const router = express.Router();
  const json = express.json({ limit: '64kb' });
  const handle =
    (fn: (body: Record<string, unknown>) => unknown | Promise<unknown>) => async (req: Request, res: Response, next: NextFunction) => {
      try {
        const result = await fn((req.body ?? {}) as Record<string, unknown>);
        res.status(200).json(result ?? { ok: true });
      } catch (err) {
        if (err instanceof ControlError) res.status(err.status).json({ message: err.message });
        else next(err);
      }
    };
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  const required = (v: unknown, name: string): string => {
    const s = str(v);
    if (!s) throw new ControlError(400, `\`${name}\` is required`);
    return s;
  };

  router.post('/control/script', json, handle((b) => control.script(required(b['to'], 'to'), b['outcome'] as SandboxLineOutcome)));
  router.post('/control/follow', json, handle((b) => control.follow(str(b['userId']), str(b['botUserId']))));
  router.post('/control/unfollow', json, handle((b) => control.unfollow(required(b['userId'], 'userId'), str(b['botUserId']))));
  router.post(
    '/control/message',
    json,
    handle((b) =>
      control.message(required(b['userId'], 'userId'), typeof b['text'] === 'string' ? b['text'] : '', {
        type: str(b['type']) as SandboxLineInbound | undefined,
        botUserId: str(b['botUserId']),
      }),
    ),
  );
  router.post(
    '/control/redeliver',
    json,
    handle(async (b) => {
      const record = await control.redeliver(required(b['webhookEventId'], 'webhookEventId'));
      if (!record) throw new ControlError(404, 'no webhook event with that id');
      return record;
    }),
  );
  router.post('/control/webhook', json, handle((b) => control.setWebhookUrl(str(b['url']))));
  router.post('/control/expire-tokens', json, handle((b) => ({ expired: control.expireIssuedTokens(str(b['botUserId'])) })));
  router.get('/control/records', handle(() => control.records()));
  router.post('/control/reset', handle(() => control.reset()));
  return router;
}
