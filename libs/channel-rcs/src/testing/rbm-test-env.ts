import { createHmac, generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { ChannelEvent } from '@tsunagu/core';
import { ChannelAdapterInstance, InboundRequest, InvalidInboundError, OutboundAttempt } from '@tsunagu/channels';
// The sandbox lives under apps/; there is no path alias for it, and tests may reach across.
import { startSandboxRbm, StartedSandboxRbm } from '../../../../apps/sandbox/src/rbm';
import { RcsAdapter } from '../rcs.adapter';
import { RcsAgentOptions, RcsChannelOptions } from '../rcs.options';

/*
 * What the RCS integration specs run against: the sandbox RBM over HTTP, a stand-in for the
 * lead's `POST /webhooks/rbm` controller (directReply, then parseInbound) that the sandbox pushes
 * to, and adapters wired to both. Keys are generated per run; never a real one.
 */

export interface ServiceAccount {
  clientEmail: string;
  privateKey: string;
  publicKey: string;
}

export function newServiceAccount(name: string): ServiceAccount {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { clientEmail: `${name}@tsunagu-test.iam.gserviceaccount.com`, privateKey, publicKey };
}

export interface ReceivedPush {
  request: InboundRequest;
  status: number;
  events: ChannelEvent[];
}

/** The engine's webhook controller as far as the adapter is concerned. */
export class WebhookReceiver {
  readonly pushes: ReceivedPush[] = [];
  adapter: ChannelAdapterInstance | null = null;
  private server: Server | null = null;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void this.handle({ headers: req.headers, rawBody: Buffer.concat(chunks) }).then(({ status, body }) => {
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        });
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}/webhooks/rbm`;
  }

  events(): ChannelEvent[] {
    return this.pushes.flatMap((p) => p.events);
  }

  pushesFor(messageId: string, eventType: string): ReceivedPush[] {
    return this.pushes.filter((p) =>
      p.events.some((e) => e.attemptId === messageId && (e.raw as { eventType?: string } | undefined)?.eventType === eventType),
    );
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(request: InboundRequest): Promise<{ status: number; body: unknown }> {
    const adapter = this.adapter;
    if (!adapter) return { status: 503, body: {} };
    try {
      const reply = await adapter.directReply?.(request);
      if (reply) return reply;
      const events = await adapter.parseInbound(request);
      this.pushes.push({ request, status: 200, events });
      return { status: 200, body: {} };
    } catch (err) {
      if (!(err instanceof InvalidInboundError)) throw err;
      const status = err.code === 'INVALID_SIGNATURE' ? 401 : 400;
      this.pushes.push({ request, status, events: [] });
      return { status, body: { code: err.code } };
    }
  }
}

export interface RbmTestEnv {
  sandbox: StartedSandboxRbm;
  receiver: WebhookReceiver;
  clientToken: string;
  accounts: { main: ServiceAccount; second: ServiceAccount; unknown: ServiceAccount };
  adapter: RcsAdapter;
  agent(overrides?: Partial<RcsAgentOptions>): RcsAgentOptions;
  makeAdapter(agents: RcsAgentOptions[], extra?: Partial<RcsChannelOptions>): RcsAdapter;
  close(): Promise<void>;
}

export const TENANT = 'tenant-a';
export const AGENT_ID = 'tsunagu-test-agent';

export async function startRbmTestEnv(): Promise<RbmTestEnv> {
  const accounts = { main: newServiceAccount('main'), second: newServiceAccount('second'), unknown: newServiceAccount('unknown') };
  const clientToken = `client-token-${randomUUID()}`;
  const receiver = new WebhookReceiver();
  await receiver.start();
  const sandbox = await startSandboxRbm({
    serviceAccountPublicKeys: {
      [accounts.main.clientEmail]: accounts.main.publicKey,
      [accounts.second.clientEmail]: accounts.second.publicKey,
    },
    clientToken,
    webhookUrl: receiver.url,
    defaultDeliveryMs: 200,
    // Replies name the agent the person wrote to, as RBM does: one we hold.
    defaultAgentId: AGENT_ID,
  });
  const agent = (overrides: Partial<RcsAgentOptions> = {}): RcsAgentOptions => ({
    id: AGENT_ID,
    tenantId: TENANT,
    region: 'asia',
    baseUrl: sandbox.baseUrl,
    tokenUrl: sandbox.tokenUrl,
    serviceAccount: { clientEmail: accounts.main.clientEmail, privateKey: accounts.main.privateKey },
    clientToken,
    default: true,
    ...overrides,
  });
  const makeAdapter = (agents: RcsAgentOptions[], extra: Partial<RcsChannelOptions> = {}): RcsAdapter =>
    new RcsAdapter({ agents, requestTimeoutMs: 2000, ...extra });
  const adapter = makeAdapter([
    agent(),
    agent({ id: 'tenant-b-agent', tenantId: 'tenant-b', default: false }),
    agent({ id: 'tsunagu-test-agent-2', default: false }),
  ]);
  receiver.adapter = adapter;
  return {
    sandbox,
    receiver,
    clientToken,
    accounts,
    adapter,
    agent,
    makeAdapter,
    close: async () => {
      await sandbox.close();
      await receiver.close();
    },
  };
}

let phoneCounter = 0;
/** A fresh Japanese mobile number per test, so scripts never leak between tests. */
export function nextPhone(): string {
  phoneCounter++;
  return `+8190${String(20000000 + phoneCounter * 7919 + (process.pid % 1000)).slice(-8)}`;
}

export function attemptTo(phoneE164: string, overrides: Partial<OutboundAttempt> = {}): OutboundAttempt {
  return {
    attemptId: randomUUID(),
    messageId: randomUUID(),
    tenantId: TENANT,
    category: 'transactional',
    to: { phoneE164 },
    text: 'ご予約は明日10時です',
    sender: null,
    timeoutSeconds: 60,
    allowInternational: false,
    ...overrides,
  };
}

/** A push as RBM would send it, signed with `clientToken` (or with a wrong one). */
export function signedPush(data: Record<string, unknown> | string, clientToken: string): InboundRequest {
  const bytes = Buffer.from(typeof data === 'string' ? data : JSON.stringify(data), 'utf8');
  const body = {
    message: { data: bytes.toString('base64'), messageId: '42', publishTime: new Date().toISOString() },
    subscription: 'projects/p/subscriptions/s',
  };
  return {
    headers: { 'content-type': 'application/json', 'x-goog-signature': createHmac('sha512', clientToken).update(bytes).digest('base64') },
    rawBody: Buffer.from(JSON.stringify(body)),
  };
}
