// The data plane's view of the store: how (instance, user) logs in — SCRAM secrets, or IAM — and the backend secret.
import { parseScramVerifier, type ScramSecret } from '../auth/scram/verifier.js';
import type { LoginDirectory, PgInstance, PgLogin } from '../engines/postgres/types.js';
import { connectAdmin, listIamLoginRoles } from '../provisioning/backend-roles.js';
import { findInstance } from '../store/instances-repo.js';
import { backendTargetOf } from './backend-target.js';
import type { ControlContext } from './context.js';
import { adoptIamUser } from './db-users.js';

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
    const admin = await connectAdmin(identifier, backendTargetOf(ctx.box, row), { connectTimeoutMs: 3000 });
    try {
      return await listIamLoginRoles(admin);
    } finally {
      await admin.close().catch(() => {});
    }
  };

  const iamMembers = (instance: PgInstance): Promise<ReadonlySet<string>> => {
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

  return {
    async findLogin(instance: PgInstance, user: string, now: Date): Promise<PgLogin | null> {
      const res = await ctx.store.pool.query(
        `SELECT u.auth, u.backend_secret, p.verifier, p.valid_until
           FROM gh_db_users u
           JOIN gh_instances i ON i.id = u.instance_id
           LEFT JOIN gh_db_user_passwords p ON p.db_user_id = u.id
          WHERE i.identifier = $1 AND u.username = $2
          ORDER BY p.valid_until NULLS FIRST, p.id DESC`,
        [instance.identifier, user],
      );
      const first = res.rows[0];
      const openSecret = (): string =>
        ctx.box
          .open(first.backend_secret as Buffer, `db-user:${instance.identifier}:${user}`)
          .toString('utf8');
      if (first && first.auth === 'iam') {
        // Created with --auth iam, or an adopted rds_iam member: the row does not say which.
        return {
          kind: 'iam',
          backendSecret: openSecret(),
          why: 'created with --auth iam or granted rds_iam',
        };
      }
      const member = instance.iamAuth && (await iamMembers(instance)).has(user);
      if (!first) return member ? { kind: 'iam', backendSecret: null, why: 'member of rds_iam' } : null;
      // A password user granted rds_iam on the backend: IAM takes precedence (RDS), with the same backend secret.
      if (member) return { kind: 'iam', backendSecret: openSecret(), why: 'member of rds_iam' };
      const secrets: ScramSecret[] = [];
      for (const row of res.rows) {
        if (row.verifier === null) continue;
        // A rotated-out password is valid until valid_until, judged by the injected clock.
        if (row.valid_until !== null && (row.valid_until as Date).getTime() <= now.getTime()) continue;
        const secret = parseScramVerifier(row.verifier as string);
        if (secret) secrets.push(secret);
      }
      return { kind: 'password', secrets, backendSecret: openSecret() };
    },
    async adoptIamUser(instance: PgInstance, user: string): Promise<string> {
      const secret = await adoptIamUser(ctx, instance.identifier, user);
      snapshots.delete(instance.identifier);
      return secret;
    },
  };
}
