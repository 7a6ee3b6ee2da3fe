// The Condition element: { operator: { key: value | [values] } }, each operator name and value checked
// against its family (IAM User Guide, "IAM JSON policy elements: Condition operators").
import { FAMILIES } from './conditions/families.js';
import { parseOperatorName } from './conditions/operators.js';
import { childPath, isJsonObject, type JsonValue } from './json.js';
import { describe, type Issues } from './parse-support.js';
import type { ConditionEntry } from './types.js';

function scalar(value: JsonValue, path: string, issues: Issues): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  issues.add(path, `condition values must be strings, numbers or booleans, not ${describe(value)}`);
  return null;
}

function conditionValues(value: JsonValue, path: string, issues: Issues): string[] | null {
  if (!Array.isArray(value)) {
    const one = scalar(value, path, issues);
    return one === null ? null : [one];
  }
  if (value.length === 0) {
    issues.add(path, 'must not be an empty array');
    return null;
  }
  const out = value.map((v, i) => scalar(v, childPath(path, i), issues));
  return out.every((v): v is string => v !== null) ? out : null;
}

export function parseCondition(value: JsonValue, path: string, issues: Issues): ConditionEntry[] {
  if (!isJsonObject(value)) {
    issues.add(path, `must be an object of condition operators, not ${describe(value)}`);
    return [];
  }
  const entries: ConditionEntry[] = [];
  for (const [operatorName, block] of Object.entries(value)) {
    const opPath = childPath(path, operatorName);
    const parsed = parseOperatorName(operatorName);
    if ('error' in parsed) {
      issues.add(opPath, parsed.error);
      continue;
    }
    if (!isJsonObject(block)) {
      issues.add(opPath, `must be an object of condition keys to values, not ${describe(block)}`);
      continue;
    }
    if (Object.keys(block).length === 0) issues.add(opPath, 'must name at least one condition key');
    for (const [key, raw] of Object.entries(block)) {
      const keyPath = childPath(opPath, key);
      if (!/^[^:\s]+:\S+$/.test(key)) {
        issues.add(keyPath, `"${key}" is not a condition key (prefix:name, e.g. aws:SourceIp)`);
        continue;
      }
      const values = conditionValues(raw, keyPath, issues);
      if (values === null) continue;
      const family = FAMILIES[parsed.operator.family];
      values.forEach((v, i) => {
        const problem = family.check(v, parsed.operator.comparison);
        if (problem) issues.add(Array.isArray(raw) ? childPath(keyPath, i) : keyPath, problem);
      });
      entries.push({
        operator: operatorName,
        base: parsed.base,
        set: parsed.set,
        ifExists: parsed.ifExists,
        key,
        values,
      });
    }
  }
  return entries;
}
