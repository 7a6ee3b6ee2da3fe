// Turns a verified access key into the Caller the IAM/STS services see (ARN, account, unique id, user name).
import { GatehouseError, isGatehouseError } from '../../core/errors.js';
import type { VerifiedCaller } from '../sigv4-verify.js';
import type { Caller, QueryIamService } from './types.js';

// arn:aws:iam::ACCOUNT:user/PATH/NAME, arn:aws:iam::ACCOUNT:root, arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION
const USER_ARN = /^arn:aws:iam::(\d{12}):user\/(?:.*\/)?([^/]+)$/;
const ROOT_ARN = /^arn:aws:iam::(\d{12}):root$/;
const ASSUMED_ROLE_ARN = /^arn:aws:sts::(\d{12}):assumed-role\/([^/]+)\/([^/]+)$/;

/** A key whose owner is gone is as invalid as an unknown key: AWS deletes a user's keys with the user. */
function ownerGone(v: VerifiedCaller, cause: unknown): GatehouseError {
  return new GatehouseError(
    'GH_API_INVALID_KEY',
    { accessKeyId: v.accessKeyId },
    { detail: `the key's principal ${v.principalArn} cannot be resolved`, cause },
  );
}

async function lookup<T>(v: VerifiedCaller, find: () => Promise<T>): Promise<T> {
  try {
    return await find();
  } catch (e) {
    if (isGatehouseError(e) && e.spec.http < 500) throw ownerGone(v, e);
    throw e;
  }
}

/**
 * Default ResolveCaller. The key record's userId is used when the lookup supplies one; otherwise the user
 * or role is looked up (and a key whose owner is gone is refused). UserId follows AWS's GetCallerIdentity: the user's AIDA… id, `AROA…:SESSION`
 * for an assumed role, the account id for the root.
 */
export async function resolveCallerFromIam(v: VerifiedCaller, iam: QueryIamService): Promise<Caller> {
  const arn = v.principalArn;
  const user = USER_ARN.exec(arn);
  if (user) {
    const [, accountId = '', userName = ''] = user;
    const provisional: Caller = { arn, accountId, userId: '', accessKeyId: v.accessKeyId, userName };
    if (v.userId !== undefined) return { ...provisional, userId: v.userId };
    const { User } = await lookup(v, () => iam.getUser({ UserName: userName }, provisional));
    return { ...provisional, userId: User.UserId };
  }
  const role = ASSUMED_ROLE_ARN.exec(arn);
  if (role) {
    const [, accountId = '', roleName = '', session = ''] = role;
    if (v.userId !== undefined) return { arn, accountId, userId: v.userId, accessKeyId: v.accessKeyId };
    const { Role } = await lookup(v, () => iam.getRole({ RoleName: roleName }));
    return { arn, accountId, userId: `${Role.RoleId}:${session}`, accessKeyId: v.accessKeyId };
  }
  const root = ROOT_ARN.exec(arn);
  if (root) {
    const accountId = root[1] ?? '';
    return { arn, accountId, userId: accountId, accessKeyId: v.accessKeyId };
  }
  throw ownerGone(v, undefined);
}
