// Database users: a backend role with a Gatehouse-only secret, plus the client-facing password (its verifiers, one
// per password mechanism of the instance's engine).
import { randomBytes } from 'node:crypto';
import { passwordMechanismsFor } from '../auth/password-mechanisms.js';
import { GatehouseError } from '../core/errors.js';
import { newPassword } from '../core/ids.js';
import {
  type CreateDbUserInput,
  DB_USER_AUTH,
  type DbUserView,
  type PasswordResult,
  type RotatePasswordInput,
} from '../core/types.js';
import { type Grant, GrantRefusedError, GrantSyntaxError, parseGrants } from '../provisioning/grants.js';
import type { AdminSession, BackendProvisioner, BackendTarget } from '../provisioning/provisioner.js';
import {
  deleteDbUserRow,
  deletePasswords,
  findDbUser,
  insertDbUser,
  insertPassword,
  listDbUsersOf,
  listPasswords,
  lockDbUserName,
  type PasswordRow,
  rotatePasswordRows,
  setDbUserAuth,
  type VerifierRow,
} from '../store/db-users-repo.js';
import { findInstance, type InstanceRow } from '../store/instances-repo.js';
import { backendTargetOf, provisionerOf } from './backend-target.js';
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
export function backendSecretAad(instance: { readonly identifier: string }, username: string): string {
  return `db-user:${instance.identifier}:${username}`;
}

/** A sealed verifier is bound to its instance, user and mechanism, so rows cannot be swapped. */
export function verifierAad(
  instance: { readonly identifier: string },
  username: string,
  mechanism: string,
): string {
  return `db-user-verifier:${instance.identifier}:${username}:${mechanism}`;
}

/**
 * The verifiers of a new password: one per password mechanism of the instance's engine (PostgreSQL: SCRAM-SHA-256
 * only), computed now because the password itself is never stored. Mechanisms stored in clear reuse their
 * `current` verifier's parameters (SCRAM: salt and iterations); unsalted hashes are sealed under the master key.
 * Computed before any backend change, so an engine without password mechanisms is refused first.
 */
function passwordVerifiers(
  ctx: ControlContext,
  instance: InstanceRow,
  username: string,
  password: string,
  current?: PasswordRow,
): VerifierRow[] {
  const mechanisms = passwordMechanismsFor(instance.engine);
  if (mechanisms.length === 0) {
    throw validation(
      `Engine ${instance.engine} has no password mechanism: its users log in with IAM (auth iam)`,
    );
  }
  return mechanisms.map((mechanism) => {
    const previous = current?.verifiers.find((v) => v.mechanism === mechanism.name)?.verifier ?? undefined;
    const verifier = mechanism.compute(password, {
      scramIterations: ctx.scramIterations,
      ...(previous === undefined ? {} : { previous }),
    });
    return mechanism.sealAtRest
      ? {
          mechanism: mechanism.name,
          verifier: null,
          sealedVerifier: ctx.box.seal(verifier, verifierAad(instance, username, mechanism.name)),
        }
      : { mechanism: mechanism.name, verifier, sealedVerifier: null };
  });
}

/** A store failure inside the backend transaction: rethrown as it is, not as a backend failure. */
class StoreFailure extends Error {
  constructor(readonly error: unknown) {
    super('store failure');
  }
}

/** Run `fn` on an admin session to the instance's backend; backend failures become GH_BACKEND_PROVISION_FAILED. */
async function withAdmin<T>(
  instance: InstanceRow,
  provisioner: BackendProvisioner,
  target: BackendTarget,
  fn: (admin: AdminSession) => Promise<T>,
): Promise<T> {
  const admin = await provisioner.connect(instance.identifier, target);
  try {
    return await fn(admin);
  } catch (e) {
    if (e instanceof GatehouseError || e instanceof StoreFailure) throw e;
    throw provisionFailed(instance, (e as Error).message, e);
  } finally {
    await admin.close().catch(() => {});
  }
}

/**
 * Parsed `--grant`s; a syntax error or a reserved schema is GH_API_VALIDATION naming the grant and the form.
 * `recorded`: grants read back from the store to revoke them (a reserved schema is not refused there).
 */
function grantsOf(texts: readonly string[], recorded = false): Grant[] {
  try {
    return parseGrants(texts, { allowReserved: recorded });
  } catch (e) {
    if (e instanceof GrantSyntaxError) throw validation(`Grant ${e.message}`);
    throw e;
  }
}

/**
 * GRANT them on the backend (all or none). Inside the backend transaction of createDbUser, a failure undoes the
 * role too; without one (an engine that has none), a role created just now is retired again, so a failed
 * create-user leaves nothing behind. A grant refused on the backend (reserved schema) is GH_API_VALIDATION;
 * the backend's own refusal (no such table) is GH_BACKEND_PROVISION_FAILED with its reason.
 */
