// Compiles a loaded principal once and evaluates requests for it: identity + boundary, then the session policy if any.

import {
  type AuthzRequest,
  type CompiledPolicy,
  compilePolicy,
  type Decision,
  type EvaluateFn,
  type RequestPrincipal,
} from './policy-engine.js';
import type { LoadedPrincipal } from './principal-policies.js';

export interface CompiledPrincipal {
  readonly identity: CompiledPolicy[];
  /** Null: no boundary. */
  readonly boundary: CompiledPolicy[] | null;
  /** Null: no session policy (users, or sessions assumed without Policy). */
  readonly session: CompiledPolicy[] | null;
  readonly principal: RequestPrincipal;
}

export function compilePrincipal(loaded: LoadedPrincipal): CompiledPrincipal {
  const label = (source: string, name: string) =>
    source === 'user' || source === 'role' ? name : `${source}/${name}`;
  return {
    identity: loaded.identity.map((p) =>
      compilePolicy(p.document, {
        name: label(p.source, p.name),
        ...(p.arn !== undefined && { arn: p.arn }),
        kind: 'identity',
      }),
    ),
    boundary: loaded.boundary
      ? [
          compilePolicy(loaded.boundary, {
            name: `boundary ${loaded.boundaryArn ?? ''}`.trim(),
            kind: 'identity',
          }),
        ]
      : null,
    session: loaded.session?.policy
      ? [compilePolicy(loaded.session.policy, { name: 'session policy', kind: 'identity' })]
      : null,
    principal: loaded.principal,
  };
}

/**
 * The decision for `request` made by this principal. A session policy can only narrow (IAM User Guide,
 * "Session policies"): the request must be allowed by identity policies (within any boundary) and by
 * the session policy; an explicit Deny in either wins.
 */
export function authorizePrincipal(
  p: CompiledPrincipal,
  request: Omit<AuthzRequest, 'principal'>,
  evaluateFn: EvaluateFn,
  resource?: CompiledPolicy[],
): Decision {
  // Spelled out rather than spread: this runs on every connection and API call.
  const full: AuthzRequest = {
    action: request.action,
    resource: request.resource,
    context: request.context,
    principal: p.principal,
  };
  const main = evaluateFn({
    identity: p.identity,
    boundary: p.boundary,
    request: full,
    ...(resource && { resource }),
  });
  if (p.session === null || main.decision === 'explicitDeny') return main;
  const session = evaluateFn({ identity: p.session, request: full });
  if (session.decision === 'explicitDeny') return session;
  if (main.decision !== 'allowed') return main;
  if (session.decision !== 'allowed') {
    return {
      decision: 'implicitDeny',
      matched: [],
      reason: `${session.reason} (the session policy limits this session)`,
    };
  }
  // The reason stays lazy, as evaluate() leaves it (an allowed decision is rarely explained).
  return {
    decision: 'allowed',
    matched: [...main.matched, ...session.matched],
    get reason() {
      return main.reason;
    },
  };
}
