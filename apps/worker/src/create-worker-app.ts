import { DynamicModule, INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TsunaguConfig } from '@tsunagu/config';
import { AppOptions, PinoNestLogger, createLogger } from '@tsunagu/platform';
import { WorkerModule } from './worker.module';

export async function createWorkerApp(config: TsunaguConfig, extra: DynamicModule[] = [], opts: AppOptions = {}): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config, extra), {
    logger: new PinoNestLogger(createLogger(config.logLevel, opts.loggerName ?? 'worker', config.logFile)),
  });
  if (opts.shutdownHooks !== false) app.enableShutdownHooks();
  return app;
}
