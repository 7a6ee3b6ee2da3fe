// The data plane's view of the store: valid SCRAM secrets and the backend secret for (instance, user).
import { parseScramVerifier, type ScramSecret } from '../auth/scram/verifier.js';
import type { SecretBox } from '../core/secret-box.js';
import type { LoginDirectory, PgInstance, PgLogin } from '../engines/postgres/types.js';
import type { Store } from '../store/pool.js';

export function createLoginDirectory(store: Store, box: SecretBox): LoginDirectory {
  return {
    async findLogin(instance: PgInstance, user: string, now: Date): Promise<PgLogin | null> {
      const res = await store.pool.query(
        `SELECT u.backend_secret, p.verifier, p.valid_until
           FROM gh_db_users u
           JOIN gh_instances i ON i.id = u.instance_id
           LEFT JOIN gh_db_user_passwords p ON p.db_user_id = u.id
          WHERE i.identifier = $1 AND u.username = $2
          ORDER BY p.valid_until NULLS FIRST, p.id DESC`,
        [instance.identifier, user],
      );
      const first = res.rows[0];
      if (!first) return null;
      const secrets: ScramSecret[] = [];
      for (const row of res.rows) {
        if (row.verifier === null) continue;
        // A rotated-out password is valid until valid_until, judged by the injected clock.
        if (row.valid_until !== null && (row.valid_until as Date).getTime() <= now.getTime()) continue;
        const secret = parseScramVerifier(row.verifier as string);
        if (secret) secrets.push(secret);
      }
      const backendSecret = box
        .open(first.backend_secret as Buffer, `db-user:${instance.identifier}:${user}`)
        .toString('utf8');
      return { secrets, backendSecret };
    },
  };
}
