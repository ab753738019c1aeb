import { createHash } from 'node:crypto';

/*
 * The benches' figures are only comparable on the same host speed, and the machines this runs on
 * differ by several times from one session to the next (session 16's host took 3.5 times the CPU
 * per delivered SMS of session 15's for the same code). A fixed piece of single-threaded work,
 * timed as CPU before anything else starts, is printed beside each run's figures: a run whose
 * reference took twice as long was on a host half as fast, whatever its code.
 */

/** CPU milliseconds the reference work took, best of three (the lowest is the least disturbed). */
export function hostReferenceMs(): number {
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    const before = process.cpuUsage();
    referenceWork();
    const used = process.cpuUsage(before);
    best = Math.min(best, (used.user + used.system) / 1000);
  }
  return Math.round(best * 10) / 10;
}

/** JSON, hashing and string work, as an engine process does them; the result is used so none of it is optimised away. */
function referenceWork(): number {
  const record = { id: '0190e6c2-7b1a-7c3e-9d4f-2a6b8c0d1e2f', status: 'delivered', text: 'ご注文の商品を発送しました。', parts: [1, 2, 3], at: '2026-12-04T00:00:00.000Z' };
  let acc = 0;
  for (let i = 0; i < 20_000; i++) {
    const text = JSON.stringify({ ...record, n: i });
    const back = JSON.parse(text) as { n: number; text: string };
    const digest = createHash('sha256').update(text).digest();
    acc += back.n + digest[0] + back.text.length + text.replace(/"/g, "'").length;
  }
  return acc;
}
