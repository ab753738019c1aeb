import type { SmppPdu } from './smpp.types';

interface Pending {
  resolve(pdu: SmppPdu): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * The requests one session sent and the SMSC has not answered, by sequence number, each with its
 * own timer: the `smpp` package never calls back for requests outstanding when the socket drops,
 * so the bind settles every one of them itself (by its resp, its timer or the close).
 */
export class PendingRequests {
  private readonly bySeq = new Map<number, Pending>();

  /** Tracks a request sent; `onTimeout` runs (and must reject it) if no resp came within `timeoutMs`. */
  track(seq: number, handlers: Omit<Pending, 'timer'>, timeoutMs: number, onTimeout: () => void): void {
    const timer = setTimeout(() => {
      if (!this.bySeq.delete(seq)) return;
      onTimeout();
    }, timeoutMs);
    this.bySeq.set(seq, { ...handlers, timer });
  }

  /** Resolves the request this resp answers; a resp for a request we already gave up on is dropped. */
  settle(resp: SmppPdu): void {
    const pending = this.bySeq.get(resp.sequence_number);
    if (!pending) return;
    this.bySeq.delete(resp.sequence_number);
    clearTimeout(pending.timer);
    pending.resolve(resp);
  }

  /** Rejects every request still waiting, each with its own error; returns how many there were. */
  rejectAll(errorFor: () => Error): number {
    const lost = [...this.bySeq.values()];
    this.bySeq.clear();
    for (const p of lost) {
      clearTimeout(p.timer);
      p.reject(errorFor());
    }
    return lost.length;
  }
}
