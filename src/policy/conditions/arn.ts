// ARN condition operators (ArnEquals, ArnLike and their negations): per-part wildcard match of the six
// colon-delimited ARN parts, case-sensitive; policy variables are supported.
import { ArnBounds, ArnPattern } from '../arn.js';
import type { OperatorFamilyImpl } from './matcher.js';

export const arnFamily: OperatorFamilyImpl = {
  check(value) {
    // A value may also start with a policy variable that resolves to an ARN.
    if (value === '*' || value.startsWith('arn:') || value.startsWith('${')) return null;
    return `"${value}" is not an ARN (arn:partition:service:region:account-id:resource)`;
  },
  compile(values, _comparison, variables) {
    const patterns = values.map((v) => ArnPattern.parse(v, variables));
    return (v, vars) => {
      const bounds = new ArnBounds(v);
      for (const p of patterns) if (p.match(bounds, vars)) return true;
      return false;
    };
  },
};
