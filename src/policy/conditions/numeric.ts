// Numeric condition operators (NumericEquals ... NumericGreaterThanEquals): integers and decimals.
import type { OperatorFamilyImpl } from './matcher.js';
import { orderedMatcher } from './ordered.js';

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The number a value denotes, NaN when it is not a plain decimal number (no hex, no Infinity). */
export function parseNumber(text: string): number {
  return NUMBER.test(text) ? Number(text) : Number.NaN;
}

export const numericFamily: OperatorFamilyImpl = {
  check(value) {
    if (value.includes('${')) return 'policy variables are supported only with String and Arn operators';
    return Number.isNaN(parseNumber(value)) ? `"${value}" is not a number` : null;
  },
  compile(values, comparison) {
    return orderedMatcher(values.map(parseNumber), comparison, parseNumber);
  },
};
