import { InvalidArgumentError } from 'commander';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDuration, parsePort } from '../../../src/cli/duration.js';

describe('parseDuration', () => {
  it('reads seconds, minutes, hours, days and plain seconds', () => {
    expect(parseDuration('90s')).toBe(90);
    expect(parseDuration('15m')).toBe(900);
    expect(parseDuration('1h')).toBe(3600);
    expect(parseDuration('2d')).toBe(172_800);
    expect(parseDuration('120')).toBe(120);
    expect(parseDuration('0')).toBe(0);
  });

  it('refuses anything else with a usage error', () => {
    for (const bad of ['', '1w', '-5', '1.5h', 'h', '1h30m', '10 m', '1e3']) {
      expect(() => parseDuration(bad), bad).toThrow(InvalidArgumentError);
    }
  });

  it('a number with unit m is always 60 times the same number with unit s', () => {
    fc.assert(
      fc.property(fc.nat({ max: 1_000_000 }), (n) => parseDuration(`${n}m`) === 60 * parseDuration(`${n}s`)),
    );
  });
});

describe('parsePort', () => {
  it('accepts 0-65535 and refuses the rest', () => {
    expect(parsePort('0')).toBe(0);
    expect(parsePort('65535')).toBe(65535);
    for (const bad of ['65536', '-1', 'http', '80.5', ''])
      expect(() => parsePort(bad), bad).toThrow(InvalidArgumentError);
  });
});
