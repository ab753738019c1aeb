import pino, { Logger } from 'pino';
import { redactObject, redactPii } from '@tsunagu/security';

/**
 * What every log line goes through: phone numbers masked in the message and in every string of
 * the logged object, and the fields that could carry a body or a secret removed. Masking only the
 * message was not enough: an error's message logged as a field (`{ err: err.message }`) carried a
 * phone number verbatim, e.g. PostgreSQL's `invalid input syntax for type uuid: "+8190…"` for a
 * phone typed where an id belongs.
 */
export function loggerOptions(level: string, name: string): pino.LoggerOptions {
  return {
    name,
    level,
    base: { pid: process.pid },
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-line-signature"]', 'req.headers["x-goog-signature"]', '*.text', '*.body', '*.phone', '*.password', '*.secret', '*.token'],
      remove: true,
    },
    hooks: {
      logMethod(args, method) {
        // `parameters`: a TypeORM QueryFailedError's bound values (bodies, ciphertexts) if one is logged whole.
        const masked = args.map((a) => (typeof a === 'string' ? redactPii(a) : a && typeof a === 'object' ? redactObject(a, { extraKeys: ['parameters'] }) : a)) as typeof args;
        method.apply(this, masked);
      },
    },
  };
}

/** Structured JSON logs, to `file` when given (appended), else stdout. */
export function createLogger(level: string, name: string, file?: string): Logger {
  const options = loggerOptions(level, name);
  return file ? pino(options, pino.destination({ dest: file, append: true, sync: false, mkdir: true })) : pino(options);
}
