// One AWS Query action: parameter schema (zod over the decoded tree), the permission and resource it is
// authorised against, extra condition keys, and the service call producing the <ActionResult> content.
import { z } from 'zod';
import { GatehouseError } from '../../core/errors.js';
import type { ControlPlane } from '../../core/types.js';
import type { ParamMap } from './params.js';
import type { AuthorizeContext, Caller, QueryIamService, Simulate, StsService } from './types.js';
import type { XmlValue } from './xml-writer.js';

export interface ActionContext {
  iam: QueryIamService;
  sts: StsService;
  simulate: Simulate;
  caller: Caller;
  /** The RDS actions' service (the JSON API's control plane) and the gateway's region (instance ARNs). */
  controlPlane: ControlPlane;
  region: string;
}

/** A validated call, ready to authorise and run. `permission` null: never denied (sts:GetCallerIdentity). */
export interface PreparedQueryCall {
  permission: string | null;
  resource(ctx: ActionContext): Promise<string>;
  /**
   * Further resources the same permission must be allowed on, each one (AWS: UpdateUser needs iam:UpdateUser
   * on the user's ARN and on the ARN it is renamed or moved to). Empty for most actions.
   */
  alsoResources(ctx: ActionContext): Promise<string[]>;
  conditions: AuthorizeContext;
  /** The <ActionResult> content; undefined for actions whose response has only ResponseMetadata. */
  run(ctx: ActionContext): Promise<XmlValue | undefined>;
}

export interface QueryAction {
  prepare(params: ParamMap): PreparedQueryCall;
}

export interface QueryActionSpec<S extends z.ZodType> {
  schema: S;
  permission: string | null;
  resource: (input: z.output<S>, ctx: ActionContext) => Promise<string> | string;
  alsoResources?: (input: z.output<S>, ctx: ActionContext) => Promise<string[]> | string[];
  conditions?: (input: z.output<S>) => AuthorizeContext;
  run: (input: z.output<S>, ctx: ActionContext) => Promise<XmlValue | undefined>;
}

// Query protocol parameters are all strings; these read AWS's scalar and list encodings.
export const text = z.string();
export const integer = z
  .string()
  .regex(/^-?\d{1,15}$/, 'must be a whole number')
  .transform(Number);
export const boolean = z.enum(['true', 'false']).transform((v) => v === 'true');
/** `Name.member.N`; an empty list travels as `Name=` (the SDKs' serializeEmptyLists). */
export function list<T extends z.ZodType>(item: T) {
  return z.preprocess((v) => (v === '' ? [] : v), z.array(item));
}
export const tags = list(z.object({ Key: text, Value: text.default('') }));

function formatIssue(issue: z.core.$ZodIssue): string {
  const field = issue.path.map((p) => (typeof p === 'number' ? `member.${p + 1}` : String(p))).join('.');
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message))
    return `${field} is required`;
  const message = issue.message.replace(/^Invalid input: /, '');
  return field === '' ? message : `${field}: ${message}`;
}

export function queryAction<S extends z.ZodType>(spec: QueryActionSpec<S>): QueryAction {
  return {
    prepare(params) {
      const parsed = spec.schema.safeParse(params);
      if (!parsed.success) {
        const reason = parsed.error.issues.map(formatIssue).join('; ');
        throw new GatehouseError('GH_API_VALIDATION', { reason });
      }
      const input = parsed.data;
      return {
        permission: spec.permission,
        resource: async (ctx) => spec.resource(input, ctx),
        alsoResources: async (ctx) => (spec.alsoResources ? spec.alsoResources(input, ctx) : []),
        conditions: spec.conditions?.(input) ?? {},
        run: (ctx) => spec.run(input, ctx),
      };
    },
  };
}

/** AWS's aws:RequestTag/KEY and aws:TagKeys condition keys for a request carrying tags. */
export function tagConditions(t: readonly { Key: string; Value: string }[] | undefined): AuthorizeContext {
  if (!t || t.length === 0) return {};
  const out: Record<string, string | string[]> = { 'aws:TagKeys': t.map((x) => x.Key) };
  for (const x of t) out[`aws:RequestTag/${x.Key}`] = x.Value;
  return out;
}
