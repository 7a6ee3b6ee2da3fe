// IAM Query actions on managed policies and their versions, who uses them, and the account-wide details
// (IAM API Reference, 2010-05-08).
import { z } from 'zod';
import { boolean, list, type QueryAction, queryAction, text } from './action.js';
import { iamOp, paging } from './actions-iam-call.js';
import { iamArn } from './arns.js';

const policyArn = { PolicyArn: text };
const version = { PolicyArn: text, VersionId: text };
const usage = z.enum(['PermissionsPolicy', 'PermissionsBoundary']);

export const IAM_MANAGED_POLICY_ACTIONS: ReadonlyArray<[string, QueryAction]> = [
  [
    'CreatePolicy',
    queryAction({
      schema: z.object({
        PolicyName: text,
        PolicyDocument: text,
        Path: text.optional(),
        Description: text.optional(),
      }),
      permission: 'iam:CreatePolicy',
      resource: (i, ctx) => iamArn(ctx.caller.accountId, 'policy', i.PolicyName, i.Path),
      run: async (i, ctx) => ctx.iam.createPolicy(i),
    }),
  ],
  [
    'GetPolicy',
    queryAction({
      schema: z.object(policyArn),
      permission: 'iam:GetPolicy',
      resource: (i) => i.PolicyArn,
      run: async (i, ctx) => iamOp(ctx, 'getPolicy')(i),
    }),
  ],
  [
    'ListPolicies',
    queryAction({
      schema: z.object({
        Scope: z.enum(['All', 'AWS', 'Local']).optional(),
        OnlyAttached: boolean.optional(),
        PathPrefix: text.optional(),
        PolicyUsageFilter: usage.optional(),
        ...paging,
      }),
      permission: 'iam:ListPolicies',
      resource: (i, ctx) => iamArn(ctx.caller.accountId, 'policy', '', i.PathPrefix ?? '/'),
      run: async (i, ctx) => iamOp(ctx, 'listPolicies')(i),
    }),
  ],
  [
    'DeletePolicy',
    queryAction({
      schema: z.object(policyArn),
      permission: 'iam:DeletePolicy',
      resource: (i) => i.PolicyArn,
      run: async (i, ctx) => void (await iamOp(ctx, 'deletePolicy')(i)),
    }),
  ],
  [
    'CreatePolicyVersion',
    queryAction({
      schema: z.object({ PolicyArn: text, PolicyDocument: text, SetAsDefault: boolean.optional() }),
      permission: 'iam:CreatePolicyVersion',
      resource: (i) => i.PolicyArn,
      run: async (i, ctx) => ctx.iam.createPolicyVersion(i),
    }),
  ],
  [
    'GetPolicyVersion',
    queryAction({
      schema: z.object(version),
      permission: 'iam:GetPolicyVersion',
      resource: (i) => i.PolicyArn,
      run: async (i, ctx) => iamOp(ctx, 'getPolicyVersion')(i),
    }),
  ],
  [
    'ListPolicyVersions',
    queryAction({
      schema: z.object({ ...policyArn, ...paging }),
      permission: 'iam:ListPolicyVersions',
      resource: (i) => i.PolicyArn,
      run: async (i, ctx) => iamOp(ctx, 'listPolicyVersions')(i),
    }),
  ],
  [
    'DeletePolicyVersion',
    queryAction({
      schema: z.object(version),
      permission: 'iam:DeletePolicyVersion',
      resource: (i) => i.PolicyArn,
      run: async (i, ctx) => void (await iamOp(ctx, 'deletePolicyVersion')(i)),
    }),
  ],
  [
    'SetDefaultPolicyVersion',
    queryAction({
      schema: z.object(version),
      permission: 'iam:SetDefaultPolicyVersion',
      resource: (i) => i.PolicyArn,
      run: async (i, ctx) => void (await iamOp(ctx, 'setDefaultPolicyVersion')(i)),
    }),
  ],
  [
    'ListEntitiesForPolicy',
    queryAction({
      schema: z.object({
        ...policyArn,
        EntityFilter: text.optional(),
        PathPrefix: text.optional(),
        PolicyUsageFilter: usage.optional(),
        ...paging,
      }),
      permission: 'iam:ListEntitiesForPolicy',
      resource: (i) => i.PolicyArn,
      run: async (i, ctx) => iamOp(ctx, 'listEntitiesForPolicy')(i),
    }),
  ],
  [
    'GetAccountAuthorizationDetails',
    queryAction({
      schema: z.object({
        Filter: list(z.enum(['User', 'Role', 'Group', 'LocalManagedPolicy', 'AWSManagedPolicy'])).optional(),
        ...paging,
      }),
      permission: 'iam:GetAccountAuthorizationDetails',
      // An account-wide action with no resource type: AWS authorises it on "*".
      resource: () => '*',
      run: async (i, ctx) => iamOp(ctx, 'getAccountAuthorizationDetails')(i),
    }),
  ],
];
