import { System } from './system';
import { busyShare, cpuSecondsByTree, machineTicks } from './cpu-usage';
import { sleep } from './infra';

const FAULT_KINDS = ['worker_kill', 'api_kill', 'redis_restart', 'smpp_drop', 'pg_restart', 'early_receipts', 'duplicate_receipts'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Fault {
  at: number;
  kind: FaultKind;
  /** Which worker or api; for Redis, whether the restart comes back without its AOF. */
  target: number;
  wipe: boolean;
}

export type FaultCounts = Record<FaultKind, number>;

/** `pg_restart=3,worker_kill=2`: those counts, every other kind none. Throws on an unknown kind or count. */
export function parseFaultCounts(spec: string): FaultCounts {
  const counts = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as FaultCounts;
  for (const part of spec.split(',').filter(Boolean)) {
    const [kind, n] = part.split('=');
    if (!(FAULT_KINDS as readonly string[]).includes(kind) || !/^\d+$/.test(n ?? '')) {
      throw new Error(`--faults: "${part}" is not kind=count; kinds: ${FAULT_KINDS.join(', ')}`);
    }
    counts[kind as FaultKind] = Number(n);
  }
  return counts;
}

/**
 * The fault schedule from the seed: each kind's count spread over the sending window, with
 * jitter. Redis and PostgreSQL restarts never overlap (the driver runs faults one at a time).
 */
export function scheduleFaults(counts: FaultCounts, windowMs: number, rand: () => number): Fault[] {
  const faults: Fault[] = [];
  for (const [kind, n] of Object.entries(counts) as [FaultKind, number][]) {
    for (let k = 0; k < n; k++) {
      // Evenly spaced slots inside [5%, 90%] of the window, jittered within the slot.
      const slot = (0.85 * windowMs) / n;
      const at = Math.round(0.05 * windowMs + slot * k + rand() * slot * 0.8);
      faults.push({ at, kind, target: Math.floor(rand() * 1000), wipe: kind === 'redis_restart' && k % 2 === 1 });
    }
  }
  return faults.sort((a, b) => a.at - b.at);
}

export interface ChaosLog {
  done: FaultCounts & { redis_wipes: number };
  events: string[];
  /** The same events with their time (ms since the load started), to set slow fallbacks beside them. */
  marks: { atMs: number; what: string }[];
}

/** Runs the schedule against the live system. Restarts of killed processes happen in the background. */
export function runChaos(sys: System, faults: Fault[], rand: () => number, t0: number, stopped: () => boolean): { log: ChaosLog; done: Promise<void> } {
  const log: ChaosLog = {
    done: { worker_kill: 0, api_kill: 0, redis_restart: 0, redis_wipes: 0, smpp_drop: 0, pg_restart: 0, early_receipts: 0, duplicate_receipts: 0 },
    events: [],
    marks: [],
  };
  const background: Promise<void>[] = [];
  /** `atMs`: when what it tells began, for a reading taken over a window (default: now). */
  const note = (s: string, atMs = Date.now() - t0) => {
    log.events.push(`${(atMs / 1000).toFixed(1)}s ${s}`);
    log.marks.push({ atMs, what: s });
  };

  const run = async (f: Fault) => {
    switch (f.kind) {
      case 'worker_kill': {
        const alive = sys.workers.filter((w) => w.alive);
        if (alive.length === 0) return;
        const w = alive[Math.floor(rand() * alive.length)];
        await w.kill('SIGKILL');
        note(`SIGKILL ${w.name}`);
        log.done.worker_kill++;
        const delay = 300 + Math.floor(rand() * 1700);
        background.push(sleep(delay).then(() => w.start()));
        return;
      }
      case 'api_kill': {
        const index = f.target % sys.apis.length;
        const api = sys.apis[index];
        if (!sys.apis.every((a) => a.alive)) return; // keep one api serving
        await api.kill('SIGKILL');
        note(`SIGKILL ${api.name}`);
        log.done.api_kill++;
        background.push(
          sleep(1000).then(async () => {
            api.start();
            await sys.waitApi(index, 60_000);
          }),
        );
        return;
      }
      case 'redis_restart':
        await sys.redis.crash(f.wipe);
        note(`kill -9 redis-server${f.wipe ? ' and delete its AOF' : ''}`);
        await sleep(1000 + Math.floor(rand() * 1000));
        await sys.redis.start();
        note('redis-server restarted');
        log.done.redis_restart++;
        if (f.wipe) log.done.redis_wipes++;
        return;
      case 'smpp_drop':
        sys.sandboxes.smsc.control.fail({ mode: 'drop', dropAfterMs: 200 + Math.floor(rand() * 300) });
        note('SMSC: stop answering submits, then drop every bind');
        log.done.smpp_drop++;
        return;
      case 'pg_restart':
        // Marked at both ends: a fast shutdown cuts the sessions at once but returns only after
        // its checkpoint, which took over a second on slow hosts, so "stopped" alone placed the
        // outage too late to explain the fallbacks it delayed.
        note('PostgreSQL stopping (fast shutdown)');
        await sys.pg.stop();
        note('PostgreSQL stopped (fast shutdown)');
        await sleep(1500 + Math.floor(rand() * 1000));
        await sys.pg.start();
        note('PostgreSQL started');
        log.done.pg_restart++;
        // Marked at the return, so the fallbacks that fire inside the window list it.
        background.push(
          ((from) =>
            catchUp(sys).then((reading) => {
              if (reading) note(reading, from);
            }))(Date.now() - t0),
        );
        return;
      case 'early_receipts':
        sys.sandboxes.smsc.control.fail({ mode: 'early_receipt', durationMs: 4000 });
        note('SMSC: receipts before submit_sm_resp for 4 s');
        log.done.early_receipts++;
        return;
      case 'duplicate_receipts':
        sys.sandboxes.smsc.control.fail({ mode: 'duplicate_receipts', durationMs: 4000, count: 2 });
        note('SMSC: every receipt twice for 4 s');
        log.done.duplicate_receipts++;
        return;
    }
  };

  const done = (async () => {
    for (const f of faults) {
      if (stopped()) break;
      const wait = t0 + f.at - Date.now();
      if (wait > 0) await sleep(wait);
      if (stopped()) break;
      await run(f).catch((err: Error) => note(`fault ${f.kind} failed: ${err.message}`));
    }
    await Promise.allSettled(background);
  })();
  return { log, done };
}

/** How long after PostgreSQL's return the machine is watched: the fallbacks it delayed fire within it. */
const CATCH_UP_MS = 2000;

/**
 * How busy the machine was, and who kept it busy, over the CATCH_UP_MS after PostgreSQL came
 * back: the fallbacks that fell due during the outage go out in that window, beside the backlog
 * of everything else, so a late one can be read against it (session 20: ~92% of both cores).
 */
async function catchUp(sys: System): Promise<string | null> {
  const roots = () => ({
    postgres: sys.pg.pid,
    ...Object.fromEntries(sys.workers.map((w) => [w.name, w.child?.pid])),
    ...Object.fromEntries(sys.apis.map((a) => [a.name, a.child?.pid])),
  });
  const machine0 = machineTicks();
  const trees0 = cpuSecondsByTree(roots());
  await sleep(CATCH_UP_MS);
  const machine1 = machineTicks();
  if (!machine0 || !machine1) return null;
  const cores = (prefix: string) => {
    const seconds = Object.entries(cpuSecondsByTree(roots()))
      .filter(([name]) => name.startsWith(prefix) && trees0[name] !== undefined)
      .reduce((sum, [name, v]) => sum + v - trees0[name], 0);
    return (seconds / (CATCH_UP_MS / 1000)).toFixed(2);
  };
  const busy = Math.round(busyShare(machine0, machine1) * 100);
  return `the ${CATCH_UP_MS / 1000} s after: ${busy}% of ${machine1.cores} cores busy (cores: PostgreSQL ${cores('postgres')}, workers ${cores('worker')}, apis ${cores('api')})`;
}
