// Database users: a backend role with a Gatehouse-only secret, plus the client-facing password (SCRAM verifiers).
import { createHash, randomBytes } from 'node:crypto';
import type pg from 'pg';
import { createScramVerifier, parseScramVerifier } from '../auth/scram/verifier.js';
import { GatehouseError } from '../core/errors.js';
import { newPassword } from '../core/ids.js';
import {
  type CreateDbUserInput,
  DB_USER_AUTH,
  type DbUserView,
  type PasswordResult,
  type RotatePasswordInput,
} from '../core/types.js';
import {
  type AdminConnection,
  checkRoleName,
  connectAdmin,
  ensureRdsIamRole,
  grantRdsIam,
  listIamLoginRoles,
  RDS_IAM_ROLE,
  retireLoginRole,
  setLoginSecret,
  upsertLoginRole,
} from '../provisioning/backend-roles.js';
import type { BackendTarget } from '../provisioning/backend-url.js';
import {
  deleteDbUserRow,
  deletePasswords,
  findDbUser,
  insertDbUser,
  insertPassword,
  listDbUsersOf,
  listPasswords,
  rotatePasswordRows,
  setDbUserAuth,
} from '../store/db-users-repo.js';
import { findInstance, type InstanceRow } from '../store/instances-repo.js';
import { backendTargetOf } from './backend-target.js';
import type { ControlContext } from './context.js';
import { toDbUserView } from './views.js';

const MAX_PASSWORD_BYTES = 1024;

function validation(reason: string): GatehouseError {
  return new GatehouseError('GH_API_VALIDATION', { reason });
}

function provisionFailed(instance: InstanceRow, reason: string, cause?: unknown): GatehouseError {
  return new GatehouseError(
    'GH_BACKEND_PROVISION_FAILED',
    { instance: instance.identifier, reason },
    cause === undefined ? {} : { cause },
  );
}

async function instanceOrThrow(ctx: ControlContext, identifier: string): Promise<InstanceRow> {
  const row = await findInstance(ctx.store.pool, identifier);
  if (!row) throw new GatehouseError('GH_INSTANCE_NOT_FOUND', { instance: identifier });
  return row;
}

function checkPassword(password: string): void {
  if (password.length < 8) throw validation('Password must be at least 8 characters');
  if (Buffer.byteLength(password) > MAX_PASSWORD_BYTES) {
    throw validation(`Password must be at most ${MAX_PASSWORD_BYTES} bytes`);
  }
}

/** The random password Gatehouse logs in to the backend with; clients never see it. */
function newBackendSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** Backend AAD binds a sealed secret to its instance and user, so rows cannot be swapped. */
export function backendSecretAad(instance: InstanceRow, username: string): string {
  return `db-user:${instance.identifier}:${username}`;
}

/**
 * Serialise everything that creates, adopts or deletes one (instance, user) across nodes, for the rest of
 * the store transaction: otherwise two nodes could each set a different backend secret for the same role.
 */
async function lockDbUser(tx: pg.PoolClient, instance: InstanceRow, username: string): Promise<void> {
  const key = createHash('sha256').update(`gatehouse-db-user\0${instance.id}\0${username}`).digest();
  await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [key.readBigInt64BE(0).toString()]);
}

/** Run `fn` on the instance's admin connection; backend failures become GH_BACKEND_PROVISION_FAILED. */
async function withAdmin<T>(
  instance: InstanceRow,
  target: BackendTarget,
  fn: (admin: AdminConnection) => Promise<T>,
): Promise<T> {
  const admin = await connectAdmin(instance.identifier, target);
  try {
    return await fn(admin);
  } catch (e) {
    if (e instanceof GatehouseError) throw e;
    throw provisionFailed(instance, (e as Error).message, e);
  } finally {
    await admin.close().catch(() => {});
  }
}

