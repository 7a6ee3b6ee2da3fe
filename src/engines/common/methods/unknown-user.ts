// An unknown user on an engine that has no password method: ask for a secret as any cleartext method would,
// then fail as a wrong password does, so the answer does not say whether the user exists.
import type { AuthMethod } from '../auth-method.js';
import { cleartextLimit, wrongSecret } from './refusals.js';

export function createUnknownUserMethod(): AuthMethod {
  return {
    kind: 'password',
    name: 'none',
    begin(request) {
      return {
        shape: 'cleartext',
        // The same limit as the IAM method's, so an over-long secret is refused alike whoever the user is.
        ...cleartextLimit(request),
        verify: async () => {
          throw wrongSecret(request, 'unknown user (this engine has no password method)');
        },
      };
    },
  };
}
