// Database users: a backend role with a Gatehouse-only secret, plus the client-facing password (SCRAM verifiers).
import { randomBytes } from 'node:crypto';
import { createScramVerifier, parseScramVerifier } from '../auth/scram/verifier.js';
import { GatehouseError } from '../core/errors.js';
import { newPassword } from '../core/ids.js';
import type { CreateDbUserInput, DbUserView, PasswordResult, RotatePasswordInput } from '../core/types.js';
import {
  checkRoleName,
  connectAdmin,
  retireLoginRole,
  upsertLoginRole,
} from '../provisioning/backend-roles.js';
import {
  deleteDbUserRow,
  findDbUser,
  insertDbUser,
  insertPassword,
  listDbUsersOf,
  listPasswords,
  rotatePasswordRows,
} from '../store/db-users-repo.js';
import { findInstance, type InstanceRow } from '../store/instances-repo.js';
import { backendTargetOf } from './backend-target.js';
import type { ControlContext } from './context.js';
import { toDbUserView } from './views.js';

const MAX_PASSWORD_BYTES = 1024;

async function instanceOrThrow(ctx: ControlContext, identifier: string): Promise<InstanceRow> {
  const row = await findInstance(ctx.store.pool, identifier);
  if (!row) throw new GatehouseError('GH_INSTANCE_NOT_FOUND', { instance: identifier });
  return row;
}

function checkPassword(password: string): void {
  if (password.length < 8)
    throw new GatehouseError('GH_API_VALIDATION', { reason: 'Password must be at least 8 characters' });
  if (Buffer.byteLength(password) > MAX_PASSWORD_BYTES) {
    throw new GatehouseError('GH_API_VALIDATION', {
      reason: `Password must be at most ${MAX_PASSWORD_BYTES} bytes`,
    });
  }
}

/** Backend AAD binds a sealed secret to its instance and user, so rows cannot be swapped. */
export function backendSecretAad(instance: InstanceRow, username: string): string {
  return `db-user:${instance.identifier}:${username}`;
}

export async function createDbUser(ctx: ControlContext, input: CreateDbUserInput): Promise<PasswordResult> {
  const instance = await instanceOrThrow(ctx, input.instance);
  if (input.auth !== 'password')
    throw new GatehouseError('GH_API_VALIDATION', { reason: 'Auth must be password' });
  const target = backendTargetOf(ctx.box, instance);
  const bad = checkRoleName(input.username, target.adminUser);
  if (bad) throw new GatehouseError('GH_API_VALIDATION', { reason: bad });
  if (input.password !== undefined) checkPassword(input.password);
  if (await findDbUser(ctx.store.pool, instance.id, input.username)) {
    throw new GatehouseError('GH_DB_USER_EXISTS', { user: input.username, instance: instance.identifier });
  }
  const password = input.password ?? newPassword();
  const backendSecret = randomBytes(32).toString('base64url');

  const admin = await connectAdmin(instance.identifier, target);
  try {
    const outcome = await upsertLoginRole(admin, input.username, createScramVerifier(backendSecret));
    ctx.logger.info(
      { instance: instance.identifier, user: input.username, outcome },
      'backend role provisioned',
    );
  } catch (e) {
    throw new GatehouseError(
      'GH_BACKEND_PROVISION_FAILED',
      { instance: instance.identifier, reason: (e as Error).message },
      { cause: e },
    );
  } finally {
    await admin.close().catch(() => {});
  }

  const user = await ctx.store.withTransaction(async (tx) => {
    const row = await insertDbUser(tx, {
      instanceId: instance.id,
      username: input.username,
      auth: 'password',
      backendSecret: ctx.box.seal(backendSecret, backendSecretAad(instance, input.username)),
    }).catch((e: { code?: string }) => {
      if (e.code === '23505')
        throw new GatehouseError('GH_DB_USER_EXISTS', {
          user: input.username,
          instance: instance.identifier,
        });
      throw e;
    });
    await insertPassword(tx, row.id, createScramVerifier(password, { iterations: ctx.scramIterations }));
    return row;
  });
  await ctx.notifyChange('db_users');
  const view = toDbUserView(instance, user);
  return input.password === undefined ? { user: view, generatedPassword: password } : { user: view };
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
  const user = await findDbUser(ctx.store.pool, instance.id, username);
  if (!user) throw new GatehouseError('GH_DB_USER_NOT_FOUND', { user: username, instance: identifier });
  const admin = await connectAdmin(instance.identifier, backendTargetOf(ctx.box, instance));
  try {
    const outcome = await retireLoginRole(admin, username);
    ctx.logger.info({ instance: identifier, user: username, outcome }, 'backend role retired');
  } catch (e) {
    throw new GatehouseError(
      'GH_BACKEND_PROVISION_FAILED',
      { instance: identifier, reason: (e as Error).message },
      { cause: e },
    );
  } finally {
    await admin.close().catch(() => {});
  }
  await deleteDbUserRow(ctx.store.pool, user.id);
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
    throw new GatehouseError('GH_API_VALIDATION', {
      reason: 'GraceSeconds must be an integer from 0 to 2592000 (30 days)',
    });
  }
  if (input.password !== undefined) checkPassword(input.password);
  const user = await findDbUser(ctx.store.pool, instance.id, input.username);
  if (!user)
    throw new GatehouseError('GH_DB_USER_NOT_FOUND', { user: input.username, instance: instance.identifier });
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
