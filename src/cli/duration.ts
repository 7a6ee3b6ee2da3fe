// Parses CLI durations (`90s`, `15m`, `1h`, `2d`, or plain seconds) and port numbers into numbers.
import { InvalidArgumentError } from 'commander';

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** Seconds in a duration such as `90s`, `15m`, `1h`, `2d` or `120` (plain seconds). */
export function parseDuration(text: string): number {
  const m = /^(\d{1,9})([smhd]?)$/.exec(text.trim());
  if (!m)
    throw new InvalidArgumentError(`"${text}" is not a duration: use e.g. 90s, 15m, 1h, 2d or plain seconds`);
  const unit = (m[2] || 's') as keyof typeof UNIT_SECONDS;
  return Number(m[1]) * UNIT_SECONDS[unit];
}

/** A TCP port, 0 meaning "any free port". */
export function parsePort(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) {
    throw new InvalidArgumentError(`"${text}" is not a port number (0-65535)`);
  }
  return Number(text);
}
