// Resource ARNs the Query actions are authorised against, as AWS builds them (IAM "Actions, resources, and
// condition keys"): arn:aws:iam::ACCOUNT:user/PATH/NAME, …:group/…, …:role/…, …:policy/….
import { isGatehouseError } from '../../core/errors.js';
import type { PrincipalKind } from '../../iam/types.js';
import type { ActionContext } from './action.js';

export type IamResourceType = 'user' | 'group' | 'role' | 'policy';

/** `path` is an IAM path: starts and ends with "/" (default "/"). */
export function iamArn(account: string, type: IamResourceType, name: string, path = '/'): string {
  return `arn:aws:iam::${account}:${type}${path}${name}`;
}

/** Not found (or any client-side refusal) means "use the path-less ARN", as AWS names absent entities. */
async function existingArn(find: () => Promise<string>, fallback: string): Promise<string> {
  try {
    return await find();
  } catch (e) {
    if (isGatehouseError(e) && e.spec.http < 500) return fallback;
    throw e;
  }
}

/**
 * The ARN of an existing user, group or role carries its path, which policies may match on
 * (`arn:aws:iam::*:user/ops/*`), so it is looked up; an absent one is named with path "/".
 */
export async function principalArn(ctx: ActionContext, kind: PrincipalKind, name: string): Promise<string> {
  const account = ctx.caller.accountId;
  if (kind === 'User') {
    const fallback = iamArn(account, 'user', name);
    return existingArn(
      async () => (await ctx.iam.getUser({ UserName: name }, ctx.caller)).User.Arn,
      fallback,
    );
  }
  if (kind === 'Role') {
    const fallback = iamArn(account, 'role', name);
    return existingArn(async () => (await ctx.iam.getRole({ RoleName: name })).Role.Arn, fallback);
  }
  const fallback = iamArn(account, 'group', name);
  return existingArn(
    async () => (await ctx.iam.getGroup({ GroupName: name, MaxItems: 1 })).Group.Arn,
    fallback,
  );
}

/** Actions whose UserName is optional act on the caller's own user (AWS: "the user making the request"). */
export async function userOrSelfArn(ctx: ActionContext, name: string | undefined): Promise<string> {
  return name === undefined ? ctx.caller.arn : principalArn(ctx, 'User', name);
}

/**
 * Where UpdateUser/UpdateGroup would put a user or group: its ARN under the new name and/or path, the current
 * ones filling what is not changed. Empty when neither changes (the current ARN is already checked).
 */
export async function renamedArn(
  ctx: ActionContext,
  kind: 'User' | 'Group',
  name: string,
  to: { newName?: string | undefined; newPath?: string | undefined },
): Promise<string[]> {
  if (to.newName === undefined && to.newPath === undefined) return [];
  const current = await principalArn(ctx, kind, name);
  const type = kind === 'User' ? 'user' : 'group';
  // The current ARN is arn:aws:iam::ACCOUNT:TYPE/PATH/NAME, and a name holds no "/": the path ends at the last.
  const afterType = current.slice(current.indexOf(`:${type}/`) + type.length + 1);
  const currentPath = afterType.slice(0, afterType.lastIndexOf('/') + 1);
  return [iamArn(ctx.caller.accountId, type, to.newName ?? name, to.newPath ?? currentPath)];
}
