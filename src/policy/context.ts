// The request as the evaluator sees it: context keys looked up case-insensitively (condition key names
// are not case-sensitive in IAM), plus the keys AWS derives from the principal (aws:username, aws:userid,
// aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalTag/KEY) when the caller did not set them.
import { ArnBounds } from './arn.js';
import type { AuthzRequest } from './types.js';
import type { VariableSource } from './variables.js';

const TAG_PREFIX = 'aws:principaltag/';
const SCAN_LIMIT = 16;

export class RequestScope implements VariableSource {
  private keys: Map<string, readonly string[]> | null = null;
  private resourceBounds: ArnBounds | null = null;

  constructor(readonly request: AuthzRequest) {}

  private build(): Map<string, readonly string[]> {
    const keys = new Map<string, readonly string[]>();
    for (const name in this.request.context) {
      const entry = this.request.context[name];
      // The first spelling wins, as in the scan below: both paths must pick the same key.
      const lower = name.toLowerCase();
      if (entry && !keys.has(lower)) keys.set(lower, entry.values);
    }
    this.keys = keys;
    return keys;
  }

  /** A key AWS fills in from the principal, looked up only when the context does not set it. */
  private derived(keyLower: string): string | undefined {
    const p = this.request.principal;
    if (p === undefined) return undefined;
    switch (keyLower) {
      case 'aws:username':
        return p.username;
      case 'aws:userid':
        return p.userid;
      case 'aws:principalarn':
        return p.arn;
      case 'aws:principalaccount':
        return p.accountId;
    }
    if (!keyLower.startsWith(TAG_PREFIX) || p.tags === undefined) return undefined;
    const tag = keyLower.slice(TAG_PREFIX.length);
    for (const name in p.tags) if (name.toLowerCase() === tag) return p.tags[name];
    return undefined;
  }

  /**
   * The values of a context key, given as written in the policy and lower-cased; undefined when the
   * request context lacks it (an empty list is returned as is). The caller's spelling is tried first so the
   * common case (same spelling in policy and request) needs no case-folded copy of the context.
   */
  private values(key: string, keyLower: string): readonly string[] | undefined {
    const context = this.request.context;
    const direct = Object.hasOwn(context, key) ? context[key] : undefined;
    if (direct !== undefined) return direct.values;
    if (this.keys !== null) return this.keys.get(keyLower);
    // Small contexts (the usual handful of keys) are scanned without building a case-folded map.
    let n = 0;
    for (const name in context) {
      if (++n > SCAN_LIMIT) return this.build().get(keyLower);
      if (name.length === keyLower.length && name.toLowerCase() === keyLower) return context[name]?.values;
    }
    return undefined;
  }

  lookup(key: string, keyLower: string): readonly string[] | undefined {
    const values = this.values(key, keyLower);
    if (values !== undefined) return values.length > 0 ? values : undefined;
    const derived = this.derived(keyLower);
    return derived === undefined ? undefined : [derived];
  }

  variable(key: string, keyLower: string): string | undefined {
    const values = this.values(key, keyLower);
    if (values !== undefined) return values.length === 1 ? values[0] : undefined;
    return this.derived(keyLower);
  }

  get resource(): ArnBounds {
    if (this.resourceBounds === null) this.resourceBounds = new ArnBounds(this.request.resource);
    return this.resourceBounds;
  }
}
