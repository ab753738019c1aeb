import { DynamicModule, INestApplication, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import express from 'express';
import { TsunaguConfig } from '@tsunagu/config';
import { AppOptions, PinoNestLogger, createLogger } from '@tsunagu/platform';
import { consoleHttp } from '@tsunagu/console';
import { ApiModule } from './api.module';
import { API_DESCRIPTION } from './http/openapi/api-description';
import { documentCallbacks } from './messages/callback.schemas';
import { correlationId } from './http/correlation-id.middleware';
import { ErrorFilter } from './http/error.filter';
import { jsonBody } from './http/json-body.middleware';

/** Webhooks may batch many events; still bounded, and refused before any signature work. */
const WEBHOOK_LIMIT_BYTES = 1024 * 1024;

export async function createApiApp(config: TsunaguConfig, extra: DynamicModule[] = [], opts: AppOptions = {}): Promise<INestApplication> {
  const logger = createLogger(config.logLevel, opts.loggerName ?? 'api', config.logFile);
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forRoot(config, extra), {
    bodyParser: false,
    logger: new PinoNestLogger(logger),
  });
  app.disable('x-powered-by');
  // The client's address (req.ip) as the configured proxies report it; by default only the socket's.
  app.set('trust proxy', config.http.trustProxy ?? false);
  // No ETag on API answers: hashing every JSON body costs ~1% of the api's CPU and no client of
  // /v1 revalidates (the console's static assets get theirs from express.static).
  app.set('etag', false);
  app.use(correlationId);
  // Raw bytes first: signatures are verified over exactly what was received, and the size limit
  // answers 413 before anything is parsed.
  app.use('/webhooks', express.raw({ type: () => true, limit: WEBHOOK_LIMIT_BYTES }));
  app.use('/v1', express.raw({ type: () => true, limit: config.http.bodyLimitBytes }), jsonBody);
  // The operators' endpoints take small JSON bodies, checked as strictly as /v1's.
  app.use('/ops', express.raw({ type: () => true, limit: 16 * 1024 }), jsonBody);
  // The support console: its security headers, small urlencoded forms and static assets, on /console only.
  app.use('/console', consoleHttp({ publicUrl: config.publicUrl }));
  app.useGlobalFilters(new ErrorFilter());
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: false, stopAtFirstError: false }));
  if (opts.shutdownHooks !== false) app.enableShutdownHooks();

  const doc = new DocumentBuilder()
    .setTitle('Tsunagu')
    .setDescription(API_DESCRIPTION)
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'tsk_<id>_<secret>', description: 'A tenant API key, with the scopes the operation names.' }, 'bearer')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'The operations token, TSUNAGU_OPS_TOKEN.' }, 'ops')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'The operator token, TSUNAGU_OPERATOR_TOKEN: the operators\' decisions.' }, 'operator')
    .build();
  const document = SwaggerModule.createDocument(app, doc);
  documentCallbacks(document as unknown as Parameters<typeof documentCallbacks>[0]);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });
  return app;
}
