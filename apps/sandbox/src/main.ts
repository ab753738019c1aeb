import { readFileSync } from 'node:fs';
import { startSandboxes } from './start-sandboxes';

/**
 * The provider stand-ins as a process of their own (`npm run start:sandbox`), for the compose
 * file: SMPP on SANDBOX_SMSC_PORT, RBM on SANDBOX_RBM_PORT, LINE on SANDBOX_LINE_PORT, with the
 * credentials the engine's configuration names (or generated ones, printed as public facts only).
 */
async function main(): Promise<void> {
  const env = process.env;
  const port = (name: string) => (env[name] ? Number(env[name]) : undefined);
  const s = await startSandboxes({
    host: env.SANDBOX_HOST ?? '127.0.0.1',
    smscPort: port('SANDBOX_SMSC_PORT'),
    rbmPort: port('SANDBOX_RBM_PORT'),
    linePort: port('SANDBOX_LINE_PORT'),
    credentials: {
      smscPassword: env.SANDBOX_SMPP_PASSWORD,
      rbmPrivateKeyPem: env.SANDBOX_RBM_KEY_FILE ? readFileSync(env.SANDBOX_RBM_KEY_FILE, 'utf8') : undefined,
      rbmClientToken: env.SANDBOX_RBM_CLIENT_TOKEN,
      lineSecret: env.SANDBOX_LINE_SECRET,
      lineToken: env.SANDBOX_LINE_TOKEN,
      lineBotUserId: env.SANDBOX_LINE_BOT_USER_ID,
    },
  });
  if (env.SANDBOX_WEBHOOK_BASE_URL) await s.wire(env.SANDBOX_WEBHOOK_BASE_URL);
  console.log(JSON.stringify({ smscPort: s.smsc.port, rbm: s.rbm.baseUrl, line: s.line.baseUrl, webhooks: env.SANDBOX_WEBHOOK_BASE_URL ?? null }));
  const stop = () => void s.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: Error) => {
  console.error(`sandbox failed to start: ${err.message}`);
  process.exit(1);
});