async function applyUserGrants(
  instance: InstanceRow,
  admin: AdminSession,
  username: string,
  grants: readonly Grant[],
  outcome: 'created' | 'adopted',
): Promise<void> {
  if (admin.applyGrants === undefined) {
    throw validation(`Engine ${instance.engine} does not support grants: grant privileges on the database`);
  }
  // Gatehouse revokes what it recorded when the user is deleted: on a role it did not create, that could take
  // away privileges an administrator gave (the same ones, granted before), so it grants only to its own roles.
  if (outcome === 'adopted') {
    throw validation(
      `Role "${username}" already exists on the backend: --grant applies only to roles Gatehouse creates (deleting the user revokes the grants, which could take away privileges granted on the backend); grant on the backend directly, or drop the role first`,
    );
  }
  try {
    await admin.applyGrants(username, grants);
  } catch (e) {
    if (admin.transaction === undefined) await admin.retireLoginRole(username).catch(() => {});
    if (e instanceof GrantRefusedError) throw validation(`Grant ${e.message}`);
    throw provisionFailed(
      instance,
      `cannot grant ${grants.map((g) => g.text).join(' ')}: ${(e as Error).message}`,
      e,
    );
  }
}

export async function createDbUser(ctx: ControlContext, input: CreateDbUserInput): Promise<PasswordResult> {
  if (!DB_USER_AUTH.includes(input.auth)) throw validation(`Auth must be ${DB_USER_AUTH.join(' or ')}`);
  if (input.auth === 'iam' && input.password !== undefined)
    throw validation('Auth iam users have no password: they log in with IAM auth tokens');
  const instance = await instanceOrThrow(ctx, input.instance);
  const provisioner = provisionerOf(ctx, instance);
  const target = backendTargetOf(ctx.box, instance, provisioner);
  const bad = provisioner.checkRoleName(input.username, target.adminUser);
  if (bad) throw validation(bad);
  if (input.password !== undefined) checkPassword(input.password);
  const grants = grantsOf(input.grants ?? []);
  const password = input.auth === 'password' ? (input.password ?? newPassword()) : undefined;
  const verifiers =
    password === undefined ? undefined : passwordVerifiers(ctx, instance, input.username, password);
  const backendSecret = newBackendSecret();
  const exists = () =>
    new GatehouseError('GH_DB_USER_EXISTS', { user: input.username, instance: instance.identifier });

  const user = await ctx.store.withTransaction(async (tx) => {
    await lockDbUserName(tx, instance.id, input.username);
    if (await findDbUser(tx, instance.id, input.username)) throw exists();
    const others = (await listDbUsersOf(tx, instance.id)).map((u) => u.username);
    try {
      return await withAdmin(instance, provisioner, target, async (admin) => {
        // The role, its grants and its rds_iam membership in one backend transaction, committed only once the
        // store row is written: any failure until then (a GRANT, the insert) leaves nothing on the backend.
        const inBackendTransaction = admin.transaction ?? (<T>(fn: () => Promise<T>) => fn());
        const { row, outcome } = await inBackendTransaction(async () => {
          const outcome = await admin.upsertLoginRole(input.username, backendSecret);
          if (grants.length > 0) await applyUserGrants(instance, admin, input.username, grants, outcome);
          // An IAM user is an rds_iam member, exactly as RDS sets one up (CREATE USER u; GRANT rds_iam TO u).
          if (input.auth === 'iam') {
            await admin.ensureIamRole();
            await admin.grantIam(input.username);
          }
          try {
            const row = await insertDbUser(tx, {
              instanceId: instance.id,
              username: input.username,
              auth: input.auth,
              backendSecret: ctx.box.seal(backendSecret, backendSecretAad(instance, input.username)),
              grants: grants.map((g) => g.text),
            });
            if (verifiers !== undefined) await insertPassword(tx, row.id, verifiers);
            return { row, outcome };
          } catch (e) {
            throw new StoreFailure((e as { code?: string }).code === '23505' ? exists() : e);
          }
        });
        // Who is really connected, for the database's own RLS policies and triggers (docs/audit.md): best effort,
        // the login works without it (gatehouse.session_principal() is then NULL for this user's sessions).
        // Every user of the instance is made a member, those created by an earlier version included.
        await admin
          .installSessionIdentity([...others, input.username])
          .catch((e: unknown) =>
            ctx.logger.warn(
              { instance: instance.identifier, user: input.username, reason: (e as Error).message },
              'session identity not installed on the backend',
            ),
          );
        ctx.logger.info(
          { instance: instance.identifier, user: input.username, auth: input.auth, outcome },
          'backend role provisioned',
        );
        return row;
      });
    } catch (e) {
      if (e instanceof StoreFailure) throw e.error;
      throw e;
    }
  });
  await ctx.notifyChange('db_users');
  const view = toDbUserView(instance, user, [], ctx.clock.now());
  return password !== undefined && input.password === undefined
    ? { user: view, generatedPassword: password }
    : { user: view };
}

