import { AddressInfo } from 'node:net';
import express, { Router } from 'express';
import { lineApiRoutes } from './line-api.routes';
import { createLineControl, lineControlRoutes, SandboxLineControl } from './line-control';
import { SandboxLineState } from './line-sandbox.state';
import { LineTokenIssuer } from './line-token.issuer';
import { lineTokenRoutes } from './line-token.routes';
import { LineWebhookDispatcher } from './line-webhook.dispatcher';
import { SandboxLineOptions } from './sandbox-line.types';

export interface SandboxLine {
  /** Messaging API routes at their real absolute paths, plus `/control/*`. Mount at `/`. */
  router: Router;
  control: SandboxLineControl;
  close(): Promise<void>;
}

export interface StartedSandboxLine {
  /** Give this to the adapter as `apiBaseUrl`. */
  baseUrl: string;
  control: SandboxLineControl;
  close(): Promise<void>;
}

/**
 * The LINE stand-in (Messaging API push + PNP, profile, signed webhooks, stateless channel access
 * tokens at `/oauth2/v3/token`). The Messaging API paths
 * are absolute (`/v2/bot/...`, `/bot/pnp/...`) and the SDK resolves them against the host, so
 * the router must be mounted at the root of its own server.
 */
export function createSandboxLine(opts: SandboxLineOptions): SandboxLine {
  if (!opts.channels || opts.channels.length === 0) throw new Error('createSandboxLine: at least one channel is required');
  const state = new SandboxLineState(opts.channels);
  const webhooks = new LineWebhookDispatcher(opts.webhookUrl);
  const tokens = new LineTokenIssuer(opts.channels, opts.issuedTokenTtlSeconds ?? 900);
  const control = createLineControl(state, webhooks, tokens);
  const router = express.Router();
  router.use(lineTokenRoutes(tokens));
  router.use(lineApiRoutes(state, webhooks, opts, tokens));
  router.use(lineControlRoutes(control));
  return {
    router,
    control,
    close: async () => webhooks.close(),
  };
}

/** Starts the stand-in on its own HTTP server: 127.0.0.1 and an ephemeral port unless told. */
export async function startSandboxLine(opts: SandboxLineOptions): Promise<StartedSandboxLine> {
  const sandbox = createSandboxLine(opts);
  const app = express();
  app.disable('x-powered-by');
  app.use(sandbox.router);
  const host = opts.host ?? '127.0.0.1';
  const server = await new Promise<import('node:http').Server>((resolve, reject) => {
    const s = app.listen(opts.port ?? 0, host, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://${host}:${port}`,
    control: sandbox.control,
    close: async () => {
      await sandbox.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
