// iam:SimulatePrincipalPolicy and iam:SimulateCustomPolicy: decode the request, call the injected simulator.
import { z } from 'zod';
import { list, type QueryAction, queryAction, text } from './action.js';
import type { SimulateInput } from './types.js';

// ContextEntry.ContextKeyType values (IAM API Reference, ContextEntry).
const CONTEXT_KEY_TYPES = [
  'string',
  'stringList',
  'numeric',
  'numericList',
  'boolean',
  'booleanList',
  'ip',
  'ipList',
  'binary',
  'binaryList',
  'date',
  'dateList',
] as const;

const contextEntries = list(
  z.object({
    ContextKeyName: text,
    ContextKeyValues: list(text).default([]),
    ContextKeyType: z.enum(CONTEXT_KEY_TYPES),
  }),
);

const common = {
  ActionNames: list(text).refine((a) => a.length > 0, 'must name at least one action'),
  ResourceArns: list(text).optional(),
  ContextEntries: contextEntries.optional(),
};

function toInput(i: {
  PolicySourceArn?: string | undefined;
  PolicyInputList?: string[] | undefined;
  ActionNames: string[];
  ResourceArns?: string[] | undefined;
  ContextEntries?: SimulateInput['contextEntries'] | undefined;
}): SimulateInput {
  return {
    ...(i.PolicySourceArn !== undefined ? { policySourceArn: i.PolicySourceArn } : {}),
    ...(i.PolicyInputList !== undefined ? { policyInputList: i.PolicyInputList } : {}),
    actionNames: i.ActionNames,
    ...(i.ResourceArns !== undefined ? { resourceArns: i.ResourceArns } : {}),
    contextEntries: i.ContextEntries ?? [],
  };
}

export const IAM_SIMULATE_ACTIONS: ReadonlyArray<[string, QueryAction]> = [
  [
    'SimulatePrincipalPolicy',
    queryAction({
      schema: z.object({ PolicySourceArn: text, PolicyInputList: list(text).optional(), ...common }),
      permission: 'iam:SimulatePrincipalPolicy',
      resource: (i) => i.PolicySourceArn,
      run: async (i, ctx) => ({
        EvaluationResults: await ctx.simulate(toInput(i), ctx.caller),
        IsTruncated: false,
      }),
    }),
  ],
  [
    'SimulateCustomPolicy',
    queryAction({
      schema: z.object({ PolicyInputList: list(text), ...common }),
      permission: 'iam:SimulateCustomPolicy',
      // AWS authorises SimulateCustomPolicy on "*": it reads no stored entity.
      resource: () => '*',
      run: async (i, ctx) => ({
        EvaluationResults: await ctx.simulate(toInput(i), ctx.caller),
        IsTruncated: false,
      }),
    }),
  ],
];
