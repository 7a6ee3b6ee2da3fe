// Operator log (pino). Secrets never go in here (redact paths catch accidents); client-supplied fields are capped.
import { type Logger, pino } from 'pino';
import { isStoreOutage } from './errors.js';
import { capLogFields, capLogValue, LOG_TEXT_MAX, logFieldSerializers } from './log-fields.js';

export type { Logger };

export function createLogger(
  options: { level?: string; destination?: { write(line: string): unknown } } = {},
): Logger {
  const level = options.level ?? process.env['GATEHOUSE_LOG_LEVEL'] ?? 'info';
  return pino(
    {
      level,
      base: { service: 'gatehouse' },
      redact: {
        paths: ['password', '*.password', 'secret', '*.secret', 'token', '*.token'],
        censor: '[redacted]',
      },
      // User, database, addresses and token parts are capped wherever they appear, child bindings included
      // (serializers), and every other string field and the message get the long cap (src/core/log-fields.ts).
      serializers: logFieldSerializers,
      formatters: { log: (fields) => capLogFields(fields) },
      hooks: {
        logMethod(args, method) {
          const i = typeof args[0] === 'string' ? 0 : 1;
          const message: unknown = args[i];
          if (typeof message === 'string') (args as unknown[])[i] = capLogValue(message, LOG_TEXT_MAX);
          method.apply(this, args);
        },
      },
    },
    (options.destination ?? process.stderr) as NodeJS.WritableStream,
  );
}

export const silentLogger: Logger = pino({ level: 'silent' });

/**
 * A failure that is worth a warn line, unless it is the store being away: that outage is logged once by the
 * store itself, so here it is a debug line with the operator detail.
 */
export function warnUnlessStoreOutage(
  log: Logger,
  error: unknown,
  message: string,
  fields: Record<string, unknown> = {},
): void {
  if (isStoreOutage(error)) log.debug({ ...fields, detail: error.detail }, message);
  else log.warn({ ...fields, err: error }, message);
}
