import { startSandboxes } from './start-sandboxes';

/**
 * The provider stand-ins as a process of their own (`npm run start:sandbox`), for the compose
 * file and for pointing a running engine at them. Prints the generated credentials' public parts.
 */
async function main(): Promise<void> {
  const port = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined);
  const s = await startSandboxes({ smscPort: port('SANDBOX_SMSC_PORT'), linePort: port('SANDBOX_LINE_PORT') });
  if (process.env.SANDBOX_WEBHOOK_BASE_URL) await s.wire(process.env.SANDBOX_WEBHOOK_BASE_URL);
  console.log(JSON.stringify({ smscPort: s.smsc.port, rbm: s.rbm.baseUrl, line: s.line.baseUrl }));
  const stop = () => void s.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: Error) => {
  console.error(`sandbox failed to start: ${err.message}`);
  process.exit(1);
});
