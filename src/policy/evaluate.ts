// evaluate: the IAM decision for one request (IAM User Guide, "Policy evaluation logic"): an explicit
// Deny in any applicable policy wins; otherwise an Allow from an identity policy, or from a resource-based
// policy naming the principal, allows (across accounts both sides must allow); a permissions boundary,
// when given, must also allow; anything else is an implicit deny.
import { type CompiledPolicy, type CompiledStatement, resourceMatches } from './compile.js';
import { conditionHolds } from './conditions/condition.js';
import { RequestScope } from './context.js';
import { PRINCIPAL_MATCH, type PrincipalMatch } from './principal.js';
import { internRequest } from './request-key.js';
import type { AuthzRequest, Decision, MatchedStatement } from './types.js';

const NONE: MatchedStatement[] = [];

export { type CompiledPolicy, type CompiledStatement, compilePolicy, type PolicyMeta } from './compile.js';

export interface EvaluateInput {
  identity: readonly CompiledPolicy[];
  /** Resource-based (or role trust) policies of the resource; undefined when the resource has none. */
  resource?: readonly CompiledPolicy[];
  /** The permissions boundary; null/undefined: none. An empty array is a boundary that allows nothing. */
  boundary?: readonly CompiledPolicy[] | null;
  request: AuthzRequest;
}

/**
 * How a statement applies to the request: not at all, or with how its Principal matched.
 * `resourceChecked`: the candidate list already applied the statement's variable-free resources.
 */
function applies(st: CompiledStatement, scope: RequestScope, resourceChecked: boolean): PrincipalMatch {
  let how: PrincipalMatch = PRINCIPAL_MATCH.direct;
  if (st.principal !== null) {
    const m = st.principal.match(scope.request.principal);
    how = st.notPrincipal ? (m === PRINCIPAL_MATCH.none ? PRINCIPAL_MATCH.direct : PRINCIPAL_MATCH.none) : m;
    if (how === PRINCIPAL_MATCH.none) return how;
  }
  if (!(resourceChecked && st.resourcesStatic) && !resourceMatches(st, scope.resource, scope)) {
    return PRINCIPAL_MATCH.none;
  }
  const allow = st.effect === 'Allow';
  for (const c of st.conditions) if (!conditionHolds(c, scope, allow)) return PRINCIPAL_MATCH.none;
  return how;
}

/**
 * Matching statements by role: denies; identity allows; resource-policy allows naming the principal
 * (enough on their own within the account) or only its account (they delegate to identity policies);
 * boundary allows. Lists are created on first use so a request that matches nothing allocates none.
 */
class Tally {
  denies: MatchedStatement[] | null = null;
  identity: MatchedStatement[] | null = null;
  resourceDirect: MatchedStatement[] | null = null;
  resourceAccount: MatchedStatement[] | null = null;
  boundary: MatchedStatement[] | null = null;
}

function append(list: MatchedStatement[] | null, m: MatchedStatement): MatchedStatement[] {
  if (list === null) return [m];
  list.push(m);
  return list;
}

type Side = 'identity' | 'resource' | 'boundary';

function scan(
  policies: readonly CompiledPolicy[],
  side: Side,
  action: string,
  key: number,
  scope: RequestScope,
  t: Tally,
): void {
  for (const policy of policies) {
    // The scope, not scope.resource: the resource ARN is split only if a memo misses or a statement needs it.
    for (const st of policy.candidates(action, key, scope)) {
      const how = applies(st, scope, key >= 0);
      if (how === PRINCIPAL_MATCH.none) continue;
      // st.matched is built once at compile time (frozen), so a match allocates nothing.
      if (st.effect === 'Deny') t.denies = append(t.denies, st.matched);
      else if (side === 'identity') t.identity = append(t.identity, st.matched);
      else if (side === 'boundary') t.boundary = append(t.boundary, st.matched);
      else if (how === PRINCIPAL_MATCH.direct) t.resourceDirect = append(t.resourceDirect, st.matched);
      else t.resourceAccount = append(t.resourceAccount, st.matched);
    }
  }
}

function label(m: MatchedStatement): string {
  return `${m.policy} (${m.sid === undefined ? `statement ${m.index}` : `Sid ${m.sid}`})`;
}

/** Names the first few deciding statements; the full list is in `matched`. */
function labels(ms: readonly MatchedStatement[]): string {
  const shown = ms.slice(0, 3).map(label).join(', ');
  return ms.length > 3 ? `${shown} and ${ms.length - 3} more` : shown;
}

