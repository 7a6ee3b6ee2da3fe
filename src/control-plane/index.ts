// The store-backed ControlPlane the management API calls after authorising a request.
import type { ControlPlane } from '../core/types.js';
import { lookupEvents } from './audit.js';
import type { ControlContext } from './context.js';
import { createDbUser, deleteDbUser, listDbUsers, rotatePassword } from './db-users.js';
import { createInstance, deleteInstance, describeInstances, modifyInstance } from './instances.js';

/** For the data plane's first IAM login of an rds_iam member (not an API action). */
export { adoptIamUser } from './db-users.js';

export function createControlPlane(ctx: ControlContext): ControlPlane {
  return {
    createInstance: (input) => createInstance(ctx, input),
    describeInstances: (identifier) => describeInstances(ctx, identifier),
    modifyInstance: (input) => modifyInstance(ctx, input),
    deleteInstance: (identifier) => deleteInstance(ctx, identifier),
    createDbUser: (input) => createDbUser(ctx, input),
    listDbUsers: (identifier) => listDbUsers(ctx, identifier),
    deleteDbUser: (identifier, username) => deleteDbUser(ctx, identifier, username),
    rotatePassword: (input) => rotatePassword(ctx, input),
    lookupEvents: (input) => lookupEvents(ctx, input),
  };
}
