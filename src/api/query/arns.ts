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
  return existingArn(async () => (await ctx.iam.getGroup({ GroupName: name })).Group.Arn, fallback);
}

/** Actions whose UserName is optional act on the caller's own user (AWS: "the user making the request"). */
export async function userOrSelfArn(ctx: ActionContext, name: string | undefined): Promise<string> {
  return name === undefined ? ctx.caller.arn : principalArn(ctx, 'User', name);
}
