// Runs identity policies and a Gatehouse AuthzRequest through @cloud-copilot/iam-simulate, an IAM evaluator
// maintained outside this project, so tests can compare its decision with ours (differential testing).
// iam-simulate is AGPL-3.0 and a devDependency only: it is imported from tests, never from src/, and never shipped.
import { runUnsafeSimulation } from '@cloud-copilot/iam-simulate';
import type { AuthzRequest, DecisionKind } from '../../../../src/policy/types.js';

/** A request context as iam-simulate takes it: a string for one value, an array for several. */
export type SimulateContext = Record<string, string | string[]>;

/**
 * The request context our evaluator sees, spelled out: the request's own keys plus the keys we derive from the
 * principal (src/policy/context.ts) when the request does not set them. iam-simulate derives nothing, so it gets
 * them all explicitly. A key with one value is passed as a string: iam-simulate treats any array as multivalued,
 * and a multivalued key cannot be a policy variable nor satisfy a single-value operator there.
 */
export function effectiveContext(request: AuthzRequest): SimulateContext {
  const out: SimulateContext = {};
  const seen = new Set<string>();
  const put = (key: string, values: readonly string[]): void => {
    if (seen.has(key.toLowerCase()) || values.length === 0) return;
    seen.add(key.toLowerCase());
    out[key] = values.length === 1 ? (values[0] as string) : [...values];
  };
  for (const [key, value] of Object.entries(request.context)) put(key, value.values);
  const p = request.principal;
  if (p) {
    if (p.username !== undefined) put('aws:username', [p.username]);
    if (p.userid !== undefined) put('aws:userid', [p.userid]);
    put('aws:PrincipalArn', [p.arn]);
    put('aws:PrincipalAccount', [p.accountId]);
    for (const [tag, value] of Object.entries(p.tags ?? {})) put(`aws:PrincipalTag/${tag}`, [value]);
  }
  return out;
}

const DECISIONS: Record<string, DecisionKind> = {
  Allowed: 'allowed',
  ImplicitlyDenied: 'implicitDeny',
  ExplicitlyDenied: 'explicitDeny',
};

/**
 * iam-simulate's decision for identity-based policies (JSON documents as written) on a request. The resource is
 * placed in the principal's account: our evaluator applies the cross-account rule only when resource-based
 * policies are given, so both sides see a same-account request. runUnsafeSimulation skips iam-simulate's
 * validation against its bundled AWS service data (actions and ARN shapes are not checked) and evaluates in
 * Strict mode, which is the decision AWS would make.
 */
export function simulateIdentity(policies: readonly unknown[], request: AuthzRequest): DecisionKind {
  const principal = request.principal;
  if (!principal) throw new Error('simulateIdentity: identity policies need a principal');
  const result = runUnsafeSimulation(
    {
      request: {
        principal: principal.arn,
        action: request.action,
        resource: { resource: request.resource, accountId: principal.accountId },
        contextVariables: effectiveContext(request),
      },
      identityPolicies: policies.map((policy, i) => ({ name: `identity${i}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  const decision = DECISIONS[result];
  if (decision === undefined) throw new Error(`iam-simulate returned ${String(result)}`);
  return decision;
}
