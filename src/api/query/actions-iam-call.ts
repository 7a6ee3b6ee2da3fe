// Shared pieces of the IAM Query actions: the service method an action runs, and the paging members (Marker, MaxItems).
import { GatehouseError } from '../../core/errors.js';
import type { IamService } from '../../iam/types.js';
import type { ActionContext } from './action.js';
import { integer, text } from './action.js';

/**
 * `ctx.iam[op]`, bound. Every IamService implements it; a partial one (an in-memory test double) that lacks
 * it makes the action answer InvalidAction rather than fail with a TypeError.
 */
export function iamOp<K extends keyof IamService>(ctx: ActionContext, op: K): IamService[K] {
  const fn = ctx.iam[op] as ((...args: never[]) => unknown) | undefined;
  if (typeof fn !== 'function') {
    throw new GatehouseError('GH_API_UNKNOWN_ACTION', { action: `${op} (not offered by this IAM service)` });
  }
  return fn.bind(ctx.iam) as IamService[K];
}

/** Marker and MaxItems of every IAM list action; the range (1–1000) is checked by the service (ValidationError). */
export const paging = {
  Marker: text.optional(),
  MaxItems: integer.optional(),
};
