// The IAM dispatch table of the Query API (Version 2010-05-08): action name -> QueryAction.
import type { QueryAction } from './action.js';
import { IAM_ACCESS_KEY_ACTIONS } from './actions-iam-access-keys.js';
import { IAM_GROUP_ACTIONS } from './actions-iam-groups.js';
import { IAM_MANAGED_POLICY_ACTIONS } from './actions-iam-managed-policies.js';
import { IAM_POLICY_ACTIONS } from './actions-iam-policies.js';
import { IAM_ROLE_ACTIONS } from './actions-iam-roles.js';
import { IAM_SIMULATE_ACTIONS } from './actions-iam-simulate.js';
import { IAM_USER_ACTIONS } from './actions-iam-users.js';

export const IAM_VERSION = '2010-05-08';
export const IAM_NAMESPACE = 'https://iam.amazonaws.com/doc/2010-05-08/';

export const IAM_ACTIONS: ReadonlyMap<string, QueryAction> = new Map([
  ...IAM_USER_ACTIONS,
  ...IAM_ACCESS_KEY_ACTIONS,
  ...IAM_GROUP_ACTIONS,
  ...IAM_ROLE_ACTIONS,
  ...IAM_POLICY_ACTIONS,
  ...IAM_MANAGED_POLICY_ACTIONS,
  ...IAM_SIMULATE_ACTIONS,
]);