export async function createDbUser(ctx: ControlContext, input: CreateDbUserInput): Promise<PasswordResult> {
  if (!DB_USER_AUTH.includes(input.auth)) throw validation(`Auth must be ${DB_USER_AUTH.join(' or ')}`);
  if (input.auth === 'iam' && input.password !== undefined)
    throw validation('Auth iam users have no password: they log in with IAM auth tokens');
  const instance = await instanceOrThrow(ctx, input.instance);
  const target = backendTargetOf(ctx.box, instance);
  const bad = checkRoleName(input.username, target.adminUser);
  if (bad) throw validation(bad);
  if (input.password !== undefined) checkPassword(input.password);
  const password = input.auth === 'password' ? (input.password ?? newPassword()) : undefined;
  const backendSecret = newBackendSecret();
  const exists = () =>
    new GatehouseError('GH_DB_USER_EXISTS', { user: input.username, instance: instance.identifier });

  const user = await ctx.store.withTransaction(async (tx) => {
    await lockDbUser(tx, instance, input.username);
    if (await findDbUser(tx, instance.id, input.username)) throw exists();
    await withAdmin(instance, target, async (admin) => {
      const outcome = await upsertLoginRole(admin, input.username, createScramVerifier(backendSecret));
      // An IAM user is an rds_iam member, exactly as RDS sets one up (CREATE USER u; GRANT rds_iam TO u).
      if (input.auth === 'iam') {
        await ensureRdsIamRole(admin);
        await grantRdsIam(admin, input.username);
      }
      ctx.logger.info(
        { instance: instance.identifier, user: input.username, auth: input.auth, outcome },
        'backend role provisioned',
      );
    });
    const row = await insertDbUser(tx, {
      instanceId: instance.id,
      username: input.username,
      auth: input.auth,
      backendSecret: ctx.box.seal(backendSecret, backendSecretAad(instance, input.username)),
    }).catch((e: { code?: string }) => {
      if (e.code === '23505') throw exists();
      throw e;
    });
    if (password !== undefined) {
      await insertPassword(tx, row.id, createScramVerifier(password, { iterations: ctx.scramIterations }));
    }
    return row;
  });
  await ctx.notifyChange('db_users');
  const view = toDbUserView(instance, user);
  return password !== undefined && input.password === undefined
    ? { user: view, generatedPassword: password }
    : { user: view };
}

export async function listDbUsers(ctx: ControlContext, identifier: string): Promise<DbUserView[]> {
  const instance = await instanceOrThrow(ctx, identifier);
  const users = await listDbUsersOf(ctx.store.pool, instance.id);
  return Promise.all(
    users.map(async (u) => toDbUserView(instance, u, await listPasswords(ctx.store.pool, u.id))),
  );
}

export async function deleteDbUser(
  ctx: ControlContext,
  identifier: string,
  username: string,
): Promise<DbUserView> {
  const instance = await instanceOrThrow(ctx, identifier);
  const user = await ctx.store.withTransaction(async (tx) => {
    await lockDbUser(tx, instance, username);
    const found = await findDbUser(tx, instance.id, username);
    if (!found) throw new GatehouseError('GH_DB_USER_NOT_FOUND', { user: username, instance: identifier });
    await withAdmin(instance, backendTargetOf(ctx.box, instance), async (admin) => {
      const outcome = await retireLoginRole(admin, username);
      ctx.logger.info({ instance: identifier, user: username, outcome }, 'backend role retired');
    });
    await deleteDbUserRow(tx, found.id);
    return found;
  });
  await ctx.notifyChange('db_users');
  return toDbUserView(instance, user);
}

/**
 * New client password; the previous one keeps working for `graceSeconds`. The new verifier reuses the
 * current salt and iteration count: SCRAM sends the salt before the client proves anything, so every
 * verifier valid at once must share it for either password to be checkable (docs/auth.md).
 */
