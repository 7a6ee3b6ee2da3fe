// Enabling IAM database auth and IAM database users through the API, the CLI and the control plane, on a real backend.
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, ApiError, createApiClient } from '../../../src/cli/api-client.js';
import { runCli } from '../../../src/cli/program.js';
import type { ChangeTopic, ControlContext } from '../../../src/control-plane/context.js';
import { adoptIamUser } from '../../../src/control-plane/db-users.js';
import { normalizeEndpointAliases } from '../../../src/control-plane/instances.js';
import { isGatehouseError } from '../../../src/core/errors.js';
import { createPostgresProvisioner } from '../../../src/provisioning/postgres/index.js';
import type { AdminSession } from '../../../src/provisioning/provisioner.js';
import { findFreePort } from '../../../src/store/embedded.js';
import { startTestGateway, type TestGateway } from '../../support/gateway.js';
import { testIo } from '../../unit/cli/support/cli-io.js';

let t: TestGateway;
let api: ApiClient;
let env: NodeJS.ProcessEnv;
let backendUrl: string;
let logText = '';
const notified: ChangeTopic[] = [];
let ctx: ControlContext;

async function cli(args: string[], stdin?: string) {
  const io = testIo({ env, ...(stdin === undefined ? {} : { stdin }) });
  const code = await runCli(['--data-dir', t.dataDir, ...args], io.io);
  return { code, stdout: io.stdout(), stderr: io.stderr(), json: () => JSON.parse(io.stdout()) };
}

/** The API error's Gatehouse code and message (without its request id), or a failure if the call succeeded. */
async function apiError(
  action: string,
  params: Record<string, unknown>,
): Promise<{ code: string; message: string }> {
  const e = await api.call(action, params).then(
    () => null,
    (err: unknown) => err,
  );
  if (!(e instanceof ApiError)) throw new Error(`${action} did not fail with an API error: ${String(e)}`);
  return { code: e.gatehouseCode, message: e.message.replace(/ \(request id [0-9a-f]+\)$/, '') };
}

/** A control-plane error's code and message (adoptIamUser has no API action). */
async function rejection(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  if (!isGatehouseError(e)) throw new Error(`expected a GatehouseError, got ${String(e)}`);
  return { code: e.code, message: e.message };
}

async function roleExists(name: string): Promise<boolean> {
  return (await t.backendSql('SELECT 1 FROM pg_roles WHERE rolname = $1', [name])).rowCount === 1;
}

async function isRdsIamMember(name: string): Promise<boolean> {
  const res = await t.backendSql(
    "SELECT pg_has_role(r.oid, 'rds_iam', 'MEMBER') AS m, r.rolcanlogin AS login FROM pg_roles r WHERE rolname = $1",
    [name],
  );
  return res.rows[0]?.m === true && res.rows[0]?.login === true;
}

/** Log in to the backend directly (not through Gatehouse) as `user`. */
async function backendLogin(user: string, password: string): Promise<string> {
  const client = new pg.Client({ host: '127.0.0.1', port: t.postgres.port, user, password, database: 'app' });
  await client.connect();
  try {
    return (await client.query('SELECT current_user AS u')).rows[0].u as string;
  } finally {
    await client.end();
  }
}

const postgres = createPostgresProvisioner();

async function withAdmin<T>(fn: (admin: AdminSession) => Promise<T>): Promise<T> {
  const admin = await postgres.connect('test', postgres.parseBackendUrl(backendUrl));
  try {
    return await fn(admin);
  } finally {
    await admin.close();
  }
}

async function listen(): Promise<string> {
  return `127.0.0.1:${await findFreePort()}`;
}

async function passwordRows(instance: string, user: string): Promise<number> {
  const res = await t.gateway.store.pool.query(
    `SELECT count(p.id)::int AS n FROM gh_db_users u JOIN gh_instances i ON i.id = u.instance_id
       LEFT JOIN gh_db_user_passwords p ON p.db_user_id = u.id WHERE i.identifier = $1 AND u.username = $2`,
    [instance, user],
  );
  return res.rows[0].n as number;
}

