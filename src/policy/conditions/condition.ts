// One condition (operator + key + values) compiled, and its truth for a request, with AWS's rules:
// values of a key are ORed (NORed for negated operators); a missing key makes a condition false, except
// that negated operators, ...IfExists and ForAllValues are then true, and Null tests presence only.
// A policy value whose variable cannot be resolved never matches; in an Allow a negated operator with
// such a value does not hold either (docs/decisions.md, "Policy variables that cannot be resolved").
import type { RequestScope } from '../context.js';
import type { ConditionEntry, SetOperator } from '../types.js';
import { Template } from '../variables.js';
import { FAMILIES } from './families.js';
import type { ValueMatcher } from './matcher.js';
import { parseOperatorName } from './operators.js';

export interface CompiledCondition {
  readonly operator: string;
  readonly key: string;
  readonly keyLower: string;
  readonly set: SetOperator | null;
  readonly ifExists: boolean;
  readonly negated: boolean;
  /** For Null: which presence states satisfy it (values "true" = absent, "false" = present, ORed). */
  readonly nullWants: { absent: boolean; present: boolean } | null;
  readonly match: ValueMatcher;
  /** Policy values with variables (String and Arn operators only); empty when there are none. */
  readonly variableValues: readonly Template[];
}

/** Whether some policy value of the condition has a variable the request cannot resolve. */
function unresolved(c: CompiledCondition, scope: RequestScope): boolean {
  for (const t of c.variableValues) if (!t.resolves(scope)) return true;
  return false;
}

export function compileCondition(entry: ConditionEntry, variables: boolean): CompiledCondition {
  const parsed = parseOperatorName(entry.operator);
  if ('error' in parsed) throw new Error(`compileCondition: ${parsed.error}`);
  const { operator } = parsed;
  const lowered = entry.values.map((v) => v.toLowerCase());
  const nullWants =
    operator.family === 'null'
      ? { absent: lowered.includes('true'), present: lowered.includes('false') }
      : null;
  return {
    operator: entry.operator,
    key: entry.key,
    keyLower: entry.key.toLowerCase(),
    set: parsed.set,
    ifExists: parsed.ifExists,
    negated: operator.negated,
    nullWants,
    match: FAMILIES[operator.family].compile(entry.values, operator.comparison, variables),
    variableValues:
      variables && (operator.family === 'string' || operator.family === 'arn')
        ? entry.values.map((v) => Template.parse(v, true)).filter((t) => t.hasVariables)
        : [],
  };
}

/**
 * Whether the condition holds. `allow`: the statement is an Allow, where a negated operator whose value
 * cannot be resolved does not hold (it must not grant); in a Deny it holds, as AWS documents for a
 * variable with no value ("inverted condition operators … match against a null value"), so a Deny never
 * loosens for want of a value.
 */
export function conditionHolds(c: CompiledCondition, scope: RequestScope, allow: boolean): boolean {
  const values = scope.lookup(c.key, c.keyLower);
  if (c.nullWants !== null) return values === undefined ? c.nullWants.absent : c.nullWants.present;
  if (values === undefined) {
    // ForAnyValue needs a value, IfExists or not (IAM: "ForAnyValue … returns false" for an absent key).
    if (c.set === 'ForAnyValue') return false;
    if (c.ifExists || c.set === 'ForAllValues') return true;
    return c.negated;
  }
  if (allow && c.negated && c.variableValues.length > 0 && unresolved(c, scope)) return false;
  if (c.set === 'ForAllValues') {
    for (const v of values) if (c.match(v, scope) === c.negated) return false;
    return true;
  }
  if (c.set === 'ForAnyValue') {
    for (const v of values) if (c.match(v, scope) !== c.negated) return true;
    return false;
  }
  // No set operator: a single-valued comparison. With several request values (a multivalued key used
  // without ForAnyValue/ForAllValues, which AWS advises against) any matching value counts as a match,
  // and the negated operator is its complement.
  for (const v of values) if (c.match(v, scope)) return !c.negated;
  return c.negated;
}
