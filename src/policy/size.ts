// Policy size quotas (IAM User Guide, "IAM and AWS STS quotas"): characters counted without white space.

export const POLICY_SIZE_LIMITS = {
  /** Aggregate inline policy size per IAM user. */
  userInline: 2048,
  /** Aggregate inline policy size per IAM group. */
  groupInline: 5120,
  /** Aggregate inline policy size per IAM role. */
  roleInline: 10240,
  /** One customer managed policy. */
  managed: 6144,
  /** One role trust policy (default quota; AWS lets it be raised to 4096). */
  roleTrust: 2048,
} as const;

/** Characters of a policy document that count toward the quotas: IAM does not count white space. */
export function policySize(json: string): number {
  let n = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) n++;
  }
  return n;
}

/** A message when the document is over `limit` characters (white space excluded), otherwise null. */
export function policySizeError(json: string, limit: number): string | null {
  const size = policySize(json);
  return size > limit
    ? `policy document is ${size} characters (white space excluded); the limit is ${limit}`
    : null;
}
