// parsePolicyDocument: JSON text to a validated PolicyDocument, or every problem found with its JSON path
// (IAM User Guide, "IAM JSON policy elements reference" and "Grammar of the IAM JSON policy language").
import { childPath, isJsonObject, parseJson } from './json.js';
import { parseStatement } from './parse-statement.js';
import { checkKeys, describe, Issues } from './parse-support.js';
import type { ParseResult, PolicyKind, PolicyVersion, Statement } from './types.js';

const VERSIONS: readonly PolicyVersion[] = ['2012-10-17', '2008-10-17'];

export function parsePolicyDocument(json: string, kind: PolicyKind): ParseResult {
  const parsed = parseJson(json);
  if (!parsed.ok) return { ok: false, errors: [{ path: parsed.path, message: parsed.message }] };
  const root = parsed.value;
  const issues = new Issues();
  if (!isJsonObject(root)) {
    issues.add('', `a policy document must be a JSON object, not ${describe(root)}`);
    return { ok: false, errors: issues.errors };
  }
  checkKeys(root, ['Version', 'Id', 'Statement'], '', issues, 'policy');

  let version: PolicyVersion | undefined;
  const rawVersion = root['Version'];
  if (rawVersion !== undefined) {
    version = VERSIONS.find((v) => v === rawVersion);
    if (!version)
      issues.add('Version', `must be "2012-10-17" or "2008-10-17", not ${JSON.stringify(rawVersion)}`);
  }
  const id = root['Id'];
  if (id !== undefined && typeof id !== 'string') issues.add('Id', `must be a string, not ${describe(id)}`);

  // Without Version the 2008-10-17 rules apply: `${...}` is literal text (AWS).
  const variables = version === '2012-10-17';
  const raw = root['Statement'];
  const statements: Statement[] = [];
  if (raw === undefined) issues.add('', 'Statement is required');
  else if (Array.isArray(raw)) {
    if (raw.length === 0) issues.add('Statement', 'must not be an empty array');
    raw.forEach((s, i) => {
      const st = parseStatement(s, childPath('Statement', i), kind, variables, issues);
      if (st) statements.push(st);
    });
  } else {
    const st = parseStatement(raw, 'Statement', kind, variables, issues);
    if (st) statements.push(st);
  }

  const seen = new Set<string>();
  statements.forEach((st, i) => {
    if (st.sid === undefined) return;
    if (seen.has(st.sid)) {
      const at = Array.isArray(raw) ? childPath(childPath('Statement', i), 'Sid') : 'Statement.Sid';
      issues.add(at, `duplicate Sid "${st.sid}": Sids must be unique within a policy`);
    }
    seen.add(st.sid);
  });

  if (issues.errors.length > 0) return { ok: false, errors: issues.errors };
  const policy = { statements, ...(version ? { version } : {}), ...(typeof id === 'string' ? { id } : {}) };
  return { ok: true, policy };
}
