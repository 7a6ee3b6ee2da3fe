// The IAM service on the state store: one object implementing IamService, composed from the per-family modules.
import { createAccessKeyMethods } from './service-access-keys.js';
import { createAttachmentMethods } from './service-attachments.js';
import { createAuthorizationDetailMethods } from './service-authorization-details.js';
import { createIamContext, type IamServiceDeps } from './service-context.js';
import { createGroupMethods } from './service-groups.js';
import { createInlinePolicyMethods } from './service-inline-policies.js';
import { createManagedPolicyMethods } from './service-managed-policies.js';
import { createPolicyEntityMethods } from './service-policy-entities.js';
import { createRoleMethods } from './service-roles.js';
import { createUserMethods } from './service-users.js';
import type { IamService } from './types.js';

export type { IamServiceDeps } from './service-context.js';

/** Every mutation runs in one store transaction and then calls `deps.notify('iam')`. */
export function createIamService(deps: IamServiceDeps): IamService {
  const ctx = createIamContext(deps);
  return {
    ...createUserMethods(ctx),
    ...createAccessKeyMethods(ctx),
    ...createGroupMethods(ctx),
    ...createRoleMethods(ctx),
    ...createInlinePolicyMethods(ctx),
    ...createManagedPolicyMethods(ctx),
    ...createAttachmentMethods(ctx),
    ...createPolicyEntityMethods(ctx),
    ...createAuthorizationDetailMethods(ctx),
  };
}
