// Shapes of the IAM policy language (parsed documents) and of an authorization request and its decision.

/** `2008-10-17` (also what an absent Version means) has no policy variables; `2012-10-17` does. */
export type PolicyVersion = '2012-10-17' | '2008-10-17';

/** Where a document is used; decides which elements are required or forbidden. */
export type PolicyKind = 'identity' | 'trust' | 'resource';

export type Effect = 'Allow' | 'Deny';

/** `'*'` or principal lists by type; every list is non-empty. */
export type PrincipalSpec =
  | '*'
  | { AWS?: string[]; Service?: string[]; Federated?: string[]; CanonicalUser?: string[] };

export type SetOperator = 'ForAnyValue' | 'ForAllValues';

/** One `operator: { key: values }` pair of a Condition block, with the operator name split into parts. */
export interface ConditionEntry {
  /** The operator as written, e.g. `ForAnyValue:StringLikeIfExists`. */
  operator: string;
  /** The base operator, e.g. `StringLike`. */
  base: string;
  set: SetOperator | null;
  ifExists: boolean;
  /** The condition key as written (lookups are case-insensitive). */
  key: string;
  /** Policy values, JSON numbers and booleans already turned into strings. */
  values: string[];
}

export interface Statement {
  sid?: string;
  effect: Effect;
  action?: string[];
  notAction?: string[];
  resource?: string[];
  notResource?: string[];
  principal?: PrincipalSpec;
  notPrincipal?: PrincipalSpec;
  conditions: ConditionEntry[];
}

export interface PolicyDocument {
  /** Absent in the JSON means 2008-10-17 semantics. */
  version?: PolicyVersion;
  id?: string;
  statements: Statement[];
}

export interface PolicyError {
  /** JSON path of the offending element, e.g. `Statement[1].Condition.StringEqualz`. */
  path: string;
  message: string;
}

export type ParseResult = { ok: true; policy: PolicyDocument } | { ok: false; errors: PolicyError[] };

/** A request context value; multivalued keys (e.g. `aws:TagKeys`) carry several values. */
export interface ContextValue {
  type: 'string' | 'number' | 'date' | 'boolean' | 'ip' | 'binary' | 'arn';
  values: string[];
}

export interface RequestPrincipal {
  arn: string;
  accountId: string;
  username?: string;
  userid?: string;
  tags?: Record<string, string>;
}

export interface AuthzRequest {
  action: string;
  resource: string;
  principal?: RequestPrincipal;
  context: Record<string, ContextValue>;
}

export type DecisionKind = 'allowed' | 'explicitDeny' | 'implicitDeny';

export interface MatchedStatement {
  policy: string;
  sid?: string;
  effect: Effect;
  /** Position of the statement in its policy's Statement list. */
  index: number;
}

export interface Decision {
  decision: DecisionKind;
  matched: MatchedStatement[];
  reason: string;
}
