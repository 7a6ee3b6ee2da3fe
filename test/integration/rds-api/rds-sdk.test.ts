// The RDS Query API through a real gateway with the unmodified AWS SDK (@aws-sdk/client-rds): DescribeDBInstances
// (filters, pages), Create/Modify/DeleteDBInstance, RDS's error codes, and the audit event of each call; and, with
// a default backend, CreateDBInstance from RDS's own parameters (Port, DBName) and ModifyDBInstance's DBPortNumber.

import { connect } from 'node:net';
import {
  CreateDBInstanceCommand,
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  ModifyDBInstanceCommand,
  paginateDescribeDBInstances,
} from '@aws-sdk/client-rds';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HIDDEN } from '../../../src/api/audit-redaction.js';
import { generateAuthToken } from '../../../src/auth/iam-token/generate.js';
import { eventually } from '../../support/eventually.js';
import { failure, type Keys, type RdsGateway, startRdsGateway, withExtras } from './support/rds-harness.js';

describe('RDS Query API with @aws-sdk/client-rds', () => {
  let h: RdsGateway;
  let ordersListen: string;
  /** An IAM user allowed only rds:DescribeDBInstances and rds:ModifyDBInstance on instance "orders". */
  let ordersOnly: Keys;

  const create = async (id: string, extras: Record<string, string> = {}) =>
    h.rds().send(
      withExtras(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: id,
          Engine: 'postgres',
          DBInstanceClass: 'db.t3.micro',
        }),
        {
          BackendUrl: h.backendUrl(),
          Listen: await h.freeListen(),
          ...extras,
        },
      ),
    );

  beforeAll(async () => {
    h = await startRdsGateway();
    ordersListen = await h.freeListen();
    const arn = (id: string) => `arn:aws:rds:${h.region}:${h.accountId}:db:${id}`;
    ordersOnly = await h.t.createIamPrincipal('orders-operator', {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['rds:DescribeDBInstances', 'rds:ModifyDBInstance'],
          Resource: arn('orders'),
        },
      ],
    });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('CreateDBInstance answers an available instance in RDS shape; RDS capacity parameters are ignored', async () => {
    const port = Number(ordersListen.split(':')[1]);
    const res = await h.rds().send(
      withExtras(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: 'orders',
          Engine: 'postgres',
          DBInstanceClass: 'db.t3.micro',
          AllocatedStorage: 20,
          MultiAZ: false,
          EnableIAMDatabaseAuthentication: true,
        }),
        { BackendUrl: h.backendUrl(), Listen: ordersListen, 'EndpointAliases.member.1': `localhost:${port}` },
      ),
    );
    expect(res.DBInstance).toMatchObject({
      DBInstanceIdentifier: 'orders',
      Engine: 'postgres',
      DBInstanceStatus: 'available',
      Endpoint: { Address: '127.0.0.1', Port: port },
      DBInstanceArn: `arn:aws:rds:${h.region}:${h.accountId}:db:orders`,
      IAMDatabaseAuthenticationEnabled: true,
    });
    expect(res.DBInstance?.DbiResourceId).toMatch(/^db-[A-Z0-9]{26}$/);
    expect(res.DBInstance?.InstanceCreateTime).toBeInstanceOf(Date);
    const [view] = await h.t.gateway.controlPlane.describeInstances('orders');
    expect(res.DBInstance?.DbiResourceId).toBe(view?.DbiResourceId);
    expect(view).toMatchObject({
      EndpointAliases: [`localhost:${port}`],
      IAMDatabaseAuthenticationEnabled: true,
    });
  });

  it('its audit event has eventSource rds.amazonaws.com and the BackendUrl password hidden', async () => {
    const res = await create('audited');
    const e = await h.eventOf(res.$metadata.requestId);
    expect(e).toMatchObject({ eventSource: 'rds.amazonaws.com', eventName: 'CreateDBInstance' });
    const sent = e.requestParameters?.['BackendUrl'] as string;
    expect(sent).toContain(`postgres:${HIDDEN}@`);
    expect(JSON.stringify(e)).not.toContain(new URL(h.backendUrl()).password);
    expect(e.responseElements).toMatchObject({ DBInstance: { DBInstanceIdentifier: 'audited' } });
    const refused = await failure(
      h.rds().send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'gone' })),
    );
    expect(await h.eventOf(refused.$metadata.requestId)).toMatchObject({
      eventSource: 'rds.amazonaws.com',
      eventName: 'DescribeDBInstances',
      errorCode: 'DBInstanceNotFound',
    });
  });

  it('the DbiResourceId it returns is the one rds-db:connect policies name: an IAM token logs in with it', async () => {
    const { DBInstances } = await h
      .rds()
      .send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'orders' }));
    const dbi = DBInstances?.[0]?.DbiResourceId as string;
    await h.t.createIamDbUser('orders', 'app_iam');
    const key = await h.t.createIamPrincipal('orders-app', {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'rds-db:connect',
          Resource: `arn:aws:rds-db:${h.region}:${h.accountId}:dbuser:${dbi}/app_iam`,
        },
      ],
    });
    const port = DBInstances?.[0]?.Endpoint?.Port as number;
    const password = await generateAuthToken({
      hostname: 'localhost',
      port,
      username: 'app_iam',
      region: h.region,
      credentials: key,
    });
    const client = new pg.Client({
      host: 'localhost',
      port,
      user: 'app_iam',
      database: 'app',
      password,
      ssl: { ca: h.ca, servername: 'localhost' },
    });
    await client.connect();
    try {
      expect((await client.query('select current_user as u')).rows[0]).toEqual({ u: 'app_iam' });
    } finally {
      await client.end();
    }
  });

  it('DescribeDBInstances takes an identifier or the instance ARN', async () => {
    const byId = await h.rds().send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'orders' }));
    const arn = byId.DBInstances?.[0]?.DBInstanceArn as string;
    const byArn = await h.rds().send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: arn }));
    expect(byArn.DBInstances).toEqual(byId.DBInstances);
    expect(byId.Marker).toBeUndefined();
  });

  it('pages over more instances than MaxRecords in identifier order, without repeats; filters select', async () => {
    const ids = Array.from({ length: 23 }, (_, i) => `page-${String(i).padStart(2, '0')}`);
    for (const id of ids) await create(id);
    const expected = [...ids, 'audited', 'orders'].sort();

    const first = await h.rds().send(new DescribeDBInstancesCommand({ MaxRecords: 20 }));
    expect(first.DBInstances).toHaveLength(20);
    expect(first.Marker).toEqual(expect.any(String));
    const second = await h
      .rds()
      .send(new DescribeDBInstancesCommand({ MaxRecords: 20, Marker: first.Marker }));
    expect(second.Marker).toBeUndefined();
    const seen = [...(first.DBInstances ?? []), ...(second.DBInstances ?? [])].map(
      (d) => d.DBInstanceIdentifier,
    );
    expect(seen).toEqual(expected);

    const paged: string[] = [];
    let pages = 0;
    for await (const page of paginateDescribeDBInstances({ client: h.rds(), pageSize: 20 }, {})) {
      pages++;
      for (const d of page.DBInstances ?? []) paged.push(d.DBInstanceIdentifier as string);
    }
    expect({ pages, paged }).toEqual({ pages: 2, paged: expected });
    // The default page is 100: everything at once.
    expect((await h.rds().send(new DescribeDBInstancesCommand({}))).DBInstances).toHaveLength(
      expected.length,
    );

    const filtered = await h.rds().send(
      new DescribeDBInstancesCommand({
        Filters: [
          {
            Name: 'db-instance-id',
            Values: ['page-03', 'orders', `arn:aws:rds:${h.region}:${h.accountId}:db:page-07`],
          },
          { Name: 'engine', Values: ['postgres'] },
        ],
      }),
    );
    expect(filtered.DBInstances?.map((d) => d.DBInstanceIdentifier)).toEqual([
      'orders',
      'page-03',
      'page-07',
    ]);
    const dbi = filtered.DBInstances?.[1]?.DbiResourceId as string;
    const byDbi = await h
      .rds()
      .send(new DescribeDBInstancesCommand({ Filters: [{ Name: 'dbi-resource-id', Values: [dbi] }] }));
    expect(byDbi.DBInstances?.map((d) => d.DBInstanceIdentifier)).toEqual(['page-03']);
    const none = await h
      .rds()
      .send(new DescribeDBInstancesCommand({ Filters: [{ Name: 'engine', Values: ['mysql'] }] }));
    expect(none.DBInstances).toEqual([]);
  });

  it('ModifyDBInstance changes RDS and Gatehouse settings at once (ApplyImmediately is implied)', async () => {
    const res = await h.rds().send(
      withExtras(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: 'audited',
          EnableIAMDatabaseAuthentication: true,
          ApplyImmediately: false,
        }),
        { ForceSsl: 'true', 'AuditStatements.member.1': 'ddl' },
      ),
    );
    expect(res.DBInstance).toMatchObject({
      DBInstanceIdentifier: 'audited',
      DBInstanceStatus: 'available',
      IAMDatabaseAuthenticationEnabled: true,
    });
    const [view] = await h.t.gateway.controlPlane.describeInstances('audited');
    expect(view).toMatchObject({
      ForceSsl: true,
      AuditStatements: ['DDL'],
      IAMDatabaseAuthenticationEnabled: true,
    });
  });

  it('DeleteDBInstance answers "deleting" and the instance is gone (SkipFinalSnapshot is accepted)', async () => {
    const res = await h
      .rds()
      .send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'page-22', SkipFinalSnapshot: true }));
    expect(res.DBInstance).toMatchObject({ DBInstanceIdentifier: 'page-22', DBInstanceStatus: 'deleting' });
    const e = await failure(
      h.rds().send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'page-22' })),
    );
    expect(e.name).toBe('DBInstanceNotFoundFault');
  });

  it('DBInstanceNotFound (404) for each action on an absent instance', async () => {
    for (const command of [
      new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'absent' }),
      new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'absent', EnableIAMDatabaseAuthentication: false }),
      new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'absent', SkipFinalSnapshot: true }),
    ]) {
      const e = await failure(h.rds().send(command as DescribeDBInstancesCommand));
      expect(e).toMatchObject({ name: 'DBInstanceNotFoundFault', Code: 'DBInstanceNotFound' });
      expect(e.$metadata.httpStatusCode).toBe(404);
      expect(e.message).toBe('DB instance absent not found');
    }
    const otherAccount = await failure(
      h.rds().send(
        new DescribeDBInstancesCommand({
          DBInstanceIdentifier: `arn:aws:rds:${h.region}:000000000000:db:orders`,
        }),
      ),
    );
    expect(otherAccount.name).toBe('DBInstanceNotFoundFault');
  });

  it('DBInstanceAlreadyExists for an identifier in use', async () => {
    const e = await failure(create('orders'));
    expect(e).toMatchObject({ name: 'DBInstanceAlreadyExistsFault', Code: 'DBInstanceAlreadyExists' });
    expect(e.message).toBe('DB instance orders already exists');
  });

  it('InvalidParameterValue names the parameter and the rule', async () => {
    const listenSpare = await h.freeListen();
    const cases: Array<[() => Promise<unknown>, RegExp]> = [
      [() => create('bad--name'), /^DBInstanceIdentifier: must be letters, digits or hyphens/],
      [
        () =>
          h.rds().send(
            withExtras(
              new CreateDBInstanceCommand({
                DBInstanceIdentifier: 'my',
                Engine: 'mysql',
                DBInstanceClass: 'db.t3.micro',
              }),
              {
                BackendUrl: h.backendUrl(),
                Listen: listenSpare,
              },
            ),
          ),
        /^Engine: .*"postgres"/,
      ],
      [
        () =>
          h.rds().send(
            new CreateDBInstanceCommand({
              DBInstanceIdentifier: 'plain',
              Engine: 'postgres',
              DBInstanceClass: 'db.t3.micro',
              Port: 70000,
            }),
          ),
        /^Port: must be 1-65535/,
      ],
      [
        () => create('badname', { DBName: 'no-hyphens' }),
        /^DBName: must be 1-63 letters, digits or underscores, starting with a letter/,
      ],
      [() => create('badurl', { BackendUrl: 'mysql://x@y:1/z' }), /^BackendUrl: expected postgres:\/\//],
      [() => h.rds().send(new DescribeDBInstancesCommand({ MaxRecords: 19 })), /^MaxRecords: must be 20-100/],
      [
        () => h.rds().send(new DescribeDBInstancesCommand({ MaxRecords: 101 })),
        /^MaxRecords: must be 20-100/,
      ],
      [
        () => h.rds().send(new DescribeDBInstancesCommand({ Marker: 'not-a-marker' })),
        /^Marker is not one a previous DescribeDBInstances answer gave/,
      ],
      [
        () =>
          h
            .rds()
            .send(new DescribeDBInstancesCommand({ Filters: [{ Name: 'db-cluster-id', Values: ['x'] }] })),
        /unrecognized filter name \(Gatehouse supports db-instance-id, dbi-resource-id, engine\)/,
      ],
      [
        () => h.rds().send(withExtras(new DescribeDBInstancesCommand({}), { Bogus: '1' })),
        /^Bogus is not a DescribeDBInstances parameter Gatehouse supports/,
      ],
      [
        () =>
          h.rds().send(
            withExtras(new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'orders' }), {
              ForceSsl: 'yes',
            }),
          ),
        /^ForceSsl: /,
      ],
    ];
    for (const [call, message] of cases) {
      const e = await failure(call());
      expect(e.Code, e.message).toBe('InvalidParameterValue');
      expect(e.$metadata.httpStatusCode).toBe(400);
      expect(e.message).toMatch(message);
    }
  });

  it('InvalidParameterCombination for standard parameters Gatehouse will not ignore, and a taken Listen', async () => {
    const listenSpare = await h.freeListen();
    const cases: Array<[() => Promise<unknown>, RegExp]> = [
      [
        () =>
          h.rds().send(
            withExtras(
              new CreateDBInstanceCommand({
                DBInstanceIdentifier: 'creds',
                Engine: 'postgres',
                DBInstanceClass: 'db.t3.micro',
                MasterUsername: 'root',
                MasterUserPassword: 'secret-password-1',
              }),
              { BackendUrl: h.backendUrl(), Listen: listenSpare },
            ),
          ),
        /^MasterUsername cannot be used with a Gatehouse DB instance: /,
      ],
      [
        () =>
          h
            .rds()
            .send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'orders', DeletionProtection: true })),
        /^DeletionProtection cannot be used with a Gatehouse DB instance: .*rds:DeleteDBInstance/,
      ],
      [
        () =>
          h.rds().send(
            new CreateDBInstanceCommand({
              DBInstanceIdentifier: 'plain',
              Engine: 'postgres',
              DBInstanceClass: 'db.t3.micro',
            }),
          ),
        /^BackendUrl is required: this gateway has no default backend\. Pass BackendUrl .*set rds\.defaultBackendUrl in the gateway config/,
      ],
      [
        () =>
          h
            .rds()
            .send(
              withExtras(
                new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'orders', DBPortNumber: 5999 }),
                { Listen: '127.0.0.1:5998' },
              ),
            ),
        /^DBPortNumber 5999 and Listen 127\.0\.0\.1:5998 name different ports/,
      ],
      [
        () =>
          h.rds().send(
            withExtras(
              new CreateDBInstanceCommand({
                DBInstanceIdentifier: 'ports',
                Engine: 'postgres',
                DBInstanceClass: 'db.t3.micro',
                Port: 5999,
              }),
              { BackendUrl: h.backendUrl(), Listen: listenSpare },
            ),
          ),
        /^Port 5999 and Listen .* name different ports/,
      ],
      [
        () => create('twin', { Listen: ordersListen }),
        /^listen address .* is already used by instance orders/,
      ],
    ];
    for (const [call, message] of cases) {
      const e = await failure(call());
      expect(e.Code, e.message).toBe('InvalidParameterCombination');
      expect(e.$metadata.httpStatusCode).toBeGreaterThanOrEqual(400);
      expect(e.message).toMatch(message);
    }
    const left = await h.t.gateway.controlPlane
      .describeInstances()
      .then((l) => l.map((v) => v.DBInstanceIdentifier));
    for (const id of ['creds', 'plain', 'ports']) expect(left).not.toContain(id);
    expect((await h.t.gateway.controlPlane.describeInstances('orders'))[0]?.Endpoint.Port).toBe(
      Number(ordersListen.split(':')[1]),
    );
  });

  it('AccessDenied with the rds: action and the instance ARN, as the JSON API authorises', async () => {
    const arn = (id: string) => `arn:aws:rds:${h.region}:${h.accountId}:db:${id}`;
    const mine = await h
      .rds(ordersOnly)
      .send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'orders' }));
    expect(mine.DBInstances).toHaveLength(1);
    await h.rds(ordersOnly).send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: 'orders',
        EnableIAMDatabaseAuthentication: true,
      }),
    );
    const cases: Array<[() => Promise<unknown>, string, string]> = [
      [() => h.rds(ordersOnly).send(new DescribeDBInstancesCommand({})), 'rds:DescribeDBInstances', arn('*')],
      [
        () => h.rds(ordersOnly).send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'audited' })),
        'rds:DescribeDBInstances',
        arn('audited'),
      ],
      [
        () => h.rds(ordersOnly).send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'orders' })),
        'rds:DeleteDBInstance',
        arn('orders'),
      ],
    ];
    for (const [call, action, resource] of cases) {
      const e = await failure(call());
      expect(e.Code).toBe('AccessDenied');
      expect(e.$metadata.httpStatusCode).toBe(403);
      expect(e.message).toBe(
        `User: arn:aws:iam::${h.accountId}:user/orders-operator is not authorized to perform: ${action} on resource: ${resource}`,
      );
    }
    const createDenied = await failure(
      h.rds(ordersOnly).send(
        withExtras(
          new CreateDBInstanceCommand({
            DBInstanceIdentifier: 'denied',
            Engine: 'postgres',
            DBInstanceClass: 'db.t3.micro',
          }),
          {
            BackendUrl: h.backendUrl(),
            Listen: await h.freeListen(),
          },
        ),
      ),
    );
    expect(createDenied.Code).toBe('AccessDenied');
    expect(createDenied.message).toContain(`rds:CreateDBInstance on resource: ${arn('denied')}`);
    const e = await h.eventOf(createDenied.$metadata.requestId);
    expect(e).toMatchObject({ eventSource: 'rds.amazonaws.com', errorCode: 'AccessDenied' });
    expect(e.requestParameters?.['BackendUrl']).toContain(HIDDEN);
  });
});

