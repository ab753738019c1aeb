import 'reflect-metadata';
import { describeConfig, loadConfig } from '@tsunagu/config';
import { createLogger, registerBuiltinChannels, stopOnSignal } from '@tsunagu/platform';
import { createApiApp } from '../../api/src/create-api-app';
import { createWorkerApp } from '../../worker/src/create-worker-app';

/** api and worker in one process, for small installs (`npm start`). */
async function main(): Promise<void> {
  const config = loadConfig();
  registerBuiltinChannels();
  // One stop for both (stopOnSignal): the api first, so no new work arrives while the worker finishes what it holds.
  const worker = await createWorkerApp(config, [], { shutdownHooks: false, loggerName: 'tsunagu' });
  const api = await createApiApp(config, [], { shutdownHooks: false, loggerName: 'tsunagu' });
  stopOnSignal(async () => {
    await api.close();
    await worker.close();
    return 0;
  });
  await api.listen(config.port);
  createLogger(config.logLevel, 'tsunagu', config.logFile).info({ config: describeConfig(config) }, `api and worker running; api on :${config.port}`);
}

main().catch((err: Error) => {
  console.error(`tsunagu failed to start: ${err.message}`);
  process.exit(1);
});
