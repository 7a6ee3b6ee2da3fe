// The demo content `gatehouse up` provisions once: database `app`, table `items`, instance `demo`, users `demo`, `demo_iam`.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import type { ControlPlane } from '../core/types.js';

export const DEMO_INSTANCE = 'demo';
export const DEMO_DATABASE = 'app';
export const DEMO_USER = 'demo';
/** Logs in with IAM auth tokens only (backend role in rds_iam, no password). */
export const DEMO_IAM_USER = 'demo_iam';
export const DEMO_TABLE = 'items';
export const DEMO_PASSWORD_FILE = 'demo-password';

/** Run `fn` on a short-lived connection to `url` (the embedded cluster, as its superuser). */
export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'gatehouse-up' });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  await withClient(adminUrl, async (c) => {
    const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) await c.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  });
}

export async function ensureDemoTable(appUrl: string): Promise<void> {
  await withClient(appUrl, async (c) => {
    await c.query(
      `CREATE TABLE IF NOT EXISTS ${DEMO_TABLE} (id serial PRIMARY KEY, name text NOT NULL, price numeric(8,2) NOT NULL)`,
    );
    const { rows } = await c.query(`SELECT count(*)::int AS n FROM ${DEMO_TABLE}`);
    if (rows[0].n === 0) {
      await c.query(
        `INSERT INTO ${DEMO_TABLE} (name, price) VALUES ('espresso', 2.50), ('flat white', 3.80), ('croissant', 2.90)`,
      );
    }
  });
}

/** The endpoint aliases the demo instance should have: its own, with `localhost:<old port>` moved to the new port. */
function demoAliases(current: readonly string[], oldPort: number | undefined, port: number): string[] {
  const kept = current.filter((a) => a !== `localhost:${oldPort}` && a !== `localhost:${port}`);
  return [...kept, `localhost:${port}`];
}

/**
 * Register the demo instance with ForceSsl and IAM database authentication on and the alias `localhost:<port>` (tokens must
 * be signed for the listen address or an alias), or bring an existing one there: other ports after a restart
 * with other flags, IAM turned on in a data dir from a version without it.
 */
export async function ensureDemoInstance(
  cp: ControlPlane,
  backendUrl: string,
  host: string,
  port: number,
): Promise<void> {
  const listen = `${host}:${port}`;
  const existing = (await cp.describeInstances()).find((i) => i.DBInstanceIdentifier === DEMO_INSTANCE);
  if (!existing) {
    await cp.createInstance({
      identifier: DEMO_INSTANCE,
      engine: 'postgres',
      backendUrl,
      listen,
      // Plaintext logins are refused: the printed commands use verify-full TLS, so nothing else is needed.
      forceSsl: true,
      enableIamDatabaseAuthentication: true,
      endpointAliases: demoAliases([], undefined, port),
    });
    return;
  }
  const moved =
    `${existing.Endpoint.Address}:${existing.Endpoint.Port}` !== listen ||
    new URL(existing.BackendUrl).host !== new URL(backendUrl).host;
  const aliases = demoAliases(existing.EndpointAliases, existing.Endpoint.Port, port);
  const aliasesChanged = aliases.join(',') !== existing.EndpointAliases.join(',');
  if (moved || aliasesChanged || !existing.IAMDatabaseAuthenticationEnabled) {
    await cp.modifyInstance({
      identifier: DEMO_INSTANCE,
      ...(moved ? { backendUrl, listen } : {}),
      ...(existing.IAMDatabaseAuthenticationEnabled ? {} : { enableIamDatabaseAuthentication: true }),
      ...(aliasesChanged ? { endpointAliases: aliases } : {}),
    });
  }
}

/** The IAM demo user (no password: it logs in with auth tokens), created once, with SELECT on the table. */
export async function ensureDemoIamUser(cp: ControlPlane, appUrl: string): Promise<void> {
  const users = await cp.listDbUsers(DEMO_INSTANCE);
  if (!users.some((u) => u.Username === DEMO_IAM_USER)) {
    await cp.createDbUser({ instance: DEMO_INSTANCE, username: DEMO_IAM_USER, auth: 'iam' });
  }
  await withClient(appUrl, (c) =>
    c.query(`GRANT SELECT ON ${DEMO_TABLE} TO ${pg.escapeIdentifier(DEMO_IAM_USER)}`),
  );
}

/** The demo user with a password kept in <data-dir>/demo-password (0600) so the printed command works. */
export async function ensureDemoUser(cp: ControlPlane, dataDir: string, appUrl: string): Promise<string> {
  const file = join(dataDir, DEMO_PASSWORD_FILE);
  const users = await cp.listDbUsers(DEMO_INSTANCE);
  let password = (await readFile(file, 'utf8').catch(() => '')).trim();
  if (!users.some((u) => u.Username === DEMO_USER)) {
    const created = await cp.createDbUser({ instance: DEMO_INSTANCE, username: DEMO_USER, auth: 'password' });
    password = created.generatedPassword as string;
    await writeFile(file, `${password}\n`, { mode: 0o600 });
  } else if (!password) {
    const rotated = await cp.rotatePassword({
      instance: DEMO_INSTANCE,
      username: DEMO_USER,
      graceSeconds: 0,
    });
    password = rotated.generatedPassword as string;
    await writeFile(file, `${password}\n`, { mode: 0o600 });
  }
  await withClient(appUrl, (c) =>
    c.query(`GRANT SELECT ON ${DEMO_TABLE} TO ${pg.escapeIdentifier(DEMO_USER)}`),
  );
  return file;
}
