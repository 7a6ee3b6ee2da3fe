// Operator log (pino). Secrets never go in here; redact paths catch accidents.
import { type Logger, pino } from 'pino';

export type { Logger };

export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const level = options.level ?? process.env['GATEHOUSE_LOG_LEVEL'] ?? 'info';
  return pino(
    {
      level,
      base: { service: 'gatehouse' },
      redact: {
        paths: ['password', '*.password', 'secret', '*.secret', 'token', '*.token'],
        censor: '[redacted]',
      },
    },
    options.destination ?? process.stderr,
  );
}

export const silentLogger: Logger = pino({ level: 'silent' });
