import 'reflect-metadata';
import { stopOnSignal } from '@tsunagu/platform';
import { runDemo } from './demo';
import { InfraError } from './private-infra';

function hostPort(url: string | undefined, fallback: { host: string; port: number }) {
  if (!url) return fallback;
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port) };
}

/** `npm run demo [-- --once]`: the engine with the sandbox providers, fallback end to end. */
async function main(): Promise<void> {
  const once = process.argv.includes('--once');
  const env = process.env;
  const demo = await runDemo({
    port: env.PORT ? Number(env.PORT) : 3000,
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    // Where "the default local ports" are; overridable so the private-instances path can be tested.
    defaults: {
      postgres: hostPort(env.TSUNAGU_DEMO_LOCAL_POSTGRES, { host: '127.0.0.1', port: 5432 }),
      redis: hostPort(env.TSUNAGU_DEMO_LOCAL_REDIS, { host: '127.0.0.1', port: 6379 }),
    },
    out: process.stdout,
    keepRunning: !once,
  });
  if (once) {
    await demo.stop();
    process.exit(demo.ok ? 0 : 1);
  }
  stopOnSignal(async () => {
    await demo.stop();
    return demo.ok ? 0 : 1;
  });
  console.log('Running until Ctrl-C.');
}

main().catch((err: Error) => {
  console.error(err instanceof InfraError ? err.message : `demo failed: ${err.message}`);
  process.exit(1);
});
