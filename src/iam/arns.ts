// IAM and STS ARNs: builders and parsers (arn:aws:iam::ACCOUNT:user/PATH/NAME, arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION).

/** AWS's own AdministratorAccess managed policy (seeded by migration 002). */
export const ADMINISTRATOR_ACCESS_ARN = 'arn:aws:iam::aws:policy/AdministratorAccess';

export type IamResourceType = 'user' | 'group' | 'role' | 'policy';

/** `path` starts and ends with '/', so the ARN is type + path + name with no doubled slash. */
export function iamArn(accountId: string, type: IamResourceType, path: string, name: string): string {
  return `arn:aws:iam::${accountId}:${type}${path}${name}`;
}

export function accountRootArn(accountId: string): string {
  return `arn:aws:iam::${accountId}:root`;
}

export function assumedRoleArn(accountId: string, roleName: string, sessionName: string): string {
  return `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`;
}

export interface ParsedIamArn {
  readonly accountId: string;
  readonly type: IamResourceType;
  readonly path: string;
  readonly name: string;
}

/** Splits an IAM user/group/role/policy ARN; null for anything else (including other partitions). */
export function parseIamArn(arn: string): ParsedIamArn | null {
  const m = /^arn:aws:iam::(\d{12}|aws):(user|group|role|policy)(\/(?:[^/]+\/)*)([^/]+)$/.exec(arn);
  if (!m) return null;
  return { accountId: m[1]!, type: m[2] as IamResourceType, path: m[3]!, name: m[4]! };
}

export interface ParsedAssumedRoleArn {
  readonly accountId: string;
  readonly roleName: string;
  readonly sessionName: string;
}

export function parseAssumedRoleArn(arn: string): ParsedAssumedRoleArn | null {
  const m = /^arn:aws:sts::(\d{12}):assumed-role\/([^/]+)\/([^/]+)$/.exec(arn);
  if (!m) return null;
  return { accountId: m[1]!, roleName: m[2]!, sessionName: m[3]! };
}
