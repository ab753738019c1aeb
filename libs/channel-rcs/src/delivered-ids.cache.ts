/**
 * The message ids this process has seen DELIVERED or READ, so `cancel` can answer `too_late`
 * without a call, and after a revoke that raced the delivery (RBM answered 200, then DELIVERED
 * came). Webhooks and revokes may be handled by different processes; RBM's 404 for a message
 * already delivered covers that case. Bounded, oldest out first:
 * it is a shortcut, not the truth — the engine's event rows are.
 */
export class DeliveredIdsCache {
  private readonly ids = new Map<string, true>();

  constructor(private readonly capacity: number) {}

  add(id: string): void {
    this.ids.delete(id);
    this.ids.set(id, true);
    if (this.ids.size > this.capacity) {
      const oldest = this.ids.keys().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  get size(): number {
    return this.ids.size;
  }
}
