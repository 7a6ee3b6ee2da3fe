// Validation plumbing shared by the policy parsers: an error collector and the "string or non-empty array
// of strings" shape that most policy elements take.
import { childPath, type JsonObject, type JsonValue } from './json.js';
import type { PolicyError } from './types.js';

export class Issues {
  readonly errors: PolicyError[] = [];

  add(path: string, message: string): void {
    this.errors.push({ path, message });
  }
}

export function describe(value: JsonValue | undefined): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** A string or a non-empty array of strings; each bad entry is reported at its own path. */
export function stringList(value: JsonValue, path: string, issues: Issues): string[] | null {
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) {
    issues.add(path, `must be a string or an array of strings, not ${describe(value)}`);
    return null;
  }
  if (value.length === 0) {
    issues.add(path, 'must not be an empty array');
    return null;
  }
  const out: string[] = [];
  value.forEach((v, i) => {
    if (typeof v === 'string') out.push(v);
    else issues.add(childPath(path, i), `must be a string, not ${describe(v)}`);
  });
  return out.length === value.length ? out : null;
}

/** Reports keys outside `allowed`, pointing out a case mismatch (element names are case-sensitive). */
export function checkKeys(
  obj: JsonObject,
  allowed: readonly string[],
  path: string,
  issues: Issues,
  what: string,
): void {
  for (const key of Object.keys(obj)) {
    if (allowed.includes(key)) continue;
    const near = allowed.find((a) => a.toLowerCase() === key.toLowerCase());
    const hint = near ? ` (did you mean ${near}? element names are case-sensitive)` : '';
    issues.add(childPath(path, key), `unknown ${what} element "${key}"${hint}`);
  }
}
