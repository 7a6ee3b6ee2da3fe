// Policy documents at the IAM boundary: size quotas, validation (MalformedPolicyDocument with JSON paths), URL-encoding.
import { GatehouseError } from '../core/errors.js';
import { type PolicyDocument, parsePolicyDocument, policySizeError } from './policy-engine.js';

/**
 * IAM quotas, in characters not counting whitespace (IAM and STS quotas, "IAM policy character limits").
 * Trust policies are role attributes with their own 2048 limit (ACLSizePerRole).
 */
export const POLICY_SIZE_LIMITS = {
  User: 2048,
  Group: 5120,
  Role: 10240,
  managed: 6144,
  trust: 2048,
} as const;

export type DocumentUse =
  | { readonly kind: 'inline'; readonly principal: 'User' | 'Group' | 'Role'; readonly name: string }
  | { readonly kind: 'managed' }
  | { readonly kind: 'trust' };

function sizeLimit(use: DocumentUse): { limit: number; message: string } {
  if (use.kind === 'inline') {
    const limit = POLICY_SIZE_LIMITS[use.principal];
    return {
      limit,
      message: `Maximum policy size of ${limit} bytes exceeded for ${use.principal.toLowerCase()} ${use.name}`,
    };
  }
  if (use.kind === 'managed') {
    return {
      limit: POLICY_SIZE_LIMITS.managed,
      message: `Cannot exceed quota for PolicySize: ${POLICY_SIZE_LIMITS.managed}`,
    };
  }
  return {
    limit: POLICY_SIZE_LIMITS.trust,
    message: `Cannot exceed quota for ACLSizePerRole: ${POLICY_SIZE_LIMITS.trust}`,
  };
}

/**
 * Checks a submitted document and returns it unchanged (AWS stores and returns what was sent). Size first,
 * so an oversized document is never parsed; then the policy grammar for its kind.
 */
export function checkPolicyDocument(json: unknown, use: DocumentUse): string {
  if (typeof json !== 'string' || json.length === 0) {
    throw new GatehouseError('GH_IAM_VALIDATION', {
      reason:
        "1 validation error detected: Value at 'policyDocument' failed to satisfy constraint: Member must not be null",
    });
  }
  const size = sizeLimit(use);
  if (policySizeError(json, size.limit) !== null) {
    throw new GatehouseError('GH_IAM_LIMIT_EXCEEDED', { reason: size.message });
  }
  const parsed = parsePolicyDocument(json, use.kind === 'trust' ? 'trust' : 'identity');
  if (!parsed.ok) {
    const problems = parsed.errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; ');
    throw new GatehouseError('GH_IAM_MALFORMED_POLICY', { reason: `Syntax errors in policy. ${problems}` });
  }
  return json;
}

/** A stored document, parsed for evaluation. It was valid when written; if not now, fail closed. */
export function parseStoredDocument(json: string, kind: 'identity' | 'trust', where: string): PolicyDocument {
  const parsed = parsePolicyDocument(json, kind);
  if (parsed.ok) return parsed.policy;
  throw new GatehouseError(
    'GH_INTERNAL',
    {},
    {
      detail: `stored policy ${where} no longer parses: ${parsed.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
    },
  );
}

/** IAM returns documents URL-encoded (RFC 3986), e.g. `%7B%22Version%22…`; clients decode them. */
export function encodePolicyDocument(json: string): string {
  return encodeURIComponent(json);
}