export async function listDbUsers(ctx: ControlContext, identifier: string): Promise<DbUserView[]> {
  const instance = await instanceOrThrow(ctx, identifier);
  const users = await listDbUsersOf(ctx.store.pool, instance.id);
  return Promise.all(
    users.map(async (u) =>
      toDbUserView(instance, u, await listPasswords(ctx.store.pool, u.id), ctx.clock.now()),
    ),
  );
}

export async function deleteDbUser(
  ctx: ControlContext,
  identifier: string,
  username: string,
): Promise<DbUserView> {
  const instance = await instanceOrThrow(ctx, identifier);
  const user = await ctx.store.withTransaction(async (tx) => {
    await lockDbUserName(tx, instance.id, username);
    const found = await findDbUser(tx, instance.id, username);
    if (!found) throw new GatehouseError('GH_DB_USER_NOT_FOUND', { user: username, instance: identifier });
    const provisioner = provisionerOf(ctx, instance);
    await withAdmin(instance, provisioner, backendTargetOf(ctx.box, instance, provisioner), async (admin) => {
      const inBackendTransaction = admin.transaction ?? (<T>(fn: () => Promise<T>) => fn());
      const outcome = await inBackendTransaction(async () => {
        // What Gatehouse granted it goes first: a role that still holds privileges cannot be dropped.
        if (found.grants.length > 0) await admin.revokeGrants?.(username, grantsOf(found.grants, true));
        const outcome = await admin.retireLoginRole(username);
        // A role that owns objects is kept NOLOGIN (docs/decisions.md 7). One that owns nothing and still cannot
        // be dropped holds privileges Gatehouse did not take back: say so, and change nothing (rolled back).
        const kept = outcome === 'disabled' ? await admin.roleDependencies?.(username) : undefined;
        if (kept !== undefined && kept.owns.length === 0) {
          throw provisionFailed(
            instance,
            `role "${username}" still holds privileges after Gatehouse revoked its grants (${kept.privileges.slice(0, 5).join('; ')}), so it cannot be dropped: revoke them on the backend, then delete the user again`,
          );
        }
        return outcome;
      });
      ctx.logger.info({ instance: identifier, user: username, outcome }, 'backend role retired');
    });
    await deleteDbUserRow(tx, found.id);
    return found;
  });
  await ctx.notifyChange('db_users');
  return toDbUserView(instance, user, [], ctx.clock.now());
}

/**
 * New client password; the previous one keeps working for `graceSeconds`. Its verifiers are computed for the
 * mechanisms of the instance's engine; the SCRAM one reuses the current salt and iteration count: SCRAM sends
 * the salt before the client proves anything, so every verifier valid at once must share it for either
 * password to be checkable (docs/auth.md).
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
    const verifiers = passwordVerifiers(ctx, instance, user.username, password, current);
    const graceUntil = input.graceSeconds > 0 ? new Date(now.getTime() + input.graceSeconds * 1000) : null;
    await rotatePasswordRows(tx, user.id, verifiers, now, graceUntil);
  });
  await ctx.notifyChange('db_users');
  const view = toDbUserView(instance, user, await listPasswords(ctx.store.pool, user.id), now);
  return input.password === undefined ? { user: view, generatedPassword: password } : { user: view };
}

/** Why the backend role cannot be an IAM user through Gatehouse, or null when it can. */
async function whyNotAdoptable(
  provisioner: BackendProvisioner,
  admin: AdminSession,
  username: string,
  adminUser: string,
): Promise<string | null> {
  const reserved = provisioner.checkRoleName(username, adminUser);
  if (reserved) return reserved;
  const role = await admin.findRole(username);
  if (!role) return `role "${username}" does not exist on the backend`;
  if (role.superuser) return `role "${username}" is a superuser; Gatehouse does not adopt superusers`;
  if (!role.canLogin) return `role "${username}" cannot log in (NOLOGIN)`;
  const iamRole = provisioner.iamRole;
  if (!(await admin.listIamLoginRoles()).has(username))
    return `role "${username}" is not a member of ${iamRole} (GRANT ${iamRole} TO it first)`;
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
    await lockDbUserName(tx, instance.id, username);
    const existing = await findDbUser(tx, instance.id, username);
    if (existing?.auth === 'iam') {
      return { secret: ctx.box.open(existing.backendSecret, aad).toString('utf8'), from: null };
    }
    const provisioner = provisionerOf(ctx, instance);
    const target = backendTargetOf(ctx.box, instance, provisioner);
    const secret = existing ? ctx.box.open(existing.backendSecret, aad).toString('utf8') : newBackendSecret();
    await withAdmin(instance, provisioner, target, async (admin) => {
      const why = await whyNotAdoptable(provisioner, admin, username, target.adminUser);
      if (why) throw provisionFailed(instance, `cannot adopt ${username} as an IAM database user: ${why}`);
      if (!existing) await admin.setLoginSecret(username, secret);
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
