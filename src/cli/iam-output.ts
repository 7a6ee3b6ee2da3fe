// An SDK result as the AWS CLI prints it: no $metadata, timestamps in ISO 8601 with +00:00, and IAM policy
// documents (returned URL-encoded) decoded to JSON, as botocore's json_decode_policies handler does.

/** IAM members of type policyDocumentType, which the service returns URL-encoded (IAM API Reference). */
const POLICY_DOCUMENT_MEMBERS = new Set(['PolicyDocument', 'AssumeRolePolicyDocument', 'Document']);

/** `2025-01-02T03:04:05+00:00`, with microseconds only when there is a fraction (Python's isoformat). */
export function awsCliTimestamp(d: Date): string {
  const iso = d.toISOString();
  const ms = d.getUTCMilliseconds();
  return `${iso.slice(0, 19)}${ms === 0 ? '' : `.${String(ms).padStart(3, '0')}000`}+00:00`;
}

/** The document as JSON when it is URL-encoded JSON; otherwise unchanged (as the AWS CLI leaves it). */
export function decodePolicyDocument(text: string): unknown {
  try {
    return JSON.parse(decodeURIComponent(text));
  } catch {
    return text;
  }
}

function convert(value: unknown, decodePolicies: boolean): unknown {
  if (value instanceof Date) return awsCliTimestamp(value);
  if (Array.isArray(value)) return value.map((v) => convert(v, decodePolicies));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === '$metadata' || v === undefined) continue;
    out[key] =
      decodePolicies && POLICY_DOCUMENT_MEMBERS.has(key) && typeof v === 'string'
        ? decodePolicyDocument(v)
        : convert(v, decodePolicies);
  }
  return out;
}

export function awsCliResult(result: object, o: { decodePolicies: boolean }): Record<string, unknown> {
  return convert(result, o.decodePolicies) as Record<string, unknown>;
}
