/**
 * The first SIGTERM/SIGINT starts a graceful stop (Nest's shutdown hooks: stop taking jobs, finish
 * or release the ones in hand, unbind SMPP, close pools); a second one exits at once.
 */
export function exitOnSecondSignal(): void {
  let received = 0;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      received += 1;
      if (received > 1) process.exit(130);
    });
  }
}

export interface AppOptions {
  /**
   * Nest's SIGTERM/SIGINT hooks (default true): right for a process that holds this one app. A
   * process holding several closes them itself (`stopOnSignal`), as each hook would end the process.
   */
  shutdownHooks?: boolean;
  /**
   * The `name` on every log line (default: the app's own, `api` or `worker`). A process holding
   * several apps gives them one name: Nest's static Logger is process-wide, so the app made last
   * labelled every class-level line of the others with its own name.
   */
  loggerName?: string;
}

/**
 * For a process that holds several Nest apps (`npm start`: the api and the worker; the demo): the
 * first SIGTERM/SIGINT runs `stop` to its end and exits with the code it returns; a second one
 * exits at once. Such apps are made without Nest's own shutdown hooks: each hook re-raises the
 * signal once its own app has closed, which killed the process while the other app was still
 * finishing its jobs (and left the demo's database behind).
 */
export function stopOnSignal(stop: () => Promise<number>): void {
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) process.exit(130);
      stopping = true;
      stop().then(
        (code) => process.exit(code),
        (err: Error) => {
          console.error(`stopping failed: ${err.message}`);
          process.exit(1);
        },
      );
    });
  }
}
