import 'reflect-metadata';
import { describeConfig, loadConfig } from '@tsunagu/config';
import { createLogger, registerBuiltinChannels } from '@tsunagu/platform';
import { createApiApp } from '../../api/src/create-api-app';
import { createWorkerApp } from '../../worker/src/create-worker-app';

/** api and worker in one process, for small installs (`npm start`). */
async function main(): Promise<void> {
  const config = loadConfig();
  registerBuiltinChannels();
  const worker = await createWorkerApp(config);
  const api = await createApiApp(config);
  await api.listen(config.port);
  createLogger(config.logLevel, 'tsunagu', config.logFile).info({ config: describeConfig(config) }, `api and worker running; api on :${config.port}`);
  const stop = async () => {
    await api.close();
    await worker.close();
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

main().catch((err: Error) => {
  console.error(`tsunagu failed to start: ${err.message}`);
  process.exit(1);
});