beforeAll(async () => {
  t = await startTestGateway();
  backendUrl = `${t.postgres.adminUrl('app')}?sslmode=disable`;
  const key = t.gateway.bootstrapKey as { accessKeyId: string; secretAccessKey: string };
  env = {
    GATEHOUSE_ACCESS_KEY_ID: key.accessKeyId,
    GATEHOUSE_SECRET_ACCESS_KEY: key.secretAccessKey,
    GATEHOUSE_ENDPOINT_URL: t.gateway.apiUrl,
  };
  api = createApiClient({
    endpoint: new URL(t.gateway.apiUrl),
    region: t.gateway.account.region,
    credentials: key,
    caPem: readFileSync(t.caFile, 'utf8'),
  });
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logText += chunk.toString();
      done();
    },
  });
  ctx = {
    store: t.gateway.store,
    box: t.gateway.box,
    clock: t.clock,
    logger: pino({ level: 'info' }, sink),
    account: t.gateway.account,
    scramIterations: 4096,
    provisioners: new Map([['postgres', postgres]]),
    notifyChange: async (topic) => {
      notified.push(topic);
    },
  };
});
afterAll(async () => t?.stop());

// Roles are cluster-wide and this file shares one backend: these run first, before anything creates rds_iam.
describe('on a backend without rds_iam', () => {
  it('listIamLoginRoles is an empty set, not an error, when rds_iam does not exist', async () => {
    expect(await roleExists('rds_iam')).toBe(false);
    expect(await withAdmin((admin) => admin.listIamLoginRoles())).toEqual(new Set());
  });

  it('an instance created without IAM leaves the backend alone; enabling IAM with ModifyDBInstance creates NOLOGIN rds_iam', async () => {
    await api.call('CreateDBInstance', {
      DBInstanceIdentifier: 'later',
      Engine: 'postgres',
      BackendUrl: backendUrl,
      Listen: await listen(),
    });
    expect(await roleExists('rds_iam')).toBe(false);
    const modified = await api.call('ModifyDBInstance', {
      DBInstanceIdentifier: 'later',
      EnableIAMDatabaseAuthentication: true,
    });
    expect(modified['DBInstance']).toMatchObject({ IAMDatabaseAuthenticationEnabled: true });
    const role = await t.backendSql('SELECT rolcanlogin FROM pg_roles WHERE rolname = $1', ['rds_iam']);
    expect(role.rows).toEqual([{ rolcanlogin: false }]);
  });
});

