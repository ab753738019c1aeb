import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { StartedSandboxLine, startSandboxLine } from './line';
import { StartedSandboxRbm, startSandboxRbm } from './rbm';
import { SandboxSmsc, startSandboxSmsc } from './smsc';

/** Credentials the engine needs to talk to the stand-ins; generated per run, never real ones. */
export interface SandboxCredentials {
  smsc: { systemId: string; password: string };
  rbm: { agentId: string; clientEmail: string; privateKey: string; clientToken: string };
  line: { channelId: string; channelSecret: string; channelAccessToken: string; botUserId: string };
}

export interface Sandboxes {
  smsc: SandboxSmsc;
  rbm: StartedSandboxRbm;
  line: StartedSandboxLine;
  credentials: SandboxCredentials;
  /** Points the stand-ins' webhooks at the engine once its api listens. */
  wire(apiBaseUrl: string): Promise<void>;
  close(): Promise<void>;
}

export interface SandboxOptions {
  /** Listen address of all three; loopback unless a container needs 0.0.0.0. */
  host?: string;
  /** Fixed credentials (the compose file shares them with the engine); generated when absent. */
  credentials?: Partial<{ smscPassword: string; rbmPrivateKeyPem: string; rbmClientToken: string; lineSecret: string; lineToken: string; lineBotUserId: string }>;
  smscPort?: number;
  rbmPort?: number;
  linePort?: number;
  receiptDelayMs?: number;
  rbmDeliveryMs?: number;
  pnpDeliveryDelayMs?: number;
}

/** The three provider stand-ins on loopback: SMPP over TCP, RBM and LINE over HTTP. */
export async function startSandboxes(opts: SandboxOptions = {}): Promise<Sandboxes> {
  const given = opts.credentials ?? {};
  const privateKeyPem = given.rbmPrivateKeyPem ?? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const publicKey = createPublicKey(privateKeyPem);
  const credentials: SandboxCredentials = {
    smsc: { systemId: 'tsunagu', password: given.smscPassword ?? randomBytes(4).toString('hex') },
    rbm: {
      agentId: 'tsunagu_demo_agent',
      clientEmail: 'tsunagu-demo@sandbox.iam.gserviceaccount.com',
      privateKey: privateKeyPem,
      clientToken: given.rbmClientToken ?? randomBytes(16).toString('hex'),
    },
    line: {
      channelId: '2000000000',
      channelSecret: given.lineSecret ?? randomBytes(16).toString('hex'),
      channelAccessToken: given.lineToken ?? randomBytes(24).toString('base64url'),
      botUserId: given.lineBotUserId ?? `U${randomBytes(16).toString('hex')}`,
    },
  };
  const host = opts.host ?? '127.0.0.1';
  const smsc = await startSandboxSmsc({
    port: opts.smscPort ?? 0,
    host,
    systemId: credentials.smsc.systemId,
    password: credentials.smsc.password,
    receiptDelayMs: opts.receiptDelayMs ?? 50,
  });
  const rbm = await startSandboxRbm({
    serviceAccountPublicKeys: { [credentials.rbm.clientEmail]: publicKey.export({ type: 'spki', format: 'pem' }).toString() },
    clientToken: credentials.rbm.clientToken,
    defaultDeliveryMs: opts.rbmDeliveryMs ?? 150,
    defaultAgentId: credentials.rbm.agentId,
    host,
    port: opts.rbmPort,
  });
  const line = await startSandboxLine({
    // The channel id too: an engine configured with `issueAccessTokens: true` issues its tokens here.
    channels: [{ channelId: credentials.line.channelId, channelAccessToken: credentials.line.channelAccessToken, channelSecret: credentials.line.channelSecret, botUserId: credentials.line.botUserId }],
    pnpDeliveryDelayMs: opts.pnpDeliveryDelayMs ?? 150,
    host,
    port: opts.linePort,
  });
  return {
    smsc,
    rbm,
    line,
    credentials,
    async wire(apiBaseUrl: string) {
      rbm.control.setWebhookUrl(`${apiBaseUrl}/webhooks/rbm`);
      await fetch(`${line.baseUrl}/control/webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url: `${apiBaseUrl}/webhooks/line` }),
      });
    },
    async close() {
      await Promise.allSettled([smsc.close(), rbm.close(), line.close()]);
    },
  };
}

/** The engine's `channels:` block for these stand-ins, for one tenant. */
export function sandboxChannelSettings(s: Sandboxes, tenantId: string, overrides: { smsRoute?: Record<string, unknown> } = {}): Record<string, unknown> {
  const c = s.credentials;
  return {
    rcs: {
      agents: [
        {
          id: c.rbm.agentId,
          tenantId,
          region: 'asia',
          baseUrl: s.rbm.baseUrl,
          tokenUrl: s.rbm.tokenUrl,
          serviceAccount: { clientEmail: c.rbm.clientEmail, privateKey: c.rbm.privateKey },
          clientToken: c.rbm.clientToken,
          default: true,
        },
      ],
      capabilityTtlSeconds: { positive: 0, negative: 0 },
    },
    sms: {
      routes: [
        {
          name: 'jp-direct',
          kind: 'domestic_direct',
          carriers: ['docomo', 'au', 'softbank', 'rakuten'],
          host: '127.0.0.1',
          port: s.smsc.port,
          systemId: c.smsc.systemId,
          password: c.smsc.password,
          binds: 1,
          window: 50,
          throughputPerSecond: 0,
          enquireLinkSeconds: 30,
          maxSegments: 10,
          ...overrides.smsRoute,
        },
      ],
    },
    line: {
      channels: [
        {
          id: c.line.channelId,
          tenantId,
          botUserId: c.line.botUserId,
          channelSecret: c.line.channelSecret,
          channelAccessToken: c.line.channelAccessToken,
          pnpEnabled: false,
          default: true,
        },
      ],
      apiBaseUrl: s.line.baseUrl,
    },
  };
}
