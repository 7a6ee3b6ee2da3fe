// Bool condition operator: the request value compared with "true" / "false", case-insensitively.
import type { OperatorFamilyImpl } from './matcher.js';

export const boolFamily: OperatorFamilyImpl = {
  check(value) {
    const v = value.toLowerCase();
    return v === 'true' || v === 'false' ? null : `Bool takes "true" or "false", not "${value}"`;
  },
  compile(values) {
    const wanted = new Set(values.map((v) => v.toLowerCase()));
    return (v) => wanted.has(v.toLowerCase());
  },
};
