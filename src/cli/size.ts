// Parses CLI sizes (`512k`, `10m`, `1g`, or plain bytes) and positive counts into numbers.
import { InvalidArgumentError } from 'commander';

const UNIT_BYTES = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 } as const;

/** Bytes in a size such as `512k`, `10m`, `10MB`, `1g` or `1048576` (units are powers of 1024), at least `min`. */
export function parseSize(text: string, min = 1): number {
  const m = /^(\d{1,12})\s*(?:([kmg])i?)?b?$/i.exec(text.trim());
  const bytes = m
    ? Number(m[1]) * UNIT_BYTES[(m[2] ?? '').toLowerCase() as keyof typeof UNIT_BYTES]
    : Number.NaN;
  if (!Number.isSafeInteger(bytes) || bytes < min) {
    throw new InvalidArgumentError(
      `"${text}" is not a size of at least ${min} bytes: use e.g. 512k, 10m, 1g or plain bytes`,
    );
  }
  return bytes;
}

/** A whole number of at least 1. */
export function parseCount(text: string): number {
  if (!/^\d{1,6}$/.test(text) || Number(text) < 1) {
    throw new InvalidArgumentError(`"${text}" is not a whole number of at least 1`);
  }
  return Number(text);
}
