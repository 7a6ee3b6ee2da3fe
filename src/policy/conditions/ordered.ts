// Shared comparison for the ordered families (Numeric*, Date*): a request value is parsed the same way as
// the policy values; one that does not parse matches nothing.

import type { ValueMatcher } from './matcher.js';
import type { Comparison } from './operators.js';

export function orderedMatcher(
  policyValues: readonly number[],
  comparison: Comparison,
  parse: (text: string) => number,
): ValueMatcher {
  const compare = COMPARATORS[comparison];
  return (v) => {
    const n = parse(v);
    if (Number.isNaN(n)) return false;
    for (const p of policyValues) if (compare(n, p)) return true;
    return false;
  };
}

const COMPARATORS: Record<Comparison, (request: number, policy: number) => boolean> = {
  equals: (r, p) => r === p,
  equalsIgnoreCase: (r, p) => r === p,
  like: (r, p) => r === p,
  null: () => false,
  lt: (r, p) => r < p,
  lte: (r, p) => r <= p,
  gt: (r, p) => r > p,
  gte: (r, p) => r >= p,
};
