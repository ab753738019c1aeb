import type { WorkListener } from './work-listener';
import type { NotifyChannel } from './write-batch';

/**
 * A drain that a NOTIFY wakes, with a poll as the fallback for a missed one (a reconnect, a
 * crash after a commit). Wake-ups coalesce: one run at a time, and exactly one more if woken
 * during it, so a burst of commits costs two runs, not one each. The outbox relay and the
 * due-message dispatcher are both this shape.
 */
export class WakeableLoop {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private again = false;
  private stopped = true;

  constructor(
    private readonly work: () => Promise<void>,
    /** A run threw: the next wake-up or poll tries again. */
    private readonly onError: (err: Error) => void,
  ) {}

  get isStopped(): boolean {
    return this.stopped;
  }

  async start(listener: WorkListener, channel: NotifyChannel, pollMs: number): Promise<void> {
    this.stopped = false;
    listener.subscribe(channel, () => void this.kick());
    await listener.start();
    this.timer = setInterval(() => void this.kick(), pollMs);
    void this.kick();
  }

  async kick(): Promise<void> {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      do {
        this.again = false;
        await this.work();
      } while (this.again && !this.stopped);
    } catch (err) {
      this.onError(err as Error);
    } finally {
      this.running = false;
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
