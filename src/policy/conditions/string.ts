// String condition operators: StringEquals / StringNotEquals (case-sensitive), the IgnoreCase pair, and
// StringLike / StringNotLike with * and ? wildcards. Policy variables are supported here.
import { Template } from '../variables.js';
import type { OperatorFamilyImpl, ValueMatcher } from './matcher.js';

function equalsMatcher(templates: Template[], fold: boolean): ValueMatcher {
  if (templates.every((t) => !t.hasVariables)) {
    const set = new Set(templates.map((t) => t.resolveString({ variable: () => undefined }) ?? ''));
    const folded = fold ? new Set([...set].map((v) => v.toLowerCase())) : set;
    return fold ? (v) => folded.has(v.toLowerCase()) : (v) => set.has(v);
  }
  return (v, vars) => {
    const probe = fold ? v.toLowerCase() : v;
    for (const t of templates) {
      const want = t.resolveString(vars);
      if (want !== null && (fold ? want.toLowerCase() : want) === probe) return true;
    }
    return false;
  };
}

export const stringFamily: OperatorFamilyImpl = {
  check: () => null,
  compile(values, comparison, variables) {
    const templates = values.map((v) => Template.parse(v, variables));
    if (comparison === 'like') {
      return (v, vars) => {
        for (const t of templates) {
          const glob = t.resolveGlob(vars);
          if (glob?.match(v)) return true;
        }
        return false;
      };
    }
    return equalsMatcher(templates, comparison === 'equalsIgnoreCase');
  },
};
