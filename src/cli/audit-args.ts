// Argument parsers and the output choice shared by the `gatehouse audit …` commands.
import { type Command, InvalidArgumentError } from 'commander';
import { parseLookupTime } from '../control-plane/audit.js';
import { globalsOf } from './context.js';
import type { OutputFormat } from './output.js';

/** An ISO 8601 time or epoch seconds, as ISO 8601. */
export function timeArg(text: string): string {
  const d = parseLookupTime(text);
  if (d === null) {
    throw new InvalidArgumentError(
      'expected an ISO 8601 time (2026-01-31T12:00:00Z) or epoch seconds (1769860800)',
    );
  }
  return d.toISOString();
}

/** A whole number from 1 to `max`. */
export function countArg(max: number): (text: string) => number {
  return (text) => {
    if (!/^\d{1,7}$/.test(text.trim()) || Number(text) < 1 || Number(text) > max) {
      throw new InvalidArgumentError(`expected a whole number from 1 to ${max}`);
    }
    return Number(text);
  };
}

/** Seconds between polls: 0.1 to 3600. */
export function secondsArg(text: string): number {
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text.trim()) || n < 0.1 || n > 3600) {
    throw new InvalidArgumentError('expected seconds from 0.1 to 3600');
  }
  return n;
}

/** The --output the user asked for, or null when they left the default (commands then print readable text). */
export function chosenOutput(cmd: Command): OutputFormat | null {
  const source = cmd.getOptionValueSourceWithGlobals('output');
  return source === undefined || source === 'default' ? null : globalsOf(cmd).output;
}

/** A repeatable option's collector. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
