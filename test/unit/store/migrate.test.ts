import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScramClient } from '../../../src/auth/scram/client.js';
import { createScramServer } from '../../../src/auth/scram/server.js';
import {
  createScramVerifier,
  parseScramVerifier,
  type ScramSecret,
} from '../../../src/auth/scram/verifier.js';
import type { ControlContext } from '../../../src/control-plane/context.js';
import { rotatePassword } from '../../../src/control-plane/db-users.js';
import { createLoginDirectory } from '../../../src/control-plane/login-directory.js';
import { ManualClock } from '../../../src/core/clock.js';
import { GatehouseError } from '../../../src/core/errors.js';
import { createSecretBox } from '../../../src/core/secret-box.js';
import { type InstanceSettings, NO_STATEMENT_AUDIT } from '../../../src/engines/common/instance.js';
import type { PasswordLogin } from '../../../src/engines/common/login.js';
import { createPostgresProvisioner } from '../../../src/provisioning/postgres/index.js';
import { MIGRATION_LOCK_KEY, migrate } from '../../../src/store/migrate.js';
import { MIGRATIONS, type Migration } from '../../../src/store/migrations/index.js';
import { openStore, type Store } from '../../../src/store/pool.js';
import { startEmbeddedPostgres, type TestPostgres } from '../../support/embedded-pg.js';

let server: TestPostgres;
const stores: Store[] = [];

beforeAll(async () => {
  server = await startEmbeddedPostgres({ name: 'migrate' });
});
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await server?.stop();
});

