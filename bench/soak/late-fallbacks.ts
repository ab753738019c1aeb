import type { LateFallback } from './checks';

/** How far back a fault can still explain a late fallback: a lapsed lease (10 s) plus a restart. */
const REACH_MS = 15_000;

export interface LateFallbackBesideFaults {
  /** When its deadline fell, seconds after the load started. */
  at_s: number;
  late_ms: number;
  next: string;
  /** The chaos events from REACH_MS before the deadline until the fallback happened, each at its time relative to the deadline (negative: before it). */
  faults: string[];
}

/**
 * Sets each late fallback beside the faults that were in effect around its deadline, so a p99
 * over the target can be read as "these came after worker kills" rather than guessed at.
 */
export function lateFallbacksBesideFaults(worst: LateFallback[], marks: { atMs: number; what: string }[], t0: number): LateFallbackBesideFaults[] {
  return worst.map((w) => {
    const at = w.deadlineMs - t0;
    const faults = marks
      .filter((m) => m.atMs >= at - REACH_MS && m.atMs <= at + w.lateMs)
      // A reading over a window is noted when it ends, but marked when the window began.
      .sort((a, b) => a.atMs - b.atMs)
      .map((m) => `${((m.atMs - at) / 1000).toFixed(1)}s ${m.what}`);
    return { at_s: Math.round(at / 100) / 10, late_ms: w.lateMs, next: w.next, faults };
  });
}
