// One node-postgres login over verified TLS (CA and name `localhost`), reported rather than thrown: who the
// backend says is logged in, or the error the client saw (its SQLSTATE and message), and how long it took.
import pg from 'pg';

/** `user` when the login succeeded; `code` (SQLSTATE) and `message` when it did not. */
export interface LoginResult {
  readonly user?: string | undefined;
  readonly code?: string | undefined;
  readonly message?: string;
  readonly elapsedMs: number;
}

export async function tryLogin(o: {
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  readonly ca: string;
}): Promise<LoginResult> {
  const client = new pg.Client({
    host: 'localhost',
    port: o.port,
    user: o.user,
    password: o.password,
    database: o.database,
    ssl: { ca: o.ca, servername: 'localhost' },
  });
  const started = Date.now();
  try {
    await client.connect();
    const { rows } = await client.query<{ u: string }>('select current_user AS u');
    return { user: rows[0]?.u, elapsedMs: Date.now() - started };
  } catch (e) {
    const err = e as Error & { code?: string };
    return { code: err.code, message: err.message, elapsedMs: Date.now() - started };
  } finally {
    await client.end().catch(() => {});
  }
}
