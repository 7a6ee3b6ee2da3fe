// Principal matching for resource-based and trust policies. An account principal ("123456789012" or its
// :root ARN) delegates to that account's identity policies rather than granting by itself (IAM User
// Guide, "Principal" / "Cross-account policy evaluation logic"), so a match says how it matched.
import type { PrincipalSpec, RequestPrincipal } from './types.js';

/** No match; matched only through the principal's account; matched the principal itself (or "*"). */
export const PRINCIPAL_MATCH = { none: 0, account: 1, direct: 2 } as const;
export type PrincipalMatch = (typeof PRINCIPAL_MATCH)[keyof typeof PRINCIPAL_MATCH];

const ROOT = /^arn:[a-z-]+:iam::(\d{12}):root$/;
const ROLE = /^arn:[a-z-]+:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/;
const SESSION = /^arn:[a-z-]+:sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/;

export class PrincipalMatcher {
  private readonly any: boolean;
  private readonly accounts = new Set<string>();
  private readonly exact = new Set<string>();
  /** `account/RoleName`: a role ARN also names every session of that role. */
  private readonly roles = new Set<string>();

  constructor(spec: PrincipalSpec) {
    this.any = spec === '*' || (spec.AWS?.includes('*') ?? false);
    if (spec === '*') return;
    for (const v of spec.AWS ?? []) {
      const root = ROOT.exec(v);
      if (/^\d{12}$/.test(v)) this.accounts.add(v);
      else if (root) this.accounts.add(root[1] as string);
      else this.exact.add(v);
      const role = ROLE.exec(v);
      if (role) this.roles.add(`${role[1]}/${role[2]}`);
    }
    for (const v of [...(spec.Service ?? []), ...(spec.Federated ?? []), ...(spec.CanonicalUser ?? [])])
      this.exact.add(v);
  }

  match(p: RequestPrincipal | undefined): PrincipalMatch {
    if (this.any) return PRINCIPAL_MATCH.direct;
    if (p === undefined) return PRINCIPAL_MATCH.none;
    if (this.exact.has(p.arn)) return PRINCIPAL_MATCH.direct;
    if (this.roles.size > 0) {
      const session = SESSION.exec(p.arn);
      if (session && this.roles.has(`${session[1]}/${session[2]}`)) return PRINCIPAL_MATCH.direct;
    }
    return this.accounts.has(p.accountId) ? PRINCIPAL_MATCH.account : PRINCIPAL_MATCH.none;
  }
}
