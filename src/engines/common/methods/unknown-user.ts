// An unknown user on an engine that has no password method: ask for a secret as any cleartext method would,
// then fail as a wrong password does, so the answer does not say whether the user exists.
import { GatehouseError } from '../../../core/errors.js';
import type { AuthMethod } from '../auth-method.js';

export function createUnknownUserMethod(): AuthMethod {
  return {
    kind: 'password',
    name: 'none',
    begin(request) {
      const { user } = request;
      const limit = request.limits.maxIamTokenBytes;
      return {
        shape: 'cleartext',
        maxSecretBytes: limit,
        tooLarge: (size) => new GatehouseError('GH_IAM_TOKEN_TOO_LARGE', { size, limit }),
        verify: async () => {
          const options = { detail: 'unknown user (this engine has no password method)' };
          throw request.instance.iamAuth
            ? new GatehouseError('GH_IAM_USER_NOT_ENABLED', { user }, options)
            : new GatehouseError('GH_AUTH_FAILED', { user }, options);
        },
      };
    },
  };
}
