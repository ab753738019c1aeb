/**
 * The message ids this process has seen DELIVERED or READ, so `cancel` can answer `too_late`
 * (RBM answers a revoke 200 whether or not it withdrew anything). Bounded, oldest out first:
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
