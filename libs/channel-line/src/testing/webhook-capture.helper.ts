import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { InboundRequest } from '@tsunagu/channels';
import { expectEventually } from '@tsunagu/testing';
import { LineChannelConfig } from '../line-channel.options';

/** A webhook as our HTTP layer would hand it over: lower-cased headers and the exact bytes. */
export interface CapturedWebhook extends InboundRequest {
  body: { destination: string; events: { webhookEventId: string; type: string; deliveryContext: { isRedelivery: boolean } }[] };
}

/**
 * Stands in for `POST /webhooks/line`: a plain node:http server that keeps every request's raw
 * bytes (no body parser, so nothing is re-serialised) on 127.0.0.1 and an ephemeral port.
 */
export class WebhookCapture {
  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly received: CapturedWebhook[],
  ) {}

  static async start(): Promise<WebhookCapture> {
    const received: CapturedWebhook[] = [];
    const server = createServer((req, res) => {
      readAll(req).then(
        (rawBody) => {
          const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), v]));
          received.push({ headers, rawBody, body: JSON.parse(rawBody.toString('utf8')) });
          res.writeHead(200).end('OK');
        },
        () => res.writeHead(400).end(),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return new WebhookCapture(server, `http://127.0.0.1:${port}/webhooks/line`, received);
  }

  /** Waits for the webhook carrying this event (and redelivery flag). */
  async waitFor(webhookEventId: string, isRedelivery = false, timeoutMs = 5000): Promise<CapturedWebhook> {
    return expectEventually(
      () => {
        const hit = this.received.find((w) =>
          w.body.events.some((e) => e.webhookEventId === webhookEventId && e.deliveryContext.isRedelivery === isRedelivery),
        );
        if (!hit) throw new Error(`no webhook with event ${webhookEventId} (isRedelivery ${isRedelivery}) yet`);
        return hit;
      },
      { timeoutMs },
    );
  }

  /** Waits for a PNP delivery event whose delivery tag is this attempt id. */
  async waitForDelivery(attemptId: string, timeoutMs = 5000): Promise<CapturedWebhook> {
    return expectEventually(
      () => {
        const hit = this.received.find((w) => w.rawBody.toString('utf8').includes(`"data":"${attemptId}"`));
        if (!hit) throw new Error(`no delivery webhook for ${attemptId} yet`);
        return hit;
      },
      { timeoutMs },
    );
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const hexId = (c: string) => `U${c.repeat(32)}`;

/**
 * Three official accounts: tenant A's default has LINE notification messages (PNP), tenant A has
 * a second account, tenant B has one account without PNP.
 */
export const TEST_LINE_CHANNELS: LineChannelConfig[] = [
  { id: '1650000001', tenantId: 'tenant-a', botUserId: hexId('a'), channelSecret: 'secret-a1', channelAccessToken: 'token-a1', pnpEnabled: true, default: true },
  { id: '1650000002', tenantId: 'tenant-a', botUserId: hexId('c'), channelSecret: 'secret-a2', channelAccessToken: 'token-a2', pnpEnabled: false },
  { id: '1650000003', tenantId: 'tenant-b', botUserId: hexId('b'), channelSecret: 'secret-b1', channelAccessToken: 'token-b1', pnpEnabled: false },
];