describe('IAM settings of an instance through the API', () => {
  it('CreateDBInstance defaults: IAM off, no endpoint aliases, revoked IAM sessions terminated', async () => {
    const created = await api.call('CreateDBInstance', {
      DBInstanceIdentifier: 'plain',
      Engine: 'postgres',
      BackendUrl: backendUrl,
      Listen: await listen(),
    });
    expect(created['DBInstance']).toMatchObject({
      IAMDatabaseAuthenticationEnabled: false,
      EndpointAliases: [],
      TerminateRevokedIAMSessions: true,
    });
  });

  it('CreateDBInstance stores the three settings; aliases are lower-cased and de-duplicated, and describe shows them', async () => {
    const created = await api.call('CreateDBInstance', {
      DBInstanceIdentifier: 'iam-api',
      Engine: 'postgres',
      BackendUrl: backendUrl,
      Listen: await listen(),
      EnableIAMDatabaseAuthentication: true,
      EndpointAliases: ['DB.Example.COM:5433', 'db.example.com:5433', '[::1]:6543', 'db.example.com:5434'],
      TerminateRevokedIAMSessions: false,
    });
    const expected = {
      IAMDatabaseAuthenticationEnabled: true,
      EndpointAliases: ['db.example.com:5433', '[::1]:6543', 'db.example.com:5434'],
      TerminateRevokedIAMSessions: false,
    };
    expect(created['DBInstance']).toMatchObject(expected);
    const described = await api.call('DescribeDBInstances', { DBInstanceIdentifier: 'iam-api' });
    expect((described['DBInstances'] as unknown[])[0]).toMatchObject(expected);
  });

  it('ModifyDBInstance changes only the settings given; an empty EndpointAliases clears them', async () => {
    const onlyTerminate = await api.call('ModifyDBInstance', {
      DBInstanceIdentifier: 'iam-api',
      TerminateRevokedIAMSessions: true,
    });
    expect(onlyTerminate['DBInstance']).toMatchObject({
      IAMDatabaseAuthenticationEnabled: true,
      EndpointAliases: ['db.example.com:5433', '[::1]:6543', 'db.example.com:5434'],
      TerminateRevokedIAMSessions: true,
    });
    const cleared = await api.call('ModifyDBInstance', {
      DBInstanceIdentifier: 'iam-api',
      EndpointAliases: [],
      EnableIAMDatabaseAuthentication: false,
    });
    expect(cleared['DBInstance']).toMatchObject({
      IAMDatabaseAuthenticationEnabled: false,
      EndpointAliases: [],
      TerminateRevokedIAMSessions: true,
    });
    const replaced = await api.call('ModifyDBInstance', {
      DBInstanceIdentifier: 'iam-api',
      EndpointAliases: ['Proxy.Internal:5432'],
    });
    expect(replaced['DBInstance']).toMatchObject({
      IAMDatabaseAuthenticationEnabled: false,
      EndpointAliases: ['proxy.internal:5432'],
    });
  });

  it('malformed endpoint aliases are GH_API_VALIDATION and change nothing', async () => {
    const bad = [
      [['db.example.com'], /EndpointAliases\.0: expected HOST:PORT/],
      [['db.example.com:0'], /EndpointAliases\.0: port must be 1-65535/],
      [['ok.example:1', 'db.example.com:70000'], /EndpointAliases\.1: port must be 1-65535/],
      [['two words:5432'], /EndpointAliases\.0: expected HOST:PORT/],
      [Array.from({ length: 17 }, (_, i) => `h${i}.example:5432`), /EndpointAliases: at most 16 aliases/],
      ['db.example.com:5432', /EndpointAliases: expected array/],
    ] as const;
    for (const [aliases, message] of bad) {
      const e = await apiError('ModifyDBInstance', {
        DBInstanceIdentifier: 'iam-api',
        EndpointAliases: aliases,
      });
      expect(e.code, String(aliases)).toBe('GH_API_VALIDATION');
      expect(e.message).toMatch(message);
    }
    const sixteen = Array.from({ length: 16 }, (_, i) => `h${i}.example:5432`);
    const ok = await api.call('ModifyDBInstance', {
      DBInstanceIdentifier: 'iam-api',
      EndpointAliases: sixteen,
    });
    expect((ok['DBInstance'] as { EndpointAliases: string[] }).EndpointAliases).toEqual(sixteen);
    const e = await apiError('CreateDBInstance', {
      DBInstanceIdentifier: 'bad-alias',
      Engine: 'postgres',
      BackendUrl: backendUrl,
      Listen: await listen(),
      EndpointAliases: ['nope'],
    });
    expect(e.code).toBe('GH_API_VALIDATION');
    expect(await apiError('DescribeDBInstances', { DBInstanceIdentifier: 'bad-alias' })).toMatchObject({
      code: 'GH_INSTANCE_NOT_FOUND',
    });
  });

  it('the control plane validates aliases itself (callers other than the API): same rules, lower-cased, de-duplicated', () => {
    expect(normalizeEndpointAliases(['A.B:1', 'a.b:01', '[::ABCD]:2'])).toEqual(['a.b:1', '[::abcd]:2']);
    for (const bad of [['a.b'], ['a.b:0'], ['a.b:65536'], [`${'x'.repeat(254)}:1`]]) {
      expect(() => normalizeEndpointAliases(bad), bad[0]).toThrow(/EndpointAliases/);
    }
    expect(() => normalizeEndpointAliases(Array.from({ length: 17 }, (_, i) => `h${i}:1`))).toThrow(
      /at most 16/,
    );
  });

  it('the settings are booleans and a list: other types are GH_API_VALIDATION', async () => {
    for (const params of [
      { EnableIAMDatabaseAuthentication: 'true' },
      { TerminateRevokedIAMSessions: 1 },
      { EndpointAliases: [5432] },
    ]) {
      const e = await apiError('ModifyDBInstance', { DBInstanceIdentifier: 'iam-api', ...params });
      expect(e.code).toBe('GH_API_VALIDATION');
      expect(e.message).toContain(Object.keys(params)[0]);
    }
  });
});

