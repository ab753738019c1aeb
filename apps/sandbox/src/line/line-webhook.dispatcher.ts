import { createHmac, randomBytes } from 'node:crypto';
import { SandboxLineChannel, SandboxLineWebhookRecord } from './sandbox-line.types';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A ULID, the format of LINE's webhookEventId: 10 time characters, 16 random ones. */
export function ulid(now: number = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const rand = randomBytes(16);
  let tail = '';
  for (let i = 0; i < 16; i++) tail += CROCKFORD[rand[i] % 32];
  return time + tail;
}

/**
 * JSON as the stand-in puts it on the wire: non-ASCII characters escaped as \uXXXX (as many Java
 * serialisers do). The bytes then differ from `JSON.stringify(JSON.parse(body))`, so a receiver
 * that verifies the signature over re-serialised JSON fails visibly instead of by luck.
 */
export function lineWireJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function signBody(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body, 'utf8').digest('base64');
}

export type LineEventInit = { type: string } & Record<string, unknown>;

interface StoredEvent {
  channel: SandboxLineChannel;
  event: Record<string, unknown>;
}

/**
 * Sends signed webhooks one event per request, keeps every event for redelivery on demand
 * (same webhookEventId, `deliveryContext.isRedelivery: true`), and owns the delay timers of PNP
 * delivery events. Timers are unref'd and cleared, and in-flight posts aborted, on close.
 */
export class LineWebhookDispatcher {
  private readonly sent = new Map<string, StoredEvent>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly abort = new AbortController();
  private closed = false;
  readonly records: SandboxLineWebhookRecord[] = [];

  constructor(public webhookUrl: string | undefined) {}

  /** Builds an event with LINE's common fields and sends it; resolves with its record. */
  async emit(channel: SandboxLineChannel, init: LineEventInit): Promise<SandboxLineWebhookRecord> {
    const event: Record<string, unknown> = {
      ...init,
      timestamp: Date.now(),
      mode: 'active',
      webhookEventId: ulid(),
      deliveryContext: { isRedelivery: false },
    };
    this.sent.set(event['webhookEventId'] as string, { channel, event });
    return this.post(channel, event);
  }

  /** Sends an event again, as LINE's redelivery does: same id, `isRedelivery: true`. */
  async redeliver(webhookEventId: string): Promise<SandboxLineWebhookRecord | null> {
    const stored = this.sent.get(webhookEventId);
    if (!stored) return null;
    return this.post(stored.channel, { ...stored.event, deliveryContext: { isRedelivery: true } });
  }

  /** Runs `fn` after `delayMs` unless the stand-in closes first. */
  later(delayMs: number, fn: () => Promise<unknown>): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn().catch(() => undefined);
    }, delayMs);
    timer.unref();
    this.timers.add(timer);
  }

  get pendingTimers(): number {
    return this.timers.size;
  }

  reset(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.sent.clear();
    this.records.length = 0;
  }

  close(): void {
    this.closed = true;
    this.reset();
    this.abort.abort();
  }

  private async post(channel: SandboxLineChannel, event: Record<string, unknown>): Promise<SandboxLineWebhookRecord> {
    const record: SandboxLineWebhookRecord = {
      webhookEventId: event['webhookEventId'] as string,
      type: event['type'] as string,
      botUserId: channel.botUserId,
      isRedelivery: (event['deliveryContext'] as { isRedelivery: boolean }).isRedelivery,
      status: null,
      at: new Date().toISOString(),
    };
    this.records.push(record);
    if (!this.webhookUrl || this.closed) return record;
    const body = lineWireJson({ destination: channel.botUserId, events: [event] });
    try {
      const res = await fetch(this.webhookUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'x-line-signature': signBody(channel.channelSecret, body),
          'user-agent': 'LineBotWebhook/2.0',
        },
        body,
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(5000)]),
      });
      record.status = res.status;
      await res.arrayBuffer().catch(() => undefined);
    } catch (err) {
      record.status = 0;
      record.error = err instanceof Error ? err.message : String(err);
    }
    return record;
  }
}
