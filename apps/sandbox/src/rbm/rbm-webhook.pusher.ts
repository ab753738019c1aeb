import { createHmac, randomUUID } from 'node:crypto';
import { SandboxPushRecord } from './rbm-sandbox.types';

/*
 * Pushes notifications the way RBM does: a Pub/Sub-style envelope whose `message.data` is the
 * base64 of the event JSON, signed `X-Goog-Signature: base64(HMAC-SHA512(clientToken, data))`.
 * Pushes go out one at a time in order (so "READ before DELIVERED" means exactly that), and a
 * push the webhook refuses or cannot take is retried a few times, as Pub/Sub would.
 */

const RETRY_DELAYS_MS = [100, 400, 1600];

/** Timers that never keep the process alive and all stop on close. */
export class SandboxTimers {
  private readonly handles = new Set<NodeJS.Timeout>();
  private closed = false;

  set(fn: () => void, ms: number): NodeJS.Timeout | undefined {
    if (this.closed) return undefined;
    const handle = setTimeout(() => {
      this.handles.delete(handle);
      fn();
    }, Math.max(0, ms));
    handle.unref();
    this.handles.add(handle);
    return handle;
  }

  clear(handle: NodeJS.Timeout | undefined): void {
    if (!handle) return;
    clearTimeout(handle);
    this.handles.delete(handle);
  }

  clearAll(): void {
    for (const handle of this.handles) clearTimeout(handle);
    this.handles.clear();
  }

  close(): void {
    this.closed = true;
    this.clearAll();
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

export class RbmWebhookPusher {
  readonly records: SandboxPushRecord[] = [];
  private chain: Promise<void> = Promise.resolve();
  private publishCounter = 0;
  /** Bumped on reset so pushes queued before it are dropped. */
  private generation = 0;

  constructor(
    private readonly clientToken: string,
    private readonly timers: SandboxTimers,
    public webhookUrl: string | undefined,
    private readonly subscription = 'projects/rbm-sandbox/subscriptions/rbm-agent-webhook',
  ) {}

  /** Queues one notification; `copies` > 1 re-sends the identical envelope (a redelivery). */
  push(data: Record<string, unknown>, meta: Omit<SandboxPushRecord, 'result' | 'tries'>, copies = 1): void {
    const payload = Buffer.from(JSON.stringify(data), 'utf8');
    const envelope = JSON.stringify({
      message: {
        data: payload.toString('base64'),
        messageId: String(++this.publishCounter),
        message_id: String(this.publishCounter),
        publishTime: new Date().toISOString(),
      },
      subscription: this.subscription,
    });
    const signature = createHmac('sha512', this.clientToken).update(payload).digest('base64');
    const generation = this.generation;
    for (let i = 0; i < copies; i++) {
      const record: SandboxPushRecord = { ...meta, result: 'pending', tries: 0 };
      this.records.push(record);
      this.chain = this.chain.then(() => (generation === this.generation ? this.deliver(envelope, signature, record, 0) : undefined));
    }
  }

  /** Resolves when everything queued so far has been pushed (or given up on). */
  idle(): Promise<void> {
    return this.chain;
  }

  reset(): void {
    this.generation++;
    this.records.length = 0;
  }

  newEventId(): string {
    return `sandbox-${randomUUID()}`;
  }

  private async deliver(envelope: string, signature: string, record: SandboxPushRecord, attempt: number): Promise<void> {
    const url = this.webhookUrl;
    if (!url || this.timers.isClosed) return;
    record.tries++;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-goog-signature': signature },
        body: envelope,
        signal: AbortSignal.timeout(5000),
      });
      await res.arrayBuffer().catch(() => undefined);
      record.result = res.status;
      if (res.ok) return;
    } catch {
      record.result = 'error';
    }
    const delay = RETRY_DELAYS_MS[attempt];
    if (delay === undefined) return;
    // Retried out of band so one refusing push does not hold up the rest.
    this.timers.set(() => {
      void this.deliver(envelope, signature, record, attempt + 1);
    }, delay);
  }
}
