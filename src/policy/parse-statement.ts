// One Statement: Sid, Effect, Action/NotAction, Resource/NotResource, Principal/NotPrincipal, Condition,
// with the element rules that depend on where the policy is used (identity, role trust, resource).
import { childPath, isJsonObject, type JsonValue } from './json.js';
import { parseCondition } from './parse-condition.js';
import { parsePrincipal } from './parse-principal.js';
import { checkKeys, describe, type Issues, stringList } from './parse-support.js';
import type { PolicyKind, Statement } from './types.js';
import { Template } from './variables.js';

const ELEMENTS = [
  'Sid',
  'Effect',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'Principal',
  'NotPrincipal',
  'Condition',
] as const;
const ACTION = /^[A-Za-z0-9-]+:[A-Za-z0-9_*?-]+$/;
const SID = /^[A-Za-z0-9]*$/;

function checkActions(actions: string[], path: string, issues: Issues): void {
  actions.forEach((a, i) => {
    if (a === '*' || ACTION.test(a)) return;
    issues.add(
      actions.length > 1 ? childPath(path, i) : path,
      `"${a}" is not an action (service:Action, wildcards allowed, or "*")`,
    );
  });
}

function checkResources(resources: string[], path: string, issues: Issues, variables: boolean): void {
  resources.forEach((r, i) => {
    const at = resources.length > 1 ? childPath(path, i) : path;
    if (r === '*') return;
    const segments = Template.parse(r, variables).splitArn();
    const last = segments[segments.length - 1]?.source ?? '';
    // Fewer than six parts is tolerated only when the last one is a wildcard that covers the rest
    // (e.g. "arn:aws:ec2:*"), as the IAM examples do.
    if (!r.startsWith('arn:') || (segments.length < 6 && !last.includes('*'))) {
      issues.add(
        at,
        `"${r}" is not a resource: use "*" or an ARN (arn:partition:service:region:account-id:resource)`,
      );
    }
  });
}

function exclusive(obj: Record<string, unknown>, a: string, b: string, path: string, issues: Issues): void {
  if (obj[a] !== undefined && obj[b] !== undefined)
    issues.add(path, `a statement cannot have both ${a} and ${b}`);
}

export function parseStatement(
  value: JsonValue,
  path: string,
  kind: PolicyKind,
  variables: boolean,
  issues: Issues,
): Statement | null {
  if (!isJsonObject(value)) {
    issues.add(path, `a statement must be an object, not ${describe(value)}`);
    return null;
  }
  checkKeys(value, ELEMENTS, path, issues, 'statement');
  const at = (key: string): string => childPath(path, key);
  const st: Statement = { effect: 'Allow', conditions: [] };

  const sid = value['Sid'];
  if (sid !== undefined) {
    if (typeof sid !== 'string') issues.add(at('Sid'), `must be a string, not ${describe(sid)}`);
    // IAM (identity and trust policies) allows only ASCII letters and digits; resource-based policies of
    // other services (e.g. S3 bucket policies) accept any text there.
    else if (kind !== 'resource' && !SID.test(sid)) {
      issues.add(at('Sid'), `"${sid}" must contain only letters A-Z, a-z and digits 0-9`);
    } else if (sid !== '') st.sid = sid;
  }

  const effect = value['Effect'];
  if (effect === undefined) issues.add(path, 'Effect is required');
  else if (effect === 'Allow' || effect === 'Deny') st.effect = effect;
  else issues.add(at('Effect'), `must be "Allow" or "Deny", not ${JSON.stringify(effect)}`);

  exclusive(value, 'Action', 'NotAction', path, issues);
  exclusive(value, 'Resource', 'NotResource', path, issues);
  exclusive(value, 'Principal', 'NotPrincipal', path, issues);

  for (const key of ['Action', 'NotAction'] as const) {
    const raw = value[key];
    if (raw === undefined) continue;
    const list = stringList(raw, at(key), issues);
    if (list) checkActions(list, at(key), issues);
    if (list) st[key === 'Action' ? 'action' : 'notAction'] = list;
  }
  if (value['Action'] === undefined && value['NotAction'] === undefined)
    issues.add(path, 'Action or NotAction is required');

  for (const key of ['Resource', 'NotResource'] as const) {
    const raw = value[key];
    if (raw === undefined) continue;
    if (kind === 'trust') {
      issues.add(at(key), `${key} is not allowed in a role trust policy`);
      continue;
    }
    const list = stringList(raw, at(key), issues);
    if (list) checkResources(list, at(key), issues, variables);
    if (list) st[key === 'Resource' ? 'resource' : 'notResource'] = list;
  }
  if (kind === 'identity' && value['Resource'] === undefined && value['NotResource'] === undefined) {
    issues.add(path, 'Resource or NotResource is required in an identity-based policy');
  }

  for (const key of ['Principal', 'NotPrincipal'] as const) {
    const raw = value[key];
    if (raw === undefined) continue;
    if (kind === 'identity') {
      issues.add(
        at(key),
        `${key} is not allowed in an identity-based policy (it is the user or role the policy is attached to)`,
      );
      continue;
    }
    const spec = parsePrincipal(raw, at(key), issues);
    if (spec) st[key === 'Principal' ? 'principal' : 'notPrincipal'] = spec;
  }
  if (kind !== 'identity' && value['Principal'] === undefined && value['NotPrincipal'] === undefined) {
    issues.add(
      path,
      `Principal or NotPrincipal is required in a ${kind === 'trust' ? 'role trust' : 'resource-based'} policy`,
    );
  }

  const condition = value['Condition'];
  if (condition !== undefined) st.conditions = parseCondition(condition, at('Condition'), issues);
  return st;
}
