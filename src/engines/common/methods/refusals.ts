// What the password-like methods share, so that what a client can observe does not depend on which method ran:
// the refusal for a wrong (or unknowable) secret, and the size limit of a cleartext secret.
import { GatehouseError } from '../../../core/errors.js';
import type { AuthRequest, Exchange } from '../auth-method.js';

/**
 * The refusal for a wrong secret or an unknown user. On an IAM-enabled instance it may have been a token sent for
 * a non-IAM user: say so (unknown users get the same answer, so this reveals nothing about who exists).
 */
export function wrongSecret(request: AuthRequest, detail: string): GatehouseError {
  const { user } = request;
  return request.instance.iamAuth
    ? new GatehouseError('GH_IAM_USER_NOT_ENABLED', { user }, { detail })
    : new GatehouseError('GH_AUTH_FAILED', { user }, { detail });
}

/** The size limit of a cleartext secret (an RDS token is about 1 KB, 3 KB with a session token), and its refusal. */
export function cleartextLimit(
  request: AuthRequest,
): Pick<Extract<Exchange, { shape: 'cleartext' }>, 'maxSecretBytes' | 'tooLarge'> {
  const limit = request.limits.maxIamTokenBytes;
  return {
    maxSecretBytes: limit,
    tooLarge: (size) => new GatehouseError('GH_IAM_TOKEN_TOO_LARGE', { size, limit }),
  };
}