describe('CreateDBInstance with only RDS parameters, on a gateway with a default backend', () => {
  let d: RdsGateway;
  beforeAll(async () => {
    d = await startRdsGateway({ defaultBackend: true });
  });
  afterAll(async () => {
    await d?.stop();
  });

  /** An IAM token login over verified TLS to 127.0.0.1:port: the backend's current_user and database. */
  async function iamLogin(port: number, user: string, keys: Keys, database: string) {
    const password = await generateAuthToken({
      hostname: '127.0.0.1',
      port,
      username: user,
      region: d.region,
      credentials: keys,
    });
    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      user,
      database,
      password,
      ssl: { ca: d.ca, servername: 'localhost' },
    });
    await client.connect();
    try {
      return (await client.query('select current_user as u, current_database() as db')).rows[0];
    } finally {
      await client.end();
    }
  }

  async function databaseExists(name: string): Promise<boolean> {
    const r = await d.t.backendSql('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    return r.rowCount === 1;
  }

  it('Port sets the listener, DBName the database (created), and an IAM user logs in through it', async () => {
    const port = Number((await d.freeListen()).split(':')[1]);
    expect(await databaseExists('shop')).toBe(false);
    const res = await d.rds().send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: 'shop',
        Engine: 'postgres',
        DBInstanceClass: 'db.t3.micro',
        Port: port,
        DBName: 'shop',
        EnableIAMDatabaseAuthentication: true,
      }),
    );
    expect(res.DBInstance).toMatchObject({
      DBInstanceIdentifier: 'shop',
      DBInstanceStatus: 'available',
      DBName: 'shop',
      Endpoint: { Address: '127.0.0.1', Port: port },
      IAMDatabaseAuthenticationEnabled: true,
    });
    expect(await databaseExists('shop')).toBe(true);
    const [view] = await d.t.gateway.controlPlane.describeInstances('shop');
    expect(view?.BackendUrl).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/shop\?sslmode=disable$/);

    const described = await d.rds().send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'shop' }));
    const dbi = described.DBInstances?.[0]?.DbiResourceId as string;
    expect(dbi).toMatch(/^db-[A-Z0-9]{26}$/);
    expect(described.DBInstances?.[0]?.Endpoint?.Port).toBe(port);
    await d.t.gateway.controlPlane.createDbUser({ instance: 'shop', username: 'shop_app', auth: 'iam' });
    const key = await d.t.createIamPrincipal('shop-app', {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'rds-db:connect',
          Resource: `arn:aws:rds-db:${d.region}:${d.accountId}:dbuser:${dbi}/shop_app`,
        },
      ],
    });
    expect(await iamLogin(port, 'shop_app', key, 'shop')).toEqual({ u: 'shop_app', db: 'shop' });

    // ModifyDBInstance's DBPortNumber moves the listener: the new port serves, the old one stops.
    const moved = Number((await d.freeListen()).split(':')[1]);
    const modified = await d
      .rds()
      .send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'shop', DBPortNumber: moved }));
    expect(modified.DBInstance?.Endpoint).toEqual({ Address: '127.0.0.1', Port: moved });
    expect(
      await eventually(() => iamLogin(moved, 'shop_app', key, 'shop'), { what: `a login on port ${moved}` }),
    ).toEqual({ u: 'shop_app', db: 'shop' });
    await eventually(async () => expect(await refusedAt(port)).toBe('ECONNREFUSED'), {
      what: `port ${port} closed after the move`,
    });

    const deleted = await d
      .rds()
      .send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'shop', SkipFinalSnapshot: true }));
    expect(deleted.DBInstance?.DBInstanceStatus).toBe('deleting');
    expect(
      (await failure(d.rds().send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'shop' })))).name,
    ).toBe('DBInstanceNotFoundFault');
    // Deleting deregisters; the database and its data stay, as for an instance given a BackendUrl.
    expect(await databaseExists('shop')).toBe(true);
  });

  it('DBName of an existing database uses it; without DBName the default backend database (postgres)', async () => {
    const shared = await d.rds().send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: 'existing',
        Engine: 'postgres',
        DBInstanceClass: 'db.t3.micro',
        Port: Number((await d.freeListen()).split(':')[1]),
        DBName: 'app',
      }),
    );
    expect(shared.DBInstance?.DBInstanceStatus).toBe('available');
    const plain = await d.rds().send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: 'nodbname',
        Engine: 'postgres',
        DBInstanceClass: 'db.t3.micro',
        Port: Number((await d.freeListen()).split(':')[1]),
      }),
    );
    expect(plain.DBInstance?.DBInstanceStatus).toBe('available');
    const views = await d.t.gateway.controlPlane.describeInstances();
    const backendOf = (id: string) =>
      new URL(views.find((v) => v.DBInstanceIdentifier === id)?.BackendUrl ?? '').pathname;
    expect([backendOf('existing'), backendOf('nodbname')]).toEqual(['/app', '/postgres']);
    expect([shared.DBInstance?.DBName, plain.DBInstance?.DBName]).toEqual(['app', 'postgres']);
  });

  it("without Port: RDS's default port 5432 when free, else the first free port above it", async () => {
    let expected = 5432;
    while ((await refusedAt(expected)) !== 'ECONNREFUSED') expected++;
    const res = await d.rds().send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: 'anyport',
        Engine: 'postgres',
        DBInstanceClass: 'db.t3.micro',
        DBName: 'anyport',
      }),
    );
    const port = res.DBInstance?.Endpoint?.Port as number;
    expect(port).toBe(expected);
    const password = await d.t.createUser('anyport', 'any_user');
    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      user: 'any_user',
      password,
      database: 'anyport',
      ssl: { ca: d.ca, servername: 'localhost' },
    });
    await client.connect();
    try {
      expect((await client.query('select current_database() as db')).rows[0]).toEqual({ db: 'anyport' });
    } finally {
      await client.end();
    }
  });

  it('Port and Listen together must agree; an explicit BackendUrl still wins over the default', async () => {
    const listen = await d.freeListen();
    const port = Number(listen.split(':')[1]);
    const agreed = await d.rds().send(
      withExtras(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: 'agreed',
          Engine: 'postgres',
          DBInstanceClass: 'db.t3.micro',
          Port: port,
        }),
        { Listen: listen, BackendUrl: d.backendUrl() },
      ),
    );
    expect(agreed.DBInstance?.Endpoint?.Port).toBe(port);
    const [view] = await d.t.gateway.controlPlane.describeInstances('agreed');
    expect(new URL(view?.BackendUrl ?? '').pathname).toBe('/app');
    const e = await failure(
      d.rds().send(
        withExtras(
          new CreateDBInstanceCommand({
            DBInstanceIdentifier: 'disagreed',
            Engine: 'postgres',
            DBInstanceClass: 'db.t3.micro',
            Port: port + 1,
          }),
          { Listen: await d.freeListen() },
        ),
      ),
    );
    expect(e.Code).toBe('InvalidParameterCombination');
    expect(e.message).toMatch(/^Port \d+ and Listen 127\.0\.0\.1:\d+ name different ports/);
  });

  it("the default backend cannot front the gateway's own store database", async () => {
    const e = await failure(
      d.rds().send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: 'store',
          Engine: 'postgres',
          DBInstanceClass: 'db.t3.micro',
          Port: Number((await d.freeListen()).split(':')[1]),
          DBName: 'gatehouse',
        }),
      ),
    );
    expect(e.Code).toBe('InvalidParameterValue');
    expect(e.message).toMatch(/^DBName: gatehouse is the database of the gateway's own state store/);
    expect(
      (await d.t.gateway.controlPlane.describeInstances()).map((v) => v.DBInstanceIdentifier),
    ).not.toContain('store');
  });
});

/** How a TCP connect to 127.0.0.1:port ends: 'connected', or the error code (ECONNREFUSED once nothing listens). */
function refusedAt(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
  });
}
