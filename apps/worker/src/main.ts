import 'reflect-metadata';
import { loadConfig } from '@tsunagu/config';
import { exitOnSecondSignal, registerBuiltinChannels } from '@tsunagu/platform';
import { createWorkerApp } from './create-worker-app';

async function main(): Promise<void> {
  const config = loadConfig();
  registerBuiltinChannels();
  exitOnSecondSignal();
  await createWorkerApp(config);
}

main().catch((err: Error) => {
  console.error(`tsunagu worker failed to start: ${err.message}`);
  process.exit(1);
});
