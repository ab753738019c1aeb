import { ChannelError } from '@tsunagu/channels';
import type { SmsRouteConfig } from './route.selector';
import { BindHooks, BindTimings, SmppBind } from './smpp.bind';
import type { SmppPdu } from './smpp/smpp.types';

export interface PoolTimings extends BindTimings {
  /** How long a send may wait for a bound bind with a free window slot before `window_full`. */
  windowWaitMs: number;
  throttleBackoffMs: number;
  throttleBackoffMaxMs: number;
}

export interface BindHealth {
  id: string;
  state: SmppBind['state'];
  outstanding: number;
  lastError?: string;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The binds of one route. A send takes one window slot per segment PDU on the least busy bound
 * bind, waiting a bounded time for one to free up. Throttling (0x58) pauses the whole route with a
 * growing backoff, since the SMSC's limit is per account, not per bind.
 */
export class BindPool {
  readonly binds: SmppBind[];
  throttledUntil = 0;
  private throttleStreak = 0;
  private waiters: (() => void)[] = [];
  private nextSubmitAt = 0;

  constructor(
    readonly route: SmsRouteConfig,
    private readonly timings: PoolTimings,
    onDeliver: (pdu: SmppPdu, bind: SmppBind) => Promise<void>,
  ) {
    const hooks: BindHooks = { onDeliver, onChange: () => this.wake() };
    this.binds = Array.from({ length: Math.max(1, route.binds) }, (_, n) => new SmppBind(`${route.name}#${n}`, route, timings, hooks));
  }

  start(): void {
    for (const bind of this.binds) bind.start();
  }

  async close(): Promise<void> {
    await Promise.all(this.binds.map((b) => b.close()));
    this.wakeAll();
  }

  get up(): boolean {
    return this.binds.some((b) => b.state === 'bound');
  }

  get healthy(): boolean {
    return this.up && Date.now() >= this.throttledUntil;
  }

  /** Takes one window slot on a bound bind; throws a retryable ChannelError when none frees in time. */
  async acquire(deadline: number = Date.now() + this.timings.windowWaitMs): Promise<SmppBind> {
    for (;;) {
      const now = Date.now();
      if (this.throttledUntil > now) {
        if (this.throttledUntil > deadline) {
          const wait = this.throttledUntil - now;
          throw ChannelError.retryable('throttled', `route ${this.route.name} is backing off`, wait);
        }
        await sleep(this.throttledUntil - now);
        continue;
      }
      const bind = this.leastBusy();
      if (bind?.takeSlot()) {
        await this.pace();
        return bind;
      }
      if (now >= deadline) {
        throw this.up
          ? ChannelError.retryable('window_full', `route ${this.route.name}: every window is full`, 100)
          : ChannelError.retryable('no_bind', `route ${this.route.name} has no bound bind`, 1000);
      }
      await this.waitForChange(deadline - now);
    }
  }

  /** A bound bind for a non-submit request (cancel_sm), or null. */
  anyBound(): SmppBind | null {
    return this.binds.find((b) => b.state === 'bound') ?? null;
  }

  /**
   * Records a 0x58 and returns how long the route now waits. The pause grows once per throttled
   * episode, not per answer: the 0x58s for submits already in flight when the route paused say
   * nothing new, and counting each would take one burst straight to the longest pause.
   */
  noteThrottled(): number {
    const now = Date.now();
    if (now >= this.throttledUntil) {
      this.throttleStreak++;
      const backoff = Math.min(this.timings.throttleBackoffMaxMs, this.timings.throttleBackoffMs * 2 ** (this.throttleStreak - 1));
      this.throttledUntil = now + backoff;
    }
    return this.throttledUntil - now;
  }

  noteAccepted(): void {
    this.throttleStreak = 0;
  }

  health(): { binds: BindHealth[]; throttledUntil?: string } {
    const binds = this.binds.map((b) => ({ id: b.id, state: b.state, outstanding: b.outstanding, ...(b.lastError ? { lastError: b.lastError } : {}) }));
    return this.throttledUntil > Date.now() ? { binds, throttledUntil: new Date(this.throttledUntil).toISOString() } : { binds };
  }

  private leastBusy(): SmppBind | undefined {
    let best: SmppBind | undefined;
    for (const b of this.binds) if (b.freeSlots > 0 && (!best || b.freeSlots > best.freeSlots)) best = b;
    return best;
  }

  /** Keeps the account under its submits-per-second across all binds of this process. */
  private async pace(): Promise<void> {
    const tps = this.route.throughputPerSecond;
    if (!tps || tps <= 0) return;
    const now = Date.now();
    const at = Math.max(now, this.nextSubmitAt);
    this.nextSubmitAt = at + 1000 / tps;
    if (at > now) await sleep(at - now);
  }

  private waitForChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.push(done);
    });
  }

  /** A slot freed or a bind changed state: the oldest waiter tries again. */
  private wake(): void {
    const next = this.waiters.shift();
    if (next) next();
    if (this.binds.some((b) => b.freeSlots > 1)) this.wakeAll();
  }

  private wakeAll(): void {
    const all = this.waiters;
    this.waiters = [];
    for (const w of all) w();
  }
}
