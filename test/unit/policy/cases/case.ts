// Shape of a conformance case and small builders so the tables read like the AWS examples they copy.
import type { ContextValue, Decision, DecisionKind, RequestPrincipal } from '../../../../src/policy/types.js';

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };
export type PolicyInput = string | { [k: string]: Json };

export interface PolicyCase {
  name: string;
  identity?: PolicyInput[];
  resource?: PolicyInput[];
  /** Kind the resource policies are parsed as (default 'resource'). */
  resourceKind?: 'resource' | 'trust';
  boundary?: PolicyInput[] | null;
  request: {
    action: string;
    resource: string;
    /** Defaults to ALICE; null means an anonymous request. */
    principal?: RequestPrincipal | null;
    context?: Record<string, ContextValue>;
  };
  expect: DecisionKind;
  /** Sids of the deciding statements (order-insensitive); defaults to []. */
  sids?: string[];
}

export const ACCOUNT = '123456789012';
export const OTHER_ACCOUNT = '210987654321';

export const ALICE: RequestPrincipal = {
  arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
  accountId: ACCOUNT,
  username: 'alice',
  userid: 'AIDAALICEEXAMPLE0001',
  tags: { team: 'payments', CostCenter: '4711' },
};

export type Statement = { [k: string]: Json };

/** A 2012-10-17 policy document. */
export function doc(...statements: Statement[]): PolicyInput {
  return { Version: '2012-10-17', Statement: statements };
}

export function allow(
  sid: string,
  action: Json,
  resource: Json = '*',
  condition?: { [k: string]: Json },
): Statement {
  return {
    Sid: sid,
    Effect: 'Allow',
    Action: action,
    Resource: resource,
    ...(condition ? { Condition: condition } : {}),
  };
}

export function deny(
  sid: string,
  action: Json,
  resource: Json = '*',
  condition?: { [k: string]: Json },
): Statement {
  return {
    Sid: sid,
    Effect: 'Deny',
    Action: action,
    Resource: resource,
    ...(condition ? { Condition: condition } : {}),
  };
}

export const str = (...values: string[]): ContextValue => ({ type: 'string', values });
export const num = (...values: string[]): ContextValue => ({ type: 'number', values });
export const date = (...values: string[]): ContextValue => ({ type: 'date', values });
export const bool = (value: string): ContextValue => ({ type: 'boolean', values: [value] });
export const ip = (value: string): ContextValue => ({ type: 'ip', values: [value] });
export const bin = (value: string): ContextValue => ({ type: 'binary', values: [value] });
export const arn = (...values: string[]): ContextValue => ({ type: 'arn', values });

export const BUCKET = 'arn:aws:s3:::amzn-s3-demo-bucket';

/**
 * A decision as a plain object: an allowed decision builds its reason lazily on its prototype, which toEqual
 * would not compare, so tests that compare decisions compare these.
 */
export function plain(d: Decision): Decision {
  return { decision: d.decision, matched: d.matched, reason: d.reason };
}
