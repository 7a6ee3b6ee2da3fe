// The AWS Signature Version 4 signing key, derived in one place for both verifiers: the management API's
// request signatures (src/api/sigv4-verify.ts) and RDS IAM auth tokens (src/auth/iam-token/verify.ts).
import { createHmac } from 'node:crypto';

/** The last element of every SigV4 credential scope. */
export const SIGV4_TERMINATOR = 'aws4_request';

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/**
 * kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request") (AWS SigV4 spec,
 * "Calculate the signature"). `shortDate` is the scope's yyyymmdd. Uncached: callers that verify often cache it.
 */
export function sigv4SigningKey(secret: string, shortDate: string, region: string, service: string): Buffer {
  const kDate = hmac(`AWS4${secret}`, shortDate);
  return hmac(hmac(hmac(kDate, region), service), SIGV4_TERMINATOR);
}
