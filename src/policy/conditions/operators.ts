// The condition operator grammar: base operators by family, `...IfExists` and the ForAnyValue/ForAllValues
// set prefixes (IAM User Guide, "Condition operators" and "Set operators for multivalued context keys").
import type { SetOperator } from '../types.js';

export type OperatorFamily = 'string' | 'numeric' | 'date' | 'bool' | 'binary' | 'ip' | 'arn' | 'null';

/** How a request value is compared with one policy value; negation is applied around it (NOR over values). */
export type Comparison = 'equals' | 'equalsIgnoreCase' | 'like' | 'lt' | 'lte' | 'gt' | 'gte' | 'null';

export interface BaseOperator {
  family: OperatorFamily;
  comparison: Comparison;
  negated: boolean;
}

function op(family: OperatorFamily, comparison: Comparison, negated = false): BaseOperator {
  return { family, comparison, negated };
}

function ordered(family: 'numeric' | 'date', prefix: string): Record<string, BaseOperator> {
  return {
    [`${prefix}Equals`]: op(family, 'equals'),
    [`${prefix}NotEquals`]: op(family, 'equals', true),
    [`${prefix}LessThan`]: op(family, 'lt'),
    [`${prefix}LessThanEquals`]: op(family, 'lte'),
    [`${prefix}GreaterThan`]: op(family, 'gt'),
    [`${prefix}GreaterThanEquals`]: op(family, 'gte'),
  };
}

export const BASE_OPERATORS: Readonly<Record<string, BaseOperator>> = {
  StringEquals: op('string', 'equals'),
  StringNotEquals: op('string', 'equals', true),
  StringEqualsIgnoreCase: op('string', 'equalsIgnoreCase'),
  StringNotEqualsIgnoreCase: op('string', 'equalsIgnoreCase', true),
  StringLike: op('string', 'like'),
  StringNotLike: op('string', 'like', true),
  ...ordered('numeric', 'Numeric'),
  ...ordered('date', 'Date'),
  Bool: op('bool', 'equals'),
  BinaryEquals: op('binary', 'equals'),
  IpAddress: op('ip', 'equals'),
  NotIpAddress: op('ip', 'equals', true),
  // ArnEquals and ArnLike share one definition in the IAM reference: both compare the six
  // colon-delimited parts separately and both accept * and ? wildcards.
  ArnEquals: op('arn', 'like'),
  ArnLike: op('arn', 'like'),
  ArnNotEquals: op('arn', 'like', true),
  ArnNotLike: op('arn', 'like', true),
  Null: op('null', 'null'),
};

export interface OperatorName {
  base: string;
  operator: BaseOperator;
  set: SetOperator | null;
  ifExists: boolean;
}

const SET_PREFIXES: readonly SetOperator[] = ['ForAnyValue', 'ForAllValues'];

function suggestion(name: string): string {
  const lower = name.toLowerCase();
  const hit = Object.keys(BASE_OPERATORS).find(
    (b) => lower.endsWith(b.toLowerCase()) || lower.includes(b.toLowerCase()),
  );
  return hit ? ` (did you mean ${hit}? operator names are case-sensitive)` : '';
}

/** Splits `ForAllValues:StringLikeIfExists` into its parts, or says why the name is not an operator. */
export function parseOperatorName(name: string): OperatorName | { error: string } {
  let rest = name;
  let set: SetOperator | null = null;
  const colon = rest.indexOf(':');
  if (colon >= 0) {
    const prefix = rest.slice(0, colon);
    const known = SET_PREFIXES.find((p) => p === prefix);
    if (!known) return { error: `unknown set operator "${prefix}" (ForAnyValue or ForAllValues)` };
    set = known;
    rest = rest.slice(colon + 1);
  }
  let ifExists = false;
  if (rest.endsWith('IfExists') && rest !== 'IfExists') {
    ifExists = true;
    rest = rest.slice(0, -'IfExists'.length);
  }
  const operator = Object.hasOwn(BASE_OPERATORS, rest) ? BASE_OPERATORS[rest] : undefined;
  if (!operator) return { error: `unknown condition operator "${name}"${suggestion(name)}` };
  if (operator.family === 'null' && (ifExists || set)) {
    return { error: 'Null cannot take IfExists or a set operator: it already tests whether the key exists' };
  }
  return { base: rest, operator, set, ifExists };
}