describe('IAM settings of an instance through the CLI', () => {
  it('create-db-instance and modify-db-instance flags round-trip through describe-db-instances', async () => {
    const created = await cli([
      'rds',
      'create-db-instance',
      '--db-instance-identifier',
      'iam-cli',
      '--engine',
      'postgres',
      '--backend-url',
      backendUrl,
      '--listen',
      await listen(),
      '--enable-iam-database-authentication',
      '--endpoint-aliases',
      'DB.example.com:5433, db.example.com:5433,alt.example:1',
      '--no-terminate-revoked-iam-sessions',
    ]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.json().DBInstance).toMatchObject({
      IAMDatabaseAuthenticationEnabled: true,
      EndpointAliases: ['db.example.com:5433', 'alt.example:1'],
      TerminateRevokedIAMSessions: false,
    });

    // No IAM flag: nothing IAM-related changes.
    const untouched = await cli([
      'rds',
      'modify-db-instance',
      '--db-instance-identifier',
      'iam-cli',
      '--force-ssl',
    ]);
    expect(untouched.code, untouched.stderr).toBe(0);
    expect(untouched.json().DBInstance).toMatchObject({
      ForceSsl: true,
      IAMDatabaseAuthenticationEnabled: true,
      EndpointAliases: ['db.example.com:5433', 'alt.example:1'],
      TerminateRevokedIAMSessions: false,
    });

    const off = await cli([
      'rds',
      'modify-db-instance',
      '--db-instance-identifier',
      'iam-cli',
      '--no-enable-iam-database-authentication',
      '--endpoint-aliases',
      '',
      '--terminate-revoked-iam-sessions',
    ]);
    expect(off.code, off.stderr).toBe(0);
    const described = await cli(['rds', 'describe-db-instances', '--db-instance-identifier', 'iam-cli']);
    expect(described.json().DBInstances[0]).toMatchObject({
      IAMDatabaseAuthenticationEnabled: false,
      EndpointAliases: [],
      TerminateRevokedIAMSessions: true,
    });

    const on = await cli([
      'rds',
      'modify-db-instance',
      '--db-instance-identifier',
      'iam-cli',
      '--enable-iam-database-authentication',
    ]);
    expect(on.json().DBInstance).toMatchObject({
      IAMDatabaseAuthenticationEnabled: true,
      EndpointAliases: [],
    });
  });

  it('create-db-instance without IAM flags gets the defaults (IAM off, terminate on)', async () => {
    const created = await cli([
      'rds',
      'create-db-instance',
      '--db-instance-identifier',
      'cli-defaults',
      '--engine',
      'postgres',
      '--backend-url',
      backendUrl,
      '--listen',
      await listen(),
    ]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.json().DBInstance).toMatchObject({
      IAMDatabaseAuthenticationEnabled: false,
      EndpointAliases: [],
      TerminateRevokedIAMSessions: true,
    });
  });

  it('a malformed --endpoint-aliases is reported by the API with its code, exit 1', async () => {
    const r = await cli([
      'rds',
      'modify-db-instance',
      '--db-instance-identifier',
      'iam-cli',
      '--endpoint-aliases',
      'good.example:1,bad.example',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/EndpointAliases\.1: expected HOST:PORT.*\[GH_API_VALIDATION\]/);
  });
});

describe('IAM database users', () => {
  beforeAll(async () => {
    await t.createInstance('users', { iam: true });
    await t.createInstance('no-iam');
  });

  it('create-user --auth iam makes a LOGIN backend role in rds_iam with a Gatehouse-held secret, and prints no password', async () => {
    const r = await cli([
      'db',
      'create-user',
      '--db-instance-identifier',
      'users',
      '--username',
      'Iam.User',
      '--auth',
      'iam',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toEqual({
      DBUser: {
        DBInstanceIdentifier: 'users',
        Username: 'Iam.User',
        Auth: 'iam',
        CreateTime: expect.any(String),
      },
    });
    expect(await isRdsIamMember('Iam.User')).toBe(true);
    const secret = await t.backendSql('SELECT rolpassword FROM pg_authid WHERE rolname = $1', ['Iam.User']);
    expect(secret.rows[0].rolpassword).toMatch(/^SCRAM-SHA-256\$/);
    expect(await passwordRows('users', 'Iam.User')).toBe(0);
    expect(await withAdmin((admin) => admin.listIamLoginRoles())).toContain('Iam.User');

    const list = await cli(['db', 'list-users', '--db-instance-identifier', 'users']);
    expect(list.json().DBUsers).toEqual([expect.objectContaining({ Username: 'Iam.User', Auth: 'iam' })]);
  });

  it('an IAM user may be created on an instance without IAM enabled (RDS allows GRANT rds_iam at any time)', async () => {
    const r = await api.call('CreateDBUser', {
      DBInstanceIdentifier: 'no-iam',
      Username: 'early',
      Auth: 'iam',
    });
    expect(r).toEqual({ DBUser: expect.objectContaining({ Username: 'early', Auth: 'iam' }) });
    expect(r).not.toHaveProperty('Password');
    expect(await isRdsIamMember('early')).toBe(true);
  });

  it('a Password with Auth iam is refused before anything is created, by the API and the CLI', async () => {
    const e = await apiError('CreateDBUser', {
      DBInstanceIdentifier: 'users',
      Username: 'withpw',
      Auth: 'iam',
      Password: 'correct horse battery',
    });
    expect(e).toEqual({
      code: 'GH_API_VALIDATION',
      message: 'Auth iam users have no password: they log in with IAM auth tokens',
    });
    const r = await cli(
      [
        'db',
        'create-user',
        '--db-instance-identifier',
        'users',
        '--username',
        'withpw',
        '--auth',
        'iam',
        '--password-stdin',
      ],
      'correct horse battery\n',
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Auth iam users have no password: they log in with IAM auth tokens');
    expect(await roleExists('withpw')).toBe(false);
  });

  it('RotateDBUserPassword of an IAM user is refused and leaves it without a password', async () => {
    await api.call('CreateDBUser', { DBInstanceIdentifier: 'users', Username: 'norotate', Auth: 'iam' });
    const e = await apiError('RotateDBUserPassword', { DBInstanceIdentifier: 'users', Username: 'norotate' });
    expect(e).toEqual({
      code: 'GH_API_VALIDATION',
      message: 'User "norotate" authenticates with IAM auth tokens; it has no password to rotate',
    });
    expect(await passwordRows('users', 'norotate')).toBe(0);
  });

  it('delete-user of an IAM user retires its backend role', async () => {
    await api.call('CreateDBUser', { DBInstanceIdentifier: 'users', Username: 'shortlived', Auth: 'iam' });
    const r = await cli([
      'db',
      'delete-user',
      '--db-instance-identifier',
      'users',
      '--username',
      'shortlived',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().DBUser).toMatchObject({ Username: 'shortlived', Auth: 'iam' });
    expect(await roleExists('shortlived')).toBe(false);
    const list = await api.call('ListDBUsers', { DBInstanceIdentifier: 'users' });
    expect((list['DBUsers'] as Array<{ Username: string }>).map((u) => u.Username)).not.toContain(
      'shortlived',
    );
  });

  it('a password user still gets a password (the iam branch changes nothing for it)', async () => {
    const r = await api.call('CreateDBUser', {
      DBInstanceIdentifier: 'users',
      Username: 'pwuser',
      Auth: 'password',
    });
    expect(r['Password']).toEqual(expect.any(String));
    expect(await passwordRows('users', 'pwuser')).toBe(1);
    expect(await isRdsIamMember('pwuser')).toBe(false);
  });
});

describe('listIamLoginRoles', () => {
  it('finds LOGIN members of rds_iam directly and through nested (also NOINHERIT) membership, and nobody else', async () => {
    await t.backendSql(`
      CREATE ROLE lr_group NOLOGIN; GRANT rds_iam TO lr_group;
      CREATE ROLE lr_subgroup NOLOGIN; GRANT lr_group TO lr_subgroup;
      CREATE ROLE lr_direct LOGIN; GRANT rds_iam TO lr_direct;
      CREATE ROLE lr_nested LOGIN; GRANT lr_subgroup TO lr_nested;
      CREATE ROLE lr_noinherit LOGIN NOINHERIT; GRANT lr_group TO lr_noinherit;
      CREATE ROLE lr_outsider LOGIN;
      CREATE ROLE lr_nologin NOLOGIN; GRANT rds_iam TO lr_nologin;
      CREATE ROLE lr_super LOGIN SUPERUSER; GRANT rds_iam TO lr_super;
    `);
    const members = await withAdmin((admin) => admin.listIamLoginRoles());
    expect(members).toEqual(expect.any(Set));
    for (const yes of ['lr_direct', 'lr_nested', 'lr_noinherit']) expect(members.has(yes), yes).toBe(true);
    for (const no of [
      'lr_group',
      'lr_subgroup',
      'lr_outsider',
      'lr_nologin',
      'lr_super',
      'rds_iam',
      'postgres',
    ])
      expect(members.has(no), no).toBe(false);
  });
});

describe('adoptIamUser', () => {
  beforeAll(async () => {
    await t.createInstance('adopt', { iam: true });
  });

  it('adopts a role created and granted rds_iam directly on the backend; the backend accepts the returned secret', async () => {
    await t.backendSql('CREATE USER "Bob"; GRANT rds_iam TO "Bob"');
    notified.length = 0;
    logText = '';
    const secret = await adoptIamUser(ctx, 'adopt', 'Bob');
    expect(secret.length).toBeGreaterThanOrEqual(32);
    expect(await backendLogin('Bob', secret)).toBe('Bob');
    expect(notified).toEqual(['db_users']);
    expect(logText).toContain('IAM user adopted');
    expect(logText).not.toContain(secret);
    const list = await api.call('ListDBUsers', { DBInstanceIdentifier: 'adopt' });
    expect(list['DBUsers']).toEqual([expect.objectContaining({ Username: 'Bob', Auth: 'iam' })]);
    expect(await passwordRows('adopt', 'Bob')).toBe(0);

    // Adopted once: later calls return the same secret without touching the backend or notifying.
    notified.length = 0;
    expect(await adoptIamUser(ctx, 'adopt', 'Bob')).toBe(secret);
    expect(notified).toEqual([]);
  });

  it('refuses a role that is not an rds_iam member, cannot log in, is missing, is a superuser or is the instance admin', async () => {
    await t.backendSql(`
      CREATE USER ad_outsider;
      CREATE ROLE ad_nologin NOLOGIN; GRANT rds_iam TO ad_nologin;
      CREATE ROLE ad_super LOGIN SUPERUSER; GRANT rds_iam TO ad_super;
      GRANT rds_iam TO postgres;
    `);
    const cases = [
      ['ad_outsider', /not a member of rds_iam/],
      ['ad_nologin', /cannot log in/],
      ['ad_missing', /does not exist on the backend/],
      ['ad_super', /superuser/],
      ['postgres', /provisioning admin/],
    ] as const;
    for (const [user, reason] of cases) {
      const e = await rejection(adoptIamUser(ctx, 'adopt', user));
      expect(e.code, user).toBe('GH_BACKEND_PROVISION_FAILED');
      expect(e.message).toMatch(reason);
    }
    await t.backendSql('REVOKE rds_iam FROM postgres');
    const list = await api.call('ListDBUsers', { DBInstanceIdentifier: 'adopt' });
    expect((list['DBUsers'] as Array<{ Username: string }>).map((u) => u.Username)).toEqual(['Bob']);
  });

  it('concurrent adoptions of one role agree on one secret, which the backend accepts', async () => {
    await t.backendSql('CREATE USER carol; GRANT rds_iam TO carol');
    const secrets = await Promise.all(Array.from({ length: 6 }, () => adoptIamUser(ctx, 'adopt', 'carol')));
    expect(new Set(secrets).size).toBe(1);
    expect(await backendLogin('carol', secrets[0] as string)).toBe('carol');
    const rows = await t.gateway.store.pool.query(
      "SELECT count(*)::int AS n FROM gh_db_users WHERE username = 'carol'",
    );
    expect(rows.rows[0].n).toBe(1);
  });

  it('a password user granted rds_iam on the backend becomes an IAM user: passwords dropped, backend secret kept', async () => {
    await t.createUser('adopt', 'dave');
    expect(await passwordRows('adopt', 'dave')).toBe(1);
    await t.backendSql('GRANT rds_iam TO dave');
    const secret = await adoptIamUser(ctx, 'adopt', 'dave');
    expect(await backendLogin('dave', secret)).toBe('dave');
    expect(await passwordRows('adopt', 'dave')).toBe(0);
    const list = await api.call('ListDBUsers', { DBInstanceIdentifier: 'adopt' });
    expect(list['DBUsers']).toContainEqual(expect.objectContaining({ Username: 'dave', Auth: 'iam' }));
  });

  it('a password user that is not an rds_iam member is refused and keeps its password', async () => {
    await t.createUser('adopt', 'erin');
    const e = await rejection(adoptIamUser(ctx, 'adopt', 'erin'));
    expect(e.code).toBe('GH_BACKEND_PROVISION_FAILED');
    expect(e.message).toMatch(/not a member of rds_iam/);
    expect(await passwordRows('adopt', 'erin')).toBe(1);
    const list = await api.call('ListDBUsers', { DBInstanceIdentifier: 'adopt' });
    expect(list['DBUsers']).toContainEqual(expect.objectContaining({ Username: 'erin', Auth: 'password' }));
  });
});
