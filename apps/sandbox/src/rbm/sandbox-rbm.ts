import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { RbmRequestListener, rbmRequestListener } from './rbm.routes';
import { RbmSandboxState } from './rbm-sandbox.state';
import { RbmScript, SandboxRbmRecords, SandboxReply } from './rbm-sandbox.types';
import { RbmTokenIssuer, TokenOutcome } from './rbm-token.issuer';
import { RbmWebhookPusher, SandboxTimers } from './rbm-webhook.pusher';

export interface SandboxRbmOptions {
  /** Service accounts allowed to get tokens: client email → public key (PEM). */
  serviceAccountPublicKeys: Record<string, string>;
  /** Signs pushed webhooks (X-Goog-Signature). */
  clientToken: string;
  /** Where to push events: the engine's `/webhooks/rbm`. Settable later through the control. */
  webhookUrl?: string;
  /** DELIVERED delay for `capable` numbers; 200 ms unless set. */
  defaultDeliveryMs?: number;
  /** agentId named in user replies to a number no message was sent to. */
  defaultAgentId?: string;
  /** Extra JWT audiences the token endpoint accepts (e.g. its public URL behind a proxy). */
  tokenAudiences?: string[];
  /** Lifetime of the access tokens it issues; 3600 s unless set. */
  tokenTtlSeconds?: number;
  /** Listen address for startSandboxRbm: 127.0.0.1 and an ephemeral port unless told (a container binds 0.0.0.0). */
  host?: string;
  port?: number;
}

export interface SandboxRbmControl {
  /** Scripts every later capability check, send and revoke for this number. */
  script(phone: string, script: RbmScript | RbmScript['outcome']): void;
  /** Pushes a user message; returns its RBM messageId. */
  reply(reply: SandboxReply): string;
  records(): SandboxRbmRecords;
  /** Every access token issued since start, resets included: for a test's log scan, never served over HTTP. */
  issuedTokens(): readonly string[];
  /**
   * Revokes the live access tokens of one service account (of all without one): RBM answers 401
   * to them from now on, as Google does to a revoked token. Returns how many were live.
   */
  revokeIssuedTokens(clientEmail?: string): number;
  /** How the token endpoint answers this account from now on: `issue`, `refuse` (400 invalid_grant) or `unavailable` (503). */
  tokenOutcome(clientEmail: string, outcome: TokenOutcome): void;
  /**
   * Runs the sandbox's clock `seconds` ahead of the machine's (behind when negative), as Google's
   * is to a client whose clock is off: assertions signed by the machine's time are refused
   * (400 `invalid_grant`, Google's "reasonable timeframe" words) once the sandbox is more than five
   * minutes ahead or one behind, and every answer's `Date` says the sandbox's time. 0 (or `reset`)
   * puts it right.
   */
  clockOffset(seconds: number): void;
  reset(): void;
  setWebhookUrl(url: string | undefined): void;
  /** Resolves when every push queued so far has been tried. */
  idle(): Promise<void>;
}

export interface SandboxRbm {
  /** Answers the RBM, token and control routes; mountable on any node:http server. */
  listener: RbmRequestListener;
  control: SandboxRbmControl;
  close(): Promise<void>;
}

export function createSandboxRbm(opts: SandboxRbmOptions): SandboxRbm {
  const timers = new SandboxTimers();
  const pusher = new RbmWebhookPusher(opts.clientToken, timers, opts.webhookUrl);
  const issuer = new RbmTokenIssuer(opts.serviceAccountPublicKeys, opts.tokenTtlSeconds);
  const state = new RbmSandboxState(pusher, timers, opts.defaultDeliveryMs ?? 200, opts.defaultAgentId ?? 'sandbox-agent');

  const control: SandboxRbmControl = {
    script: (phone, script) => state.script(phone, typeof script === 'string' ? { outcome: script } : script),
    reply: (reply) => state.reply(reply),
    records: () => ({
      ...state.records(),
      tokensIssued: { ...issuer.issued },
      tokenRefusals: issuer.refusals,
      tokenRequests: issuer.requests,
      unauthenticatedCalls: issuer.unauthenticated,
    }),
    issuedTokens: () => issuer.issuedTokens(),
    revokeIssuedTokens: (clientEmail) => issuer.revoke(clientEmail),
    tokenOutcome: (clientEmail, outcome) => issuer.tokenOutcome(clientEmail, outcome),
    clockOffset: (seconds) => issuer.clockOffset(seconds),
    reset: () => {
      state.reset();
      issuer.reset();
    },
    setWebhookUrl: (url) => {
      pusher.webhookUrl = url;
    },
    idle: () => pusher.idle(),
  };
  const listener = rbmRequestListener({
    state,
    issuer,
    records: control.records,
    reset: control.reset,
    tokenAudiences: opts.tokenAudiences ?? [],
  });
  return {
    listener,
    control,
    close: async () => {
      timers.close();
    },
  };
}

export interface StartedSandboxRbm {
  baseUrl: string;
  tokenUrl: string;
  control: SandboxRbmControl;
  close(): Promise<void>;
}

/** The sandbox on its own HTTP server on 127.0.0.1 and an ephemeral port, for tests. */
export async function startSandboxRbm(opts: SandboxRbmOptions): Promise<StartedSandboxRbm> {
  const sandbox = createSandboxRbm(opts);
  const host = opts.host ?? '127.0.0.1';
  const server = createServer(sandbox.listener).listen(opts.port ?? 0, host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  return {
    baseUrl,
    tokenUrl: `${baseUrl}/token`,
    control: sandbox.control,
    close: async () => {
      await sandbox.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