export async function rotatePassword(
  ctx: ControlContext,
  input: RotatePasswordInput,
): Promise<PasswordResult> {
  const instance = await instanceOrThrow(ctx, input.instance);
  if (!Number.isInteger(input.graceSeconds) || input.graceSeconds < 0 || input.graceSeconds > 30 * 86400) {
    throw validation('GraceSeconds must be an integer from 0 to 2592000 (30 days)');
  }
  if (input.password !== undefined) checkPassword(input.password);
  const user = await findDbUser(ctx.store.pool, instance.id, input.username);
  if (!user)
    throw new GatehouseError('GH_DB_USER_NOT_FOUND', { user: input.username, instance: instance.identifier });
  if (user.auth === 'iam') {
    throw validation(
      `User "${input.username}" authenticates with IAM auth tokens; it has no password to rotate`,
    );
  }
  const password = input.password ?? newPassword();
  const now = ctx.clock.now();
  await ctx.store.withTransaction(async (tx) => {
    const current = (await listPasswords(tx, user.id)).find((p) => p.validUntil === null);
    const secret = current ? parseScramVerifier(current.verifier) : null;
    const verifier = secret
      ? createScramVerifier(password, { salt: secret.salt, iterations: secret.iterations })
      : createScramVerifier(password, { iterations: ctx.scramIterations });
    const graceUntil = input.graceSeconds > 0 ? new Date(now.getTime() + input.graceSeconds * 1000) : null;
    await rotatePasswordRows(tx, user.id, verifier, now, graceUntil);
  });
  await ctx.notifyChange('db_users');
  const view = toDbUserView(instance, user, await listPasswords(ctx.store.pool, user.id));
  return input.password === undefined ? { user: view, generatedPassword: password } : { user: view };
}

/** Why the backend role cannot be an IAM user through Gatehouse, or null when it can. */
async function whyNotAdoptable(
  admin: AdminConnection,
  username: string,
  adminUser: string,
): Promise<string | null> {
  const reserved = checkRoleName(username, adminUser);
  if (reserved) return reserved;
  const res = await admin.query('SELECT rolcanlogin, rolsuper FROM pg_roles WHERE rolname = $1', [username]);
  const role = res.rows[0] as { rolcanlogin: boolean; rolsuper: boolean } | undefined;
  if (!role) return `role "${username}" does not exist on the backend`;
  if (role.rolsuper) return `role "${username}" is a superuser; Gatehouse does not adopt superusers`;
  if (!role.rolcanlogin) return `role "${username}" cannot log in (NOLOGIN)`;
  if (!(await listIamLoginRoles(admin)).has(username))
    return `role "${username}" is not a member of ${RDS_IAM_ROLE} (GRANT ${RDS_IAM_ROLE} TO it first)`;
  return null;
}

/**
 * Make a backend role that an administrator set up directly on the database, RDS style (`CREATE USER bob;
 * GRANT rds_iam TO bob;`), usable through Gatehouse, and return the backend secret Gatehouse logs in with.
 * An existing `iam` user just has its secret returned. A `password` user whose role was granted rds_iam
 * becomes an `iam` user and loses its client passwords (on RDS, rds_iam takes precedence over a password).
 * Otherwise the role must exist, log in, be an rds_iam member, and be neither the instance admin nor a
 * superuser; it gets a fresh random password only Gatehouse knows. Serialised per (instance, user) so
 * concurrent first logins on several nodes agree on one secret.
 */
export async function adoptIamUser(
  ctx: ControlContext,
  identifier: string,
  username: string,
): Promise<string> {
  const instance = await instanceOrThrow(ctx, identifier);
  const aad = backendSecretAad(instance, username);
  const result = await ctx.store.withTransaction(async (tx) => {
    await lockDbUser(tx, instance, username);
    const existing = await findDbUser(tx, instance.id, username);
    if (existing?.auth === 'iam') {
      return { secret: ctx.box.open(existing.backendSecret, aad).toString('utf8'), from: null };
    }
    const target = backendTargetOf(ctx.box, instance);
    const secret = existing ? ctx.box.open(existing.backendSecret, aad).toString('utf8') : newBackendSecret();
    await withAdmin(instance, target, async (admin) => {
      const why = await whyNotAdoptable(admin, username, target.adminUser);
      if (why) throw provisionFailed(instance, `cannot adopt ${username} as an IAM database user: ${why}`);
      if (!existing) await setLoginSecret(admin, username, createScramVerifier(secret));
    });
    if (existing) {
      await setDbUserAuth(tx, existing.id, 'iam');
      await deletePasswords(tx, existing.id);
      return { secret, from: 'password user' };
    }
    await insertDbUser(tx, {
      instanceId: instance.id,
      username,
      auth: 'iam',
      backendSecret: ctx.box.seal(secret, aad),
    });
    return { secret, from: 'backend role' };
  });
  if (result.from !== null) {
    await ctx.notifyChange('db_users');
    ctx.logger.info({ instance: identifier, user: username, from: result.from }, 'IAM user adopted');
  }
  return result.secret;
}
