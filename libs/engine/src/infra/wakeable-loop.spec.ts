import { WakeableLoop } from './wakeable-loop';
import type { WorkListener } from './work-listener';

/** A listener that hands the subscribed wake-up to the test. */
function fakeListener(): { listener: WorkListener; wake: () => void } {
  let fn: () => void = () => undefined;
  const listener = { subscribe: (_: string, f: () => void) => (fn = f), start: async () => undefined } as unknown as WorkListener;
  return { listener, wake: () => fn() };
}

describe('WakeableLoop', () => {
  it('coalesces wake-ups during a run into exactly one more run', async () => {
    let runs = 0;
    let release: () => void = () => undefined;
    const loop = new WakeableLoop(async () => {
      runs++;
      if (runs === 1) await new Promise<void>((r) => (release = r));
    }, () => undefined);
    const { listener, wake } = fakeListener();
    await loop.start(listener, 'tsunagu_due', 60_000);
    expect(runs).toBe(1); // started: one run at once
    for (let i = 0; i < 5; i++) wake();
    release();
    await new Promise((r) => setImmediate(r));
    expect(runs).toBe(2);
    loop.stop();
  });

  it('reports a failed run and runs again on the next wake-up; runs nothing once stopped', async () => {
    const errors: string[] = [];
    let runs = 0;
    const loop = new WakeableLoop(async () => {
      runs++;
      if (runs === 1) throw new Error('database restarting');
    }, (err) => errors.push(err.message));
    const { listener, wake } = fakeListener();
    await loop.start(listener, 'tsunagu_outbox', 60_000);
    await new Promise((r) => setImmediate(r));
    expect(errors).toEqual(['database restarting']);
    await loop.kick();
    expect(runs).toBe(2);
    loop.stop();
    expect(loop.isStopped).toBe(true);
    wake();
    await loop.kick();
    expect(runs).toBe(2);
  });
});
