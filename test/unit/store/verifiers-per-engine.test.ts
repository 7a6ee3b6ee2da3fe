// Verifiers per mechanism through the control plane, with a stand-in MySQL provisioner (no backend): which
// mechanisms an instance's users get, how each is stored (SCRAM in clear, MySQL hashes sealed and bound to their
// row), what the login directory hands out, and how createInstance picks a provisioner by engine.
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CACHING_SHA2_PASSWORD,
  findPasswordMechanism,
  MYSQL_NATIVE_PASSWORD,
} from '../../../src/auth/password-mechanisms.js';
import { createScramVerifier, parseScramVerifier } from '../../../src/auth/scram/verifier.js';
import type { ControlContext } from '../../../src/control-plane/context.js';
import { createDbUser, rotatePassword } from '../../../src/control-plane/db-users.js';
import { createInstance } from '../../../src/control-plane/instances.js';
import { createLoginDirectory } from '../../../src/control-plane/login-directory.js';
import { ManualClock } from '../../../src/core/clock.js';
import { isGatehouseError } from '../../../src/core/errors.js';
import { createSecretBox } from '../../../src/core/secret-box.js';
import { type InstanceSettings, NO_STATEMENT_AUDIT } from '../../../src/engines/common/instance.js';
import type {
  AdminSession,
  BackendProvisioner,
  BackendTarget,
} from '../../../src/provisioning/provisioner.js';
import { findFreePort } from '../../../src/store/embedded.js';
import { migrate } from '../../../src/store/migrate.js';
import { openStore, type Store } from '../../../src/store/pool.js';
import { startEmbeddedPostgres, type TestPostgres } from '../../support/embedded-pg.js';

/** A MySQL-shaped provisioner that records what the control plane asks of the backend. */
function fakeProvisioner(engine: string, calls: string[]): BackendProvisioner {
  const session: AdminSession = {
    async upsertLoginRole(username) {
      calls.push(`upsert ${username}`);
      return 'created';
    },
    async retireLoginRole(username) {
      calls.push(`retire ${username}`);
      return 'dropped';
    },
    async setLoginSecret(username) {
      calls.push(`secret ${username}`);
    },
    findRole: async () => null,
    // The toy backend has no session-identity mechanism: nothing to install, nothing granted.
    async installSessionIdentity() {},
    grantSessionIdentity: async () => false,
    async ensureIamRole() {
      calls.push('ensure iam role');
    },
    async grantIam(username) {
      calls.push(`grant ${username}`);
    },
    listIamLoginRoles: async () => new Set(),
    close: async () => {},
  };
  return {
    engine,
    iamRole: `${engine}_iam`,
    parseBackendUrl(text): BackendTarget {
      const url = new URL(text);
      return {
        host: url.hostname,
        port: Number(url.port),
        sslMode: 'disable',
        sslRootCert: undefined,
        database: url.pathname.slice(1),
        adminUser: url.username,
        adminPassword: url.password || undefined,
      };
    },
    redactBackendUrl(text) {
      const url = new URL(text);
      url.password = '';
      return url.toString();
    },
    checkRoleName: (username) => (username === 'root' ? 'Username root is reserved' : null),
    connect: async () => session,
    async checkBackend(instance, _target, options) {
      calls.push(`check ${instance} iam=${options.iamAuth}`);
    },
  };
}

let server: TestPostgres;
let store: Store;
const calls: string[] = [];
const clock = new ManualClock(new Date('2026-02-01T00:00:00Z'));
const box = createSecretBox(randomBytes(32));
let ctx: ControlContext;

beforeAll(async () => {
  server = await startEmbeddedPostgres({ name: 'verifiers' });
  store = await openStore(server.url);
  await migrate(store);
  ctx = {
    store,
    box,
    clock,
    logger: pino({ level: 'silent' }),
    account: { accountId: '123456789012', region: 'us-east-1' },
    scramIterations: 4096,
    provisioners: new Map([
      ['postgres', fakeProvisioner('postgres', calls)],
      ['mysql', fakeProvisioner('mysql', calls)],
    ]),
    notifyChange: async () => {},
  };
});
afterAll(async () => {
  await store?.close();
  await server?.stop();
});

async function instanceFor(engine: string, identifier: string): Promise<InstanceSettings> {
  const port = await findFreePort();
  await createInstance(ctx, {
    identifier,
    engine,
    backendUrl: `${engine}://admin:pw@127.0.0.1:3306/app`,
    listen: `127.0.0.1:${port}`,
  });
  return {
    identifier,
    engine,
    dbiResourceId: 'db-X',
    forceSsl: false,
    backend: { host: '127.0.0.1', port: 3306, sslMode: 'disable', sslRootCert: undefined },
    iamAuth: false,
    endpoints: [`127.0.0.1:${port}`],
    terminateRevokedIamSessions: true,
    auditFailOpen: false,
    statementAudit: NO_STATEMENT_AUDIT,
  };
}

