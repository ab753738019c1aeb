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
