// Registry of operator families (Null is handled by the condition evaluator itself: it tests presence only).
import { arnFamily } from './arn.js';
import { binaryFamily } from './binary.js';
import { boolFamily } from './bool.js';
import { dateFamily } from './date.js';
import { ipFamily } from './ip.js';
import type { OperatorFamilyImpl } from './matcher.js';
import { numericFamily } from './numeric.js';
import type { OperatorFamily } from './operators.js';
import { stringFamily } from './string.js';

const nullFamily: OperatorFamilyImpl = {
  check(value) {
    const v = value.toLowerCase();
    return v === 'true' || v === 'false'
      ? null
      : `Null takes "true" (key absent) or "false" (key present), not "${value}"`;
  },
  compile: () => () => false,
};

export const FAMILIES: Readonly<Record<OperatorFamily, OperatorFamilyImpl>> = {
  string: stringFamily,
  numeric: numericFamily,
  date: dateFamily,
  bool: boolFamily,
  binary: binaryFamily,
  ip: ipFamily,
  arn: arnFamily,
  null: nullFamily,
};
