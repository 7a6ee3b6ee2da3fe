// Parameter checks with the patterns and ranges of the IAM/STS API reference, raising AWS's error codes.
import { GatehouseError } from '../core/errors.js';
import type { Tag } from './types.js';

/** AWS's ValidationError wording: `Value 'x' at 'userName' failed to satisfy constraint: …`. */
export function validationError(member: string, value: unknown, constraint: string): GatehouseError {
  const shown = typeof value === 'string' ? value : JSON.stringify(value);
  return new GatehouseError('GH_IAM_VALIDATION', {
    reason: `1 validation error detected: Value '${shown}' at '${member}' failed to satisfy constraint: Member must ${constraint}`,
  });
}

export function invalidInput(reason: string): GatehouseError {
  return new GatehouseError('GH_IAM_INVALID_INPUT', { reason });
}

// IAM user/group/role/policy names: [\w+=,.@-]+ (CreateUser, CreateRole, … "UserName" pattern).
const NAME = /^[\w+=,.@-]+$/;

export function checkName(member: string, value: unknown, max: number, min = 1): string {
  if (typeof value !== 'string') throw validationError(member, value, 'not be null');
  if (value.length < min || value.length > max) {
    throw validationError(member, value, `have length between ${min} and ${max}`);
  }
  if (!NAME.test(value)) {
    throw validationError(member, value, 'satisfy regular expression pattern: [\\w+=,.@-]+');
  }
  return value;
}

export const NAME_LIMITS = { user: 64, group: 128, role: 64, policy: 128, session: 64 } as const;

/** A path is "/" or "/…/" of printable ASCII, at most 512 characters (IAM identifiers, "Paths"). */
export function checkPath(member: string, value: string | undefined): string {
  if (value === undefined) return '/';
  if (value.length > 512) throw validationError(member, value, 'have length less than or equal to 512');
  if (!/^(\/|\/[\u0021-\u007e]+\/)$/.test(value)) {
    throw validationError(
      member,
      value,
      'satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)',
    );
  }
  return value;
}

export function checkPathPrefix(member: string, value: string | undefined): string {
  if (value === undefined) return '/';
  if (value.length > 512 || !/^\/[\u0021-\u007e]*$/.test(value)) {
    throw validationError(member, value, 'satisfy regular expression pattern: \\u002F[\\u0021-\\u007F]*');
  }
  return value;
}

export function checkDescription(value: string | undefined): string | null {
  if (value === undefined) return null;
  if (value.length > 1000)
    throw validationError('description', value, 'have length less than or equal to 1000');
  if (!/^[\t\n\r\u0020-\u007e\u00a1-\u00ff]*$/.test(value)) {
    throw validationError(
      'description',
      value,
      'satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u007E\\u00A1-\\u00FF]*',
    );
  }
  return value;
}

export function checkIntRange(member: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw validationError(member, value, `have value between ${min} and ${max}`);
  }
  return value;
}

export const MAX_TAGS = 50;
const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** Tag keys 1..128 and values 0..256 of the tag alphabet, no `aws:` keys, no key twice (ignoring case). */
export function checkTags(tags: readonly Tag[] | undefined): Tag[] {
  if (tags === undefined) return [];
  if (tags.length > MAX_TAGS)
    throw validationError('tags', `${tags.length} tags`, `have length less than or equal to ${MAX_TAGS}`);
  const seen = new Set<string>();
  for (const t of tags) {
    if (typeof t?.Key !== 'string' || t.Key.length < 1 || t.Key.length > 128 || !TAG_CHARS.test(t.Key)) {
      throw validationError(
        'tags.member.key',
        t?.Key,
        'have length between 1 and 128 and satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+',
      );
    }
    if (typeof t.Value !== 'string' || t.Value.length > 256 || !TAG_CHARS.test(t.Value)) {
      throw validationError(
        'tags.member.value',
        t.Value,
        'have length less than or equal to 256 and satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*',
      );
    }
    if (t.Key.toLowerCase().startsWith('aws:'))
      throw invalidInput('User-defined tag keys can not start with aws:');
    const k = t.Key.toLowerCase();
    if (seen.has(k))
      throw invalidInput('Duplicate tag keys found. Please note that Tag keys are case insensitive.');
    seen.add(k);
  }
  return tags.map((t) => ({ Key: t.Key, Value: t.Value }));
}

export function checkTagKeys(keys: readonly string[]): string[] {
  if (keys.length > MAX_TAGS)
    throw validationError('tagKeys', `${keys.length} keys`, `have length less than or equal to ${MAX_TAGS}`);
  for (const k of keys) {
    if (typeof k !== 'string' || k.length < 1 || k.length > 128)
      throw validationError('tagKeys.member', k, 'have length between 1 and 128');
  }
  return [...keys];
}

/** A managed-policy ARN (customer `arn:aws:iam::ACCOUNT:policy/…` or AWS `arn:aws:iam::aws:policy/…`). */
export function checkPolicyArn(value: unknown): string {
  if (typeof value !== 'string' || value.length < 20 || value.length > 2048) {
    throw validationError('policyArn', value, 'have length between 20 and 2048');
  }
  if (!/^arn:aws:iam::(\d{12}|aws):policy\/(?:[\u0021-\u007e]+\/)*[\w+=,.@-]+$/.test(value)) {
    throw invalidInput(`ARN ${value} is not valid.`);
  }
  return value;
}

export function checkVersionId(value: unknown): string {
  if (typeof value !== 'string' || !/^v[1-9][0-9]*(\.[A-Za-z0-9-]*)?$/.test(value)) {
    throw validationError(
      'versionId',
      value,
      'satisfy regular expression pattern: v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?',
    );
  }
  return value;
}

export function checkAccessKeyId(value: unknown): string {
  if (typeof value !== 'string' || value.length < 16 || value.length > 128 || !/^\w+$/.test(value)) {
    throw validationError(
      'accessKeyId',
      value,
      'satisfy regular expression pattern: [\\w]+ with length between 16 and 128',
    );
  }
  return value;
}
