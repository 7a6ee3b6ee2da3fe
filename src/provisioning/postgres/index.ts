// The PostgreSQL BackendProvisioner: postgres:// backend URLs, roles through an admin connection (node-postgres),
// backend passwords sent only as SCRAM verifiers, IAM users as members of rds_iam (as on Amazon RDS).
import { createScramVerifier } from '../../auth/scram/verifier.js';
import { GatehouseError } from '../../core/errors.js';
import type { AdminSession, BackendProvisioner } from '../provisioner.js';
import { ensureDatabase } from './database.js';
import { type Atomically, applyGrants, revokeGrants } from './grants.js';
import {
  type AdminConnection,
  checkRoleName,
  connectAdmin,
  ensureRdsIamRole,
  findRole,
  grantRdsIam,
  listIamLoginRoles,
  RDS_IAM_ROLE,
  retireLoginRole,
  roleDependencies,
  setLoginSecret,
  upsertLoginRole,
} from './roles.js';
import { grantSessionIdentity, installSessionIdentity } from './session-identity.js';
import { parseBackendUrl, redactBackendUrl } from './url.js';

export const POSTGRES_ENGINE = 'postgres';

/** The backend stores the SCRAM verifier of Gatehouse's secret for the role, never the secret itself. */
function backendVerifier(secret: string): string {
  return createScramVerifier(secret);
}

/**
 * `fn` atomically: BEGIN … COMMIT, or, inside a transaction already open on this session, SAVEPOINT … RELEASE
 * (ROLLBACK TO on failure, so the outer transaction goes on).
 */
function atomicallyOn(admin: AdminConnection): Atomically {
  let depth = 0;
  return async (fn) => {
    const savepoint = depth === 0 ? null : `gatehouse_${depth}`;
    await admin.query(savepoint === null ? 'BEGIN' : `SAVEPOINT ${savepoint}`);
    depth += 1;
    try {
      const result = await fn();
      await admin.query(savepoint === null ? 'COMMIT' : `RELEASE SAVEPOINT ${savepoint}`);
      return result;
    } catch (e) {
      await admin
        .query(savepoint === null ? 'ROLLBACK' : `ROLLBACK TO SAVEPOINT ${savepoint}`)
        .catch(() => {});
      throw e;
    } finally {
      depth -= 1;
    }
  };
}

function sessionOf(admin: AdminConnection): AdminSession {
  const atomically = atomicallyOn(admin);
  return {
    transaction: (fn) => atomically(fn),
    upsertLoginRole: (username, secret) => upsertLoginRole(admin, username, backendVerifier(secret)),
    retireLoginRole: (username) => retireLoginRole(admin, username, atomically),
    roleDependencies: (username) => roleDependencies(admin, username),
    setLoginSecret: (username, secret) => setLoginSecret(admin, username, backendVerifier(secret)),
    findRole: (username) => findRole(admin, username),
    ensureIamRole: () => ensureRdsIamRole(admin, atomically),
    grantIam: (username) => grantRdsIam(admin, username),
    listIamLoginRoles: () => listIamLoginRoles(admin),
    installSessionIdentity: (roles) => installSessionIdentity(admin, roles),
    grantSessionIdentity: (username) => grantSessionIdentity(admin, username),
    applyGrants: (username, grants) => applyGrants(admin, atomically, username, grants),
    revokeGrants: (username, grants) => revokeGrants(admin, atomically, username, grants),
    ensureDatabase: (name) => ensureDatabase(admin, name),
    close: () => admin.close(),
  };
}

export function createPostgresProvisioner(): BackendProvisioner {
  return {
    engine: POSTGRES_ENGINE,
    iamRole: RDS_IAM_ROLE,
    parseBackendUrl,
    redactBackendUrl,
    checkRoleName,
    async connect(instance, target, options = {}) {
      return sessionOf(
        await connectAdmin(
          instance,
          target,
          options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs },
        ),
      );
    },
    // The admin URL must work before it is stored. With IAM database authentication on, the backend needs the
    // NOLOGIN role rds_iam (RDS always has it; `GRANT rds_iam TO bob` is how a role becomes an IAM user).
    async checkBackend(instance, target, options) {
      const admin = await connectAdmin(instance, target);
      try {
        if (options.iamAuth) await ensureRdsIamRole(admin);
      } catch (e) {
        throw new GatehouseError(
          'GH_BACKEND_PROVISION_FAILED',
          { instance, reason: `cannot create role ${RDS_IAM_ROLE}: ${(e as Error).message}` },
          { cause: e },
        );
      } finally {
        await admin.close().catch(() => {});
      }
    },
  };
}
