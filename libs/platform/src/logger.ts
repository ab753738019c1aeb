import pino, { Logger } from 'pino';
import { redactPii } from '@tsunagu/security';

/**
 * Structured JSON logs. Phone numbers are masked in every message string, and the fields that
 * could carry a body or a secret are removed before a line is written.
 */
export function createLogger(level: string, name: string, file?: string): Logger {
  const destination = file ? pino.destination({ dest: file, append: true, sync: false, mkdir: true }) : undefined;
  const options: pino.LoggerOptions = {
    name,
    level,
    base: { pid: process.pid },
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-line-signature"]', 'req.headers["x-goog-signature"]', '*.text', '*.body', '*.phone', '*.password', '*.secret', '*.token'],
      remove: true,
    },
    hooks: {
      logMethod(args, method) {
        const masked = args.map((a) => (typeof a === 'string' ? redactPii(a) : a)) as typeof args;
        method.apply(this, masked);
      },
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
