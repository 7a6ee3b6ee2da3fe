// BinaryEquals: policy values are base64; the request value (also base64) must decode to the same bytes.
import type { OperatorFamilyImpl } from './matcher.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Canonical base64 of the decoded bytes, or null when the text is not strict base64. */
function canonical(text: string): string | null {
  return BASE64.test(text) ? Buffer.from(text, 'base64').toString('base64') : null;
}

export const binaryFamily: OperatorFamilyImpl = {
  check(value) {
    return canonical(value) === null ? `"${value}" is not base64` : null;
  },
  compile(values) {
    const wanted = new Set(values.map(canonical).filter((v): v is string => v !== null));
    return (v) => {
      const c = canonical(v);
      return c !== null && wanted.has(c);
    };
  },
};
