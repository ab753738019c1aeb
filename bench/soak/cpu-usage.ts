import { readdirSync, readFileSync } from 'node:fs';

/** Linux counts process CPU in USER_HZ ticks, 100 per second on every architecture it runs here. */
const TICKS_PER_SECOND = 100;

interface ProcStat {
  ppid: number;
  /** utime + stime + cutime + cstime: its own CPU and that of the children it has reaped. */
  ticks: number;
}

function readProcs(): Map<number, ProcStat> {
  const procs = new Map<number, ProcStat>();
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return procs; // not Linux: nothing to report
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces), from field 3 on.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      procs.set(Number(entry), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) });
    } catch {
      /* exited while we read */
    }
  }
  return procs;
}

/**
 * CPU seconds used so far by each named process tree (the root and every descendant alive, plus
 * the children they reaped): PostgreSQL's postmaster covers its backends, a node process its own.
 * Two readings apart give the cores each part of a bench used in between. Empty where there is no
 * /proc.
 */
export function cpuSecondsByTree(roots: Record<string, number | undefined>): Record<string, number> {
  const procs = readProcs();
  const children = new Map<number, number[]>();
  for (const [pid, p] of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), pid]);
  const out: Record<string, number> = {};
  for (const [name, root] of Object.entries(roots)) {
    if (!root || !procs.has(root)) continue;
    let ticks = 0;
    const stack = [root];
    while (stack.length) {
      const pid = stack.pop()!;
      ticks += procs.get(pid)?.ticks ?? 0;
      stack.push(...(children.get(pid) ?? []));
    }
    out[name] = ticks / TICKS_PER_SECOND;
  }
  return out;
}

/**
 * Read and write system calls made so far by each named process (`syscr`/`syscw` of
 * /proc/<pid>/io: sockets included), for a bench to print per message: on loopback every write
 * is also the receiver's wake-up, paid by the writer. Missing where /proc/<pid>/io cannot be read.
 */
export function ioCallsByProcess(pids: Record<string, number | undefined>): Record<string, { reads: number; writes: number }> {
  const out: Record<string, { reads: number; writes: number }> = {};
  for (const [name, pid] of Object.entries(pids)) {
    if (!pid) continue;
    try {
      const io = readFileSync(`/proc/${pid}/io`, 'utf8');
      const field = (key: string) => Number(new RegExp(`^${key}: (\\d+)$`, 'm').exec(io)?.[1] ?? NaN);
      out[name] = { reads: field('syscr'), writes: field('syscw') };
    } catch {
      /* not Linux, or not ours to read */
    }
  }
  return out;
}

/** The machine's CPU time so far, in ticks, from the first line of /proc/stat. */
export interface MachineTicks {
  busy: number;
  total: number;
  cores: number;
}

/**
 * Parses /proc/stat: `cpu user nice system idle iowait irq softirq steal …` over every core,
 * then one `cpuN` line per core. Idle and iowait are the time the machine had to spare.
 */
export function parseMachineTicks(procStat: string): MachineTicks | null {
  const lines = procStat.split('\n');
  const all = /^cpu\s+(.*)$/.exec(lines[0] ?? '');
  if (!all) return null;
  const f = all[1].trim().split(/\s+/).map(Number);
  if (f.length < 5 || f.some((n) => !Number.isFinite(n))) return null;
  // guest time is already counted in user and nice: the first eight fields are the whole.
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  const spare = f[3] + f[4];
  return { busy: total - spare, total, cores: lines.filter((l) => /^cpu\d+\s/.test(l)).length };
}

export function machineTicks(): MachineTicks | null {
  try {
    return parseMachineTicks(readFileSync('/proc/stat', 'utf8'));
  } catch {
    return null; // not Linux
  }
}

/** The share of the machine's cores that were busy between two readings (0–1). */
export function busyShare(before: MachineTicks, after: MachineTicks): number {
  const total = after.total - before.total;
  return total > 0 ? (after.busy - before.busy) / total : 0;
}
