// The IAM method: an RDS-compatible auth token sent as a cleartext secret inside TLS, verified (signature,
// expiry, key, then the rds-db:connect policy decision). The session stays revocable by its principal.
import { looksLikeToken } from '../../../auth/iam-token/parse.js';
import type { TokenVerifier } from '../../../auth/iam-token/verify.js';
import { GatehouseError } from '../../../core/errors.js';
import type { AuthMethod } from '../auth-method.js';
import { cleartextLimit } from './refusals.js';

export interface IamTokenMethodOptions {
  readonly verifier: TokenVerifier;
}

export function createIamTokenMethod(options: IamTokenMethodOptions): AuthMethod {
  return {
    kind: 'iam',
    name: 'iam',
    begin(request, login, facts) {
      if (login?.kind !== 'iam') throw new Error('the IAM method was given a non-IAM login');
      const { instance, user } = request;
      // Refused before the secret is asked for: a token must never travel in the clear.
      if (!instance.iamAuth)
        throw new GatehouseError('GH_IAM_AUTH_DISABLED', { instance: instance.identifier });
      if (!request.encrypted) throw new GatehouseError('GH_IAM_TLS_REQUIRED', { user });
      return {
        shape: 'cleartext',
        ...cleartextLimit(request),
        async verify(token) {
          if (!looksLikeToken(token)) throw new GatehouseError('GH_IAM_ONLY_USER', { user, why: login.why });
          const verified = await options.verifier
            .verify({
              token,
              user,
              endpoints: instance.endpoints,
              dbiResourceId: instance.dbiResourceId,
              sourceIp: request.sourceIp,
              secureTransport: true,
            })
            .catch((e: unknown) => {
              // Who signed it, as far as known, goes into the refusal's audit event.
              if (e instanceof GatehouseError && e.audit) {
                if (e.audit['principalArn'] !== undefined) facts.principalArn = e.audit['principalArn'];
                if (e.audit['accessKeyId'] !== undefined) facts.accessKeyId = e.audit['accessKeyId'];
              }
              throw e;
            });
          facts.principalArn = verified.principalArn;
          facts.accessKeyId = verified.accessKeyId;
          const backendSecret = login.backendSecret ?? (await request.logins.adoptIamUser(instance, user));
          return {
            method: 'iam',
            backendSecret,
            final: null,
            logFields: {
              principal: verified.principalArn,
              accessKeyId: verified.accessKeyId,
              signature: `${verified.signaturePrefix}…`,
            },
            revocable: { principalArn: verified.principalArn, accessKeyId: verified.accessKeyId },
          };
        },
      };
    },
  };
}
