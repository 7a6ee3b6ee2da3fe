// The data plane's view of the store: how (instance, user) logs in — a password (its stored verifiers, one per
// mechanism) or IAM — and the backend secret.
import type { InstanceSettings } from '../engines/common/instance.js';
import type { Login, LoginDirectory, StoredVerifier } from '../engines/common/login.js';
import { findLoginRecord, type PasswordRow } from '../store/db-users-repo.js';
import { findInstance } from '../store/instances-repo.js';
import { backendTargetOf, provisionerOf } from './backend-target.js';
import type { ControlContext } from './context.js';
import { adoptIamUser, backendSecretAad, verifierAad } from './db-users.js';

/** How long a read of the backend's rds_iam members is reused (per instance and node). */
const IAM_MEMBERS_TTL_MS = 2000;

interface MemberSnapshot {
  readonly at: number;
  readonly members: Promise<ReadonlySet<string>>;
}

export interface LoginDirectoryOptions {
  readonly iamMembersTtlMs?: number;
}

/**
 * Which users are IAM users follows RDS: created with --auth iam, or a backend role that is a member of
 * rds_iam (which takes precedence over its password). Membership is read from the backend through the admin
 * connection at most once per IAM_MEMBERS_TTL_MS per instance, and only on IAM-enabled instances, so
 * unknown user names cannot make Gatehouse open admin connections at will.
 */
export function createLoginDirectory(
  ctx: ControlContext,
  options: LoginDirectoryOptions = {},
): LoginDirectory {
  const ttl = options.iamMembersTtlMs ?? IAM_MEMBERS_TTL_MS;
  const snapshots = new Map<string, MemberSnapshot>();

  const readMembers = async (identifier: string): Promise<ReadonlySet<string>> => {
    const row = await findInstance(ctx.store.pool, identifier);
    if (!row) return new Set();
    const provisioner = provisionerOf(ctx, row);
    const admin = await provisioner.connect(identifier, backendTargetOf(ctx.box, row, provisioner), {
      connectTimeoutMs: 3000,
    });
    try {
      return await admin.listIamLoginRoles();
    } finally {
      await admin.close().catch(() => {});
    }
  };

  const iamMembers = (instance: InstanceSettings): Promise<ReadonlySet<string>> => {
    const now = ctx.clock.now().getTime();
    const cached = snapshots.get(instance.identifier);
    if (cached && now - cached.at < ttl && now >= cached.at) return cached.members;
    const members = readMembers(instance.identifier).catch((e: unknown) => {
      ctx.logger.warn(
        { instance: instance.identifier, err: e },
        'could not read rds_iam members from the backend; only users created with --auth iam are IAM users until it answers',
      );
      return new Set<string>();
    });
    snapshots.set(instance.identifier, { at: now, members });
    return members;
  };

  /** The verifiers of every password valid at `now` (current first), sealed ones opened. */
  const validVerifiers = (
    instance: InstanceSettings,
    user: string,
    passwords: readonly PasswordRow[],
    now: Date,
  ): StoredVerifier[] => {
    const out: StoredVerifier[] = [];
    for (const password of passwords) {
      // A rotated-out password is valid until valid_until, judged by the injected clock.
      if (password.validUntil !== null && password.validUntil.getTime() <= now.getTime()) continue;
      for (const v of password.verifiers) {
        const verifier =
          v.verifier ??
          ctx.box.open(v.sealedVerifier as Buffer, verifierAad(instance, user, v.mechanism)).toString('utf8');
        out.push({ mechanism: v.mechanism, verifier });
      }
    }
    return out;
  };

  return {
    async findLogin(instance: InstanceSettings, user: string, now: Date): Promise<Login | null> {
      const record = await findLoginRecord(ctx.store.pool, instance.identifier, user);
      const openSecret = (sealed: Buffer): string =>
        ctx.box.open(sealed, backendSecretAad(instance, user)).toString('utf8');
      if (record?.auth === 'iam') {
        // Created with --auth iam, or an adopted rds_iam member: the row does not say which.
        return {
          kind: 'iam',
          backendSecret: openSecret(record.backendSecret),
          why: 'created with --auth iam or granted rds_iam',
        };
      }
      const member = instance.iamAuth && (await iamMembers(instance)).has(user);
      if (!record) return member ? { kind: 'iam', backendSecret: null, why: 'member of rds_iam' } : null;
      // A password user granted rds_iam on the backend: IAM takes precedence (RDS), with the same backend secret.
      if (member)
        return { kind: 'iam', backendSecret: openSecret(record.backendSecret), why: 'member of rds_iam' };
      return {
        kind: 'password',
        verifiers: validVerifiers(instance, user, record.passwords, now),
        backendSecret: openSecret(record.backendSecret),
      };
    },
    async adoptIamUser(instance: InstanceSettings, user: string): Promise<string> {
      const secret = await adoptIamUser(ctx, instance.identifier, user);
      snapshots.delete(instance.identifier);
      return secret;
    },
  };
}