async function storedVerifiers(identifier: string, user: string) {
  const res = await store.pool.query(
    `SELECT p.valid_until, v.mechanism, v.verifier, v.sealed_verifier
       FROM gh_db_user_password_verifiers v
       JOIN gh_db_user_passwords p ON p.id = v.password_id
       JOIN gh_db_users u ON u.id = p.db_user_id
       JOIN gh_instances i ON i.id = u.instance_id
      WHERE i.identifier = $1 AND u.username = $2
      ORDER BY p.valid_until NULLS FIRST, p.id DESC, v.mechanism`,
    [identifier, user],
  );
  return res.rows as {
    valid_until: Date | null;
    mechanism: string;
    verifier: string | null;
    sealed_verifier: Buffer | null;
  }[];
}

describe('createInstance picks the provisioner by engine', () => {
  it('refuses an engine no provisioner is registered for, naming the registered ones', async () => {
    const e = await createInstance(ctx, {
      identifier: 'oracle1',
      engine: 'oracle',
      backendUrl: 'oracle://admin@127.0.0.1:1521/app',
      listen: '127.0.0.1:1',
    }).catch((err: unknown) => err);
    expect(isGatehouseError(e) && e.code).toBe('GH_API_VALIDATION');
    expect((e as Error).message).toBe('Engine must be postgres or mysql');
  });

  it("says 'Engine must be postgres' when only postgres is registered", async () => {
    const only = { ...ctx, provisioners: new Map([['postgres', fakeProvisioner('postgres', [])]]) };
    const e = await createInstance(only, {
      identifier: 'mysql0',
      engine: 'mysql',
      backendUrl: 'mysql://admin@127.0.0.1:3306/app',
      listen: '127.0.0.1:1',
    }).catch((err: unknown) => err);
    expect((e as Error).message).toBe('Engine must be postgres');
  });

  it("checks the backend and stores the URL through the engine's own provisioner", async () => {
    calls.length = 0;
    await instanceFor('mysql', 'mysql1');
    expect(calls).toEqual(['check mysql1 iam=false']);
    const row = await store.pool.query('SELECT engine, backend_url FROM gh_instances WHERE identifier = $1', [
      'mysql1',
    ]);
    expect(row.rows[0]).toEqual({ engine: 'mysql', backend_url: 'mysql://admin@127.0.0.1:3306/app' });
  });
});

