// The contract each condition operator family implements: validate a policy value at parse time, and
// compile a key's policy values into one matcher used at evaluation time.
import type { VariableSource } from '../variables.js';
import type { Comparison } from './operators.js';

/** Whether one request value matches at least one of the policy values (negation is applied by the caller). */
export type ValueMatcher = (requestValue: string, vars: VariableSource) => boolean;

export interface OperatorFamilyImpl {
  /** Why a policy value cannot be used with this family, or null when it is fine. */
  check(value: string, comparison: Comparison): string | null;
  compile(values: readonly string[], comparison: Comparison, variables: boolean): ValueMatcher;
}
