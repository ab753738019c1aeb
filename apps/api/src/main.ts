import 'reflect-metadata';
import { describeConfig, loadConfig } from '@tsunagu/config';
import { createLogger, exitOnSecondSignal, registerBuiltinChannels } from '@tsunagu/platform';
import { createApiApp } from './create-api-app';

async function main(): Promise<void> {
  const config = loadConfig();
  registerBuiltinChannels();
  exitOnSecondSignal();
  const app = await createApiApp(config);
  await app.listen(config.port);
  createLogger(config.logLevel, 'api', config.logFile).info({ config: describeConfig(config) }, `api listening on :${config.port}`);
}

main().catch((err: Error) => {
  console.error(`tsunagu api failed to start: ${err.message}`);
  process.exit(1);
});
