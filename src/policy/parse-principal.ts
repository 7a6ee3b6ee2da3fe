// Principal / NotPrincipal (IAM User Guide, "AWS JSON policy elements: Principal"): "*" or a map of
// principal types to values; AWS values are "*", a 12-digit account id or an ARN.
import { childPath, isJsonObject, type JsonValue } from './json.js';
import { checkKeys, describe, type Issues, stringList } from './parse-support.js';
import type { PrincipalSpec } from './types.js';

const TYPES = ['AWS', 'Service', 'Federated', 'CanonicalUser'] as const;
const ACCOUNT = /^\d{12}$/;

function checkAws(values: string[], path: string, issues: Issues): void {
  values.forEach((v, i) => {
    if (v === '*' || ACCOUNT.test(v) || /^arn:[a-z-]+:(?:iam|sts)::\d{12}:.+/.test(v)) return;
    issues.add(
      values.length > 1 ? childPath(path, i) : path,
      `"${v}" is not a principal: use "*", a 12-digit account id, or an IAM/STS ARN`,
    );
  });
}

export function parsePrincipal(value: JsonValue, path: string, issues: Issues): PrincipalSpec | null {
  if (value === '*') return '*';
  if (!isJsonObject(value)) {
    issues.add(
      path,
      `must be "*" or an object such as {"AWS": "arn:aws:iam::123456789012:root"}, not ${describe(value)}`,
    );
    return null;
  }
  checkKeys(value, TYPES, path, issues, 'principal type');
  if (Object.keys(value).length === 0) {
    issues.add(path, 'must name at least one principal');
    return null;
  }
  const spec: Exclude<PrincipalSpec, '*'> = {};
  for (const type of TYPES) {
    const raw = value[type];
    if (raw === undefined) continue;
    const list = stringList(raw, childPath(path, type), issues);
    if (list === null) continue;
    if (type === 'AWS') checkAws(list, childPath(path, type), issues);
    if (list.some((v) => v === '')) issues.add(childPath(path, type), 'principal values must not be empty');
    spec[type] = list;
  }
  return spec;
}