describe('verifiers per mechanism', () => {
  it('a PostgreSQL user gets one SCRAM-SHA-256 verifier, in clear, and nothing else', async () => {
    const instance = await instanceFor('postgres', 'pg1');
    await createDbUser(ctx, { instance: 'pg1', username: 'paula', auth: 'password', password: 'pw-paula-1' });
    const rows = await storedVerifiers('pg1', 'paula');
    expect(rows.map((r) => r.mechanism)).toEqual(['SCRAM-SHA-256']);
    expect(rows[0]?.sealed_verifier).toBeNull();
    const secret = parseScramVerifier(rows[0]?.verifier ?? '');
    expect(secret?.iterations).toBe(4096);
    const login = await createLoginDirectory(ctx).findLogin(instance, 'paula', clock.now());
    expect(login).toMatchObject({ kind: 'password', verifiers: [{ mechanism: 'SCRAM-SHA-256' }] });
  });

  it('a MySQL user gets mysql_native_password and caching_sha2_password, sealed, and no SCRAM', async () => {
    const instance = await instanceFor('mysql', 'mysql2');
    calls.length = 0;
    await createDbUser(ctx, {
      instance: 'mysql2',
      username: 'maria',
      auth: 'password',
      password: 'pw-maria-1',
    });
    expect(calls).toEqual(['upsert maria']);
    const rows = await storedVerifiers('mysql2', 'maria');
    expect(rows.map((r) => r.mechanism)).toEqual([CACHING_SHA2_PASSWORD, MYSQL_NATIVE_PASSWORD]);
    for (const r of rows) {
      expect(r.verifier).toBeNull();
      expect(r.sealed_verifier).toBeInstanceOf(Buffer);
      // Nothing of the hash is readable from the store.
      const hash = findPasswordMechanism(r.mechanism)?.compute('pw-maria-1') ?? '';
      expect(r.sealed_verifier?.toString('latin1')).not.toContain(hash);
    }
    const login = await createLoginDirectory(ctx).findLogin(instance, 'maria', clock.now());
    expect(login).toEqual({
      kind: 'password',
      verifiers: [
        {
          mechanism: CACHING_SHA2_PASSWORD,
          verifier: findPasswordMechanism(CACHING_SHA2_PASSWORD)?.compute('pw-maria-1'),
        },
        {
          mechanism: MYSQL_NATIVE_PASSWORD,
          verifier: findPasswordMechanism(MYSQL_NATIVE_PASSWORD)?.compute('pw-maria-1'),
        },
      ],
      backendSecret: expect.any(String),
    });
  });

  it('a sealed verifier is bound to its user and mechanism: moved to another row it does not open', async () => {
    const instance = await instanceFor('mysql', 'mysql3');
    await createDbUser(ctx, {
      instance: 'mysql3',
      username: 'ann',
      auth: 'password',
      password: 'pw-ann-111',
    });
    await createDbUser(ctx, {
      instance: 'mysql3',
      username: 'bob',
      auth: 'password',
      password: 'pw-bob-111',
    });
    // Give bob ann's mysql_native_password verifier, as someone with write access to the store could.
    await store.pool.query(
      `UPDATE gh_db_user_password_verifiers SET sealed_verifier = (
         SELECT v.sealed_verifier FROM gh_db_user_password_verifiers v
           JOIN gh_db_user_passwords p ON p.id = v.password_id JOIN gh_db_users u ON u.id = p.db_user_id
          WHERE u.username = 'ann' AND v.mechanism = $1 AND u.instance_id = (SELECT id FROM gh_instances WHERE identifier = 'mysql3'))
        WHERE mechanism = $1 AND password_id IN (
          SELECT p.id FROM gh_db_user_passwords p JOIN gh_db_users u ON u.id = p.db_user_id WHERE u.username = 'bob')`,
      [MYSQL_NATIVE_PASSWORD],
    );
    const e = await createLoginDirectory(ctx)
      .findLogin(instance, 'bob', clock.now())
      .catch((err: unknown) => err);
    expect(isGatehouseError(e) && e.code).toBe('GH_SECRET_UNSEALABLE');
  });

  it('rotation computes every mechanism again; the previous password stays valid through its grace', async () => {
    const instance = await instanceFor('mysql', 'mysql4');
    await createDbUser(ctx, {
      instance: 'mysql4',
      username: 'rot',
      auth: 'password',
      password: 'pw-rot-old',
    });
    await rotatePassword(ctx, {
      instance: 'mysql4',
      username: 'rot',
      password: 'pw-rot-new',
      graceSeconds: 60,
    });
    const native = findPasswordMechanism(MYSQL_NATIVE_PASSWORD);
    const directory = createLoginDirectory(ctx);
    const during = await directory.findLogin(instance, 'rot', clock.now());
    expect(during?.kind === 'password' && during.verifiers.map((v) => v.verifier)).toEqual([
      findPasswordMechanism(CACHING_SHA2_PASSWORD)?.compute('pw-rot-new'),
      native?.compute('pw-rot-new'),
      findPasswordMechanism(CACHING_SHA2_PASSWORD)?.compute('pw-rot-old'),
      native?.compute('pw-rot-old'),
    ]);
    clock.advance(60_000);
    const after = await directory.findLogin(instance, 'rot', clock.now());
    expect(after?.kind === 'password' && after.verifiers.map((v) => v.mechanism)).toEqual([
      CACHING_SHA2_PASSWORD,
      MYSQL_NATIVE_PASSWORD,
    ]);
    expect(after?.kind === 'password' && after.verifiers[1]?.verifier).toBe(native?.compute('pw-rot-new'));
  });

  it('a PostgreSQL rotation keeps the SCRAM salt and iterations of the current verifier', async () => {
    await rotatePassword(ctx, {
      instance: 'pg1',
      username: 'paula',
      password: 'pw-paula-2',
      graceSeconds: 60,
    });
    const rows = await storedVerifiers('pg1', 'paula');
    expect(rows.map((r) => [r.mechanism, r.valid_until === null])).toEqual([
      ['SCRAM-SHA-256', true],
      ['SCRAM-SHA-256', false],
    ]);
    const old = parseScramVerifier(rows[1]?.verifier ?? '');
    expect(rows[0]?.verifier).toBe(
      createScramVerifier('pw-paula-2', { salt: old?.salt as Buffer, iterations: old?.iterations as number }),
    );
  });

  it('an engine without password mechanisms refuses password users before touching the backend', async () => {
    const toy = {
      ...ctx,
      provisioners: new Map([...ctx.provisioners, ['toy', fakeProvisioner('toy', calls)]]),
    };
    const port = await findFreePort();
    await createInstance(toy, {
      identifier: 'toy1',
      engine: 'toy',
      backendUrl: 'toy://admin@127.0.0.1:1/app',
      listen: `127.0.0.1:${port}`,
    });
    calls.length = 0;
    const e = await createDbUser(toy, { instance: 'toy1', username: 'tim', auth: 'password' }).catch(
      (err: unknown) => err,
    );
    expect(isGatehouseError(e) && e.code).toBe('GH_API_VALIDATION');
    expect((e as Error).message).toMatch(/Engine toy has no password mechanism/);
    expect(calls).toEqual([]);
    await createDbUser(toy, { instance: 'toy1', username: 'tim', auth: 'iam' });
    expect(calls).toEqual(['upsert tim', 'ensure iam role', 'grant tim']);
  });
});