/** The account field of an ARN, '' when the value is not an ARN or the ARN has none (e.g. S3). */
function resourceAccount(scope: RequestScope): string {
  const b = scope.resource;
  return b.segments >= 6 ? b.value.slice(b.start(4), b.end(4)) : '';
}

/** The last action lower-cased: requests mostly repeat one action (rds-db:connect), so this skips a copy. */
let lastAction = '';
let lastActionLower = '';

function lowerAction(action: string): string {
  if (action !== lastAction) {
    lastAction = action;
    lastActionLower = action.toLowerCase();
  }
  return lastActionLower;
}

export function evaluate(input: EvaluateInput): Decision {
  const { request } = input;
  const scope = new RequestScope(request);
  const action = lowerAction(request.action);
  const t = new Tally();
  const key = internRequest(action, request.resource);
  scan(input.identity, 'identity', action, key, scope, t);
  if (input.resource) scan(input.resource, 'resource', action, key, scope, t);
  if (input.boundary) scan(input.boundary, 'boundary', action, key, scope, t);
  const what = `${request.action} on ${request.resource}`;

  const denies = t.denies;
  if (denies) {
    return {
      decision: 'explicitDeny',
      matched: denies,
      reason: `${what} is explicitly denied by ${labels(denies)}`,
    };
  }
  const identity = t.identity;
  const boundary = t.boundary;
  const principal = request.principal;
  const owner = input.resource && principal ? resourceAccount(scope) : '';
  // Service principals (no account id) are not subject to the cross-account rule.
  const crossAccount =
    owner !== '' && principal !== undefined && principal.accountId !== '' && owner !== principal.accountId;
  // A role trust policy must itself allow the caller (AssumeRole is never granted by identity policies alone).
  const trust = input.resource?.some((p) => p.kind === 'trust') ?? false;
  const direct = t.resourceDirect ?? NONE;
  const resourceAllows =
    t.resourceAccount === null
      ? direct
      : t.resourceDirect === null
        ? t.resourceAccount
        : [...direct, ...t.resourceAccount];
  let allowed: MatchedStatement[];
  if (crossAccount) {
    if (!identity || resourceAllows.length === 0) {
      const missing = identity ? 'a resource-based policy of the owning account' : 'an identity-based policy';
      return implicit(`${what} is cross-account (resource in ${owner}) and is not allowed by ${missing}`);
    }
    allowed = [...identity, ...resourceAllows];
  } else if (identity && (!trust || resourceAllows.length > 0)) {
    // The tally's lists are this evaluation's own, so they can be returned (and extended) as they are.
    allowed = resourceAllows.length === 0 ? identity : [...identity, ...resourceAllows];
  } else if (direct.length > 0) {
    allowed = direct;
  } else if (trust && identity) {
    return implicit(
      `${what} is allowed by an identity-based policy but the role trust policy does not allow the caller`,
    );
  } else {
    return implicit(`no statement allows ${what}`);
  }
  if (input.boundary) {
    if (!boundary)
      return implicit(`${what} is allowed by ${labels(allowed)} but not by the permissions boundary`);
    allowed.push(...boundary);
  }
  return allowedDecision(allowed, what);
}

/**
 * An Allow, its explanation built only if read (refusals are explained; an allowed connection or API call
 * rarely is). `reason` is a getter on the prototype, so spreading a decision does not copy it: callers that copy
 * a decision name the fields (see principal-authorize.ts); JSON.stringify uses toJSON and does include it.
 */
class AllowedDecision implements Decision {
  readonly decision = 'allowed' as const;
  readonly #what: string;
  #reason: string | undefined = undefined;
  constructor(
    readonly matched: MatchedStatement[],
    what: string,
  ) {
    this.#what = what;
  }
  get reason(): string {
    this.#reason ??= `${this.#what} is allowed by ${labels(this.matched)}`;
    return this.#reason;
  }
  toJSON(): Decision {
    return { decision: this.decision, matched: this.matched, reason: this.reason };
  }
}

function allowedDecision(matched: MatchedStatement[], what: string): Decision {
  return new AllowedDecision(matched, what);
}

function implicit(reason: string): Decision {
  return { decision: 'implicitDeny', matched: [], reason };
}

/** Context keys the policies use (conditions and variables), de-duplicated case-insensitively. */
export function contextKeysOf(policies: readonly CompiledPolicy[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const p of policies) {
    for (const k of p.contextKeys) {
      if (seen.has(k.toLowerCase())) continue;
      seen.add(k.toLowerCase());
      out.push(k);
    }
  }
  return out;
}