/** A store on a brand-new database, so every test starts from an empty schema. */
async function freshStore(): Promise<{ store: Store; url: string }> {
  const name = `m_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client(server.url);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = server.adminUrl(name);
  const store = await openStore(url);
  stores.push(store);
  return { store, url };
}

async function versions(store: Store): Promise<number[]> {
  const res = await store.pool.query<{ version: number }>(
    'SELECT version FROM gh_schema_migrations ORDER BY version',
  );
  return res.rows.map((r) => r.version);
}

async function tableExists(store: Store, table: string): Promise<boolean> {
  const res = await store.pool.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [table]);
  return res.rows[0]?.t !== null;
}

/** The real migrations, then test-only ones numbered after them. */
const KNOWN = MIGRATIONS.map((m) => m.version);
const LAST = KNOWN.at(-1) as number;
const NEXT = LAST + 1;

const slow: Migration = {
  version: NEXT,
  name: 'slow',
  sql: 'SELECT pg_sleep(0.4); CREATE TABLE slow_table (x int);',
};

describe('migrate', () => {
  it('applies every migration to a fresh store and records each with its name', async () => {
    const { store } = await freshStore();
    const result = await migrate(store);
    expect(result.applied).toEqual(MIGRATIONS.map((m) => m.version));
    const rows = await store.pool.query<{ version: number; name: string; applied_at: Date }>(
      'SELECT version, name, applied_at FROM gh_schema_migrations ORDER BY version',
    );
    expect(rows.rows.map((r) => [r.version, r.name])).toEqual(MIGRATIONS.map((m) => [m.version, m.name]));
    expect(rows.rows[0]?.applied_at).toBeInstanceOf(Date);
    expect(await tableExists(store, 'gh_meta')).toBe(true);
  });

  it('a second run on an up-to-date store applies nothing', async () => {
    const { store } = await freshStore();
    await migrate(store);
    expect(await migrate(store)).toEqual({ applied: [] });
  });

  it('two nodes migrating a fresh store at the same time both succeed and each migration runs once', async () => {
    const { store: a, url } = await freshStore();
    const b = await openStore(url);
    stores.push(b);
    const list = [...MIGRATIONS, slow];
    const [ra, rb] = await Promise.all([migrate(a, list), migrate(b, list)]);
    // Whoever got the lock first applied everything; the other waited and found nothing to do.
    expect([ra.applied, rb.applied].sort((x, y) => y.length - x.length)).toEqual([[...KNOWN, NEXT], []]);
    expect(await versions(a)).toEqual([...KNOWN, NEXT]);
  });

  it('applies migrations in version order whatever order they are listed in', async () => {
    const { store } = await freshStore();
    const second: Migration = {
      version: NEXT,
      name: 'uses-meta',
      sql: "INSERT INTO gh_meta VALUES ('x', '1')",
    };
    expect((await migrate(store, [second, ...[...MIGRATIONS].reverse()])).applied).toEqual([...KNOWN, NEXT]);
  });

  it('a failing migration is rolled back and not recorded; earlier ones stay; a fixed one applies later', async () => {
    const { store } = await freshStore();
    const broken: Migration = {
      version: NEXT,
      name: 'broken',
      sql: 'CREATE TABLE half (x int); SELECT * FROM nope;',
    };
    const e = await migrate(store, [...MIGRATIONS, broken]).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(GatehouseError);
    expect((e as GatehouseError).detail).toMatch(new RegExp(`migration ${NEXT} \\(broken\\).*nope`));
    expect(await versions(store)).toEqual(KNOWN);
    expect(await tableExists(store, 'half')).toBe(false);
    const fixed: Migration = { version: NEXT, name: 'fixed', sql: 'CREATE TABLE half (x int);' };
    expect((await migrate(store, [...MIGRATIONS, fixed])).applied).toEqual([NEXT]);
  });

  it('refuses a store whose schema is newer than this code knows, changing nothing', async () => {
    const { store } = await freshStore();
    await migrate(store, [...MIGRATIONS, slow]);
    const e = await migrate(store, MIGRATIONS).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(GatehouseError);
    expect((e as GatehouseError).code).toBe('GH_STORE_SCHEMA_TOO_NEW');
    expect((e as GatehouseError).message).toMatch(
      new RegExp(`version ${NEXT} .*only knows up to version ${LAST}`),
    );
    expect(await versions(store)).toEqual([...KNOWN, NEXT]);
  });

  it('releases the advisory lock afterwards, also when a migration failed', async () => {
    const { store } = await freshStore();
    const broken: Migration = { version: NEXT, name: 'broken', sql: 'SELECT * FROM nope' };
    await migrate(store, [...MIGRATIONS, broken]).catch(() => undefined);
    const other = new pg.Client(server.url);
    await other.connect();
    try {
      const res = await other.query<{ got: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS got', [
        MIGRATION_LOCK_KEY.toString(),
      ]);
      expect(res.rows[0]?.got).toBe(true);
    } finally {
      await other.end();
    }
  });

  it('rejects a migration list with duplicate versions before touching the store', async () => {
    const { store } = await freshStore();
    const dup: Migration = { version: 1, name: 'dup', sql: 'SELECT 1' };
    await expect(migrate(store, [...MIGRATIONS, dup])).rejects.toBeInstanceOf(GatehouseError);
    expect(await tableExists(store, 'gh_schema_migrations')).toBe(false);
  });
});

/** A full SCRAM-SHA-256 exchange, Gatehouse's client against Gatehouse's server holding `secrets`. */
function scramLogin(secrets: ScramSecret[], password: string): 'ok' | string {
  const server = createScramServer({
    user: 'alice',
    secrets,
    mockSecretKey: Buffer.alloc(32, 7),
    channelBinding: null,
  });
  const client = createScramClient({ password });
  const first = server.start(client.chooseMechanism(['SCRAM-SHA-256']), client.clientFirst());
  if (first.kind !== 'challenge') return first.kind;
  const last = server.step(client.clientFinal(first.data));
  if (last.kind !== 'success') return last.kind === 'failure' ? last.code : last.kind;
  client.verifyServerFinal(last.final ?? Buffer.alloc(0));
  return 'ok';
}

describe('004 password verifiers: a password stored before the migration', () => {
  const HOUR = 3_600_000;
  const box = createSecretBox(randomBytes(32));
  const clock = new ManualClock(new Date('2026-01-10T12:00:00Z'));
  const instance: InstanceSettings = {
    identifier: 'legacy',
    engine: 'postgres',
    dbiResourceId: 'db-LEGACY',
    forceSsl: false,
    backend: { host: '127.0.0.1', port: 1, sslMode: 'disable', sslRootCert: undefined },
    iamAuth: false,
    endpoints: ['127.0.0.1:15432'],
    terminateRevokedIamSessions: true,
    auditFailOpen: false,
    statementAudit: NO_STATEMENT_AUDIT,
  };
  let ctx: ControlContext;
  let verifiers: { current: string; grace: string; expired: string };

  /** The login's SCRAM secrets, as the SCRAM method reads them. */
  async function login(): Promise<PasswordLogin> {
    const found = await createLoginDirectory(ctx).findLogin(instance, 'alice', clock.now());
    if (found?.kind !== 'password')
      throw new Error(`expected a password login, got ${JSON.stringify(found)}`);
    return found;
  }
  const secretsOf = (l: PasswordLogin) =>
    l.verifiers.map((v) => parseScramVerifier(v.verifier)).filter((s): s is ScramSecret => s !== null);

  beforeAll(async () => {
    const { store } = await freshStore();
    await migrate(
      store,
      MIGRATIONS.filter((m) => m.version < 4),
    );
    // Rows exactly as 001-003 stored them: one current password, one in its grace period, one past it.
    const salt = randomBytes(16);
    verifiers = {
      current: createScramVerifier('password-B-alice', { salt, iterations: 4096 }),
      grace: createScramVerifier('password-A-alice', { salt, iterations: 4096 }),
      expired: createScramVerifier('password-0-alice', { salt, iterations: 4096 }),
    };
    const inst = await store.pool.query(
      `INSERT INTO gh_instances (identifier, engine, dbi_resource_id, backend_url, listen_host, listen_port)
       VALUES ('legacy', 'postgres', 'db-LEGACY', 'postgres://admin@127.0.0.1:1/app', '127.0.0.1', 15432) RETURNING id`,
    );
    const user = await store.pool.query(
      `INSERT INTO gh_db_users (instance_id, username, auth, backend_secret) VALUES ($1, 'alice', 'password', $2)
       RETURNING id`,
      [inst.rows[0].id, box.seal('backend-secret-alice', 'db-user:legacy:alice')],
    );
    const userId = user.rows[0].id;
    await store.pool.query(
      `INSERT INTO gh_db_user_passwords (db_user_id, verifier, valid_until)
       VALUES ($1, $2, NULL), ($1, $3, $4), ($1, $5, $6)`,
      [
        userId,
        verifiers.current,
        verifiers.grace,
        new Date(clock.now().getTime() + HOUR),
        verifiers.expired,
        new Date(clock.now().getTime() - HOUR),
      ],
    );
    expect((await migrate(store)).applied).toEqual(KNOWN.filter((v) => v >= 4));
    ctx = {
      store,
      box,
      clock,
      logger: pino({ level: 'silent' }),
      account: { accountId: '123456789012', region: 'us-east-1' },
      scramIterations: 4096,
      provisioners: new Map([['postgres', createPostgresProvisioner()]]),
      notifyChange: async () => {},
    };
  });

  it('keeps every verifier, unchanged, as a SCRAM-SHA-256 verifier of the same password row', async () => {
    const rows = await ctx.store.pool.query(
      `SELECT p.valid_until, v.mechanism, v.verifier, v.sealed_verifier
         FROM gh_db_user_passwords p JOIN gh_db_user_password_verifiers v ON v.password_id = p.id
        ORDER BY p.id`,
    );
    expect(rows.rows.map((r) => [r.mechanism, r.verifier, r.sealed_verifier])).toEqual([
      ['SCRAM-SHA-256', verifiers.current, null],
      ['SCRAM-SHA-256', verifiers.grace, null],
      ['SCRAM-SHA-256', verifiers.expired, null],
    ]);
    // The old column keeps its values for nodes of the previous version during a rolling upgrade, and is no
    // longer required (new passwords are not written there).
    const old = await ctx.store.pool.query('SELECT verifier FROM gh_db_user_passwords ORDER BY id');
    expect(old.rows.map((r) => r.verifier)).toEqual([verifiers.current, verifiers.grace, verifiers.expired]);
    const column = await ctx.store.pool.query(
      "SELECT is_nullable FROM information_schema.columns WHERE table_name = 'gh_db_user_passwords' AND column_name = 'verifier'",
    );
    expect(column.rows).toEqual([{ is_nullable: 'YES' }]);
  });

  it('the login directory returns the verifiers valid now, current first, and the backend secret', async () => {
    const l = await login();
    expect(l.verifiers).toEqual([
      { mechanism: 'SCRAM-SHA-256', verifier: verifiers.current },
      { mechanism: 'SCRAM-SHA-256', verifier: verifiers.grace },
    ]);
    expect(l.backendSecret).toBe('backend-secret-alice');
  });

  it('the current and the in-grace password log in; the one past its grace and a wrong one do not', async () => {
    const secrets = secretsOf(await login());
    expect(scramLogin(secrets, 'password-B-alice')).toBe('ok');
    expect(scramLogin(secrets, 'password-A-alice')).toBe('ok');
    expect(scramLogin(secrets, 'password-0-alice')).toBe('GH_AUTH_FAILED');
    expect(scramLogin(secrets, 'password-C-alice')).toBe('GH_AUTH_FAILED');
  });

  it('a rotation after the migration stores SCRAM only, keeps the salt, and keeps grace per password', async () => {
    await rotatePassword(ctx, {
      instance: 'legacy',
      username: 'alice',
      password: 'password-C-alice',
      graceSeconds: 1800,
    });
    const mechanisms = await ctx.store.pool.query(
      'SELECT DISTINCT mechanism FROM gh_db_user_password_verifiers',
    );
    expect(mechanisms.rows).toEqual([{ mechanism: 'SCRAM-SHA-256' }]);
    const secrets = secretsOf(await login());
    expect(secrets.map((s) => s.salt.toString('hex'))).toEqual(
      Array(3).fill(parseScramVerifier(verifiers.current)?.salt.toString('hex')),
    );
    expect(scramLogin(secrets, 'password-C-alice')).toBe('ok');
    expect(scramLogin(secrets, 'password-B-alice')).toBe('ok');
    expect(scramLogin(secrets, 'password-A-alice')).toBe('ok');
    clock.advance(1800_000); // both earlier passwords end at the new grace end (capped)
    const later = secretsOf(await login());
    expect(later).toHaveLength(1);
    expect(scramLogin(later, 'password-C-alice')).toBe('ok');
    expect(scramLogin(later, 'password-B-alice')).toBe('GH_AUTH_FAILED');
    expect(scramLogin(later, 'password-A-alice')).toBe('GH_AUTH_FAILED');
  });

  it('a password a previous-version node writes after the migration (old column only) logs in on new nodes', async () => {
    // What a 0.1 node does on rotate-password with no grace, against the migrated store.
    const salt = parseScramVerifier(verifiers.current)?.salt as Buffer;
    const legacy = createScramVerifier('password-D-alice', { salt, iterations: 4096 });
    await ctx.store.pool.query(
      `UPDATE gh_db_user_passwords SET valid_until = $1 WHERE valid_until IS NULL OR valid_until > $1`,
      [clock.now()],
    );
    await ctx.store.pool.query(
      `INSERT INTO gh_db_user_passwords (db_user_id, verifier, valid_until)
       SELECT id, $1, NULL FROM gh_db_users WHERE username = 'alice'`,
      [legacy],
    );
    const secrets = secretsOf(await login());
    expect(secrets).toHaveLength(1);
    expect(scramLogin(secrets, 'password-D-alice')).toBe('ok');
    expect(scramLogin(secrets, 'password-C-alice')).toBe('GH_AUTH_FAILED');
  });
});
