// The real AWS CLI (`aws rds … --endpoint-url`) against the RDS Query API: describe (with its own pagination and
// filters), create from RDS's own parameters on a gateway with a default backend (--port, --db-name), modify
// (--db-port-number), delete, RDS's error codes; and `aws ec2|s3api|lambda …` told which services Gatehouse serves.
// Both the CLI on PATH (v1 or v2) and Debian's /usr/bin/aws (v2) when present.
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../../src/store/embedded.js';
import { eventually } from '../../support/eventually.js';
import { requireBinary } from '../../support/require-binary.js';
import { type Keys, type RdsGateway, startRdsGateway } from './support/rds-harness.js';

const onPath = requireBinary('aws');

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The CLI on PATH and Debian's awscli (which CI installs), each once. */
const binaries = [
  ...new Set([...(onPath ? [onPath] : []), ...(executable('/usr/bin/aws') ? ['/usr/bin/aws'] : [])]),
];

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

describe.skipIf(binaries.length === 0)('the AWS CLI against the RDS Query API', () => {
  /** Has a default backend (config rds.defaultBackendUrl); `bare` has none. */
  let h: RdsGateway;
  let bare: RdsGateway;
  let dir: string;
  const ids = Array.from({ length: 24 }, (_, i) => `cli-${String(i).padStart(2, '0')}`);

  beforeAll(async () => {
    [h, bare] = await Promise.all([startRdsGateway({ defaultBackend: true }), startRdsGateway()]);
    // Instances are made through the control plane: the CLI cannot send Gatehouse's BackendUrl and Listen.
    for (const id of ids) {
      await h.t.gateway.controlPlane.createInstance({
        identifier: id,
        engine: 'postgres',
        backendUrl: h.backendUrl(),
        listen: await h.freeListen(),
      });
    }
    const limited: Keys = await h.t.createIamPrincipal('cli-reader', {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'rds:DescribeDBInstances', Resource: '*' }],
    });
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-rds-cli-'));
    await writeFile(join(dir, 'config'), '');
    await writeFile(
      join(dir, 'credentials'),
      `[default]\naws_access_key_id = ${h.admin.accessKeyId}\naws_secret_access_key = ${h.admin.secretAccessKey}\n` +
        `[reader]\naws_access_key_id = ${limited.accessKeyId}\naws_secret_access_key = ${limited.secretAccessKey}\n` +
        `[bare]\naws_access_key_id = ${bare.admin.accessKeyId}\naws_secret_access_key = ${bare.admin.secretAccessKey}\n`,
      { mode: 0o600 },
    );
    await writeFile(join(dir, 'ca.pem'), h.ca);
    await writeFile(join(dir, 'bare-ca.pem'), bare.ca);
  });
  afterAll(async () => {
    await Promise.all([h?.stop(), bare?.stop()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Only the temp credentials file counts: the caller's AWS_* settings and ~/.aws are kept out. */
  function cliEnv(keys?: Keys): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_')) env[k] = v;
    return {
      ...env,
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
      AWS_CONFIG_FILE: join(dir, 'config'),
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_PAGER: '',
      // Environment credentials come before the credentials file, as for any AWS tool.
      ...(keys ? { AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: keys.secretAccessKey } : {}),
    };
  }

  /** `bare`: the gateway without a default backend (profile bare). `keys`: environment credentials. */
  function aws(
    bin: string,
    args: string[],
    o: { region?: string; bare?: boolean; keys?: Keys } = {},
  ): Promise<CliResult> {
    const all = [
      ...args,
      ...(o.bare ? ['--profile', 'bare'] : []),
      '--endpoint-url',
      (o.bare ? bare : h).t.gateway.apiUrl,
      '--ca-bundle',
      join(dir, o.bare ? 'bare-ca.pem' : 'ca.pem'),
      '--region',
      o.region ?? h.region,
      '--output',
      'json',
    ];
    return new Promise((resolve) => {
      execFile(bin, all, { env: cliEnv(o.keys), timeout: 60_000 }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  }

  async function ok(bin: string, args: string[]): Promise<Record<string, unknown>> {
    const r = await aws(bin, args);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  }

  async function refused(
    bin: string,
    args: string[],
    o: { region?: string; bare?: boolean } = {},
  ): Promise<string> {
    const r = await aws(bin, args, o);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    return r.stderr;
  }

  describe.each(binaries)('%s', (bin) => {
    const suffix = bin === '/usr/bin/aws' ? 'deb' : 'path';

    it('describe-db-instances follows Marker pages (--page-size 20) to every instance, in RDS shape', async () => {
      const out = await ok(bin, ['rds', 'describe-db-instances', '--page-size', '20']);
      const list = out['DBInstances'] as Array<Record<string, unknown>>;
      const live = (await h.t.gateway.controlPlane.describeInstances()).map((v) => v.DBInstanceIdentifier);
      expect(live.length).toBeGreaterThan(20);
      expect(list.map((d) => d['DBInstanceIdentifier'])).toEqual(live.sort());
      expect(list[0]).toMatchObject({
        DBInstanceIdentifier: 'cli-00',
        Engine: 'postgres',
        DBInstanceStatus: 'available',
        Endpoint: { Address: '127.0.0.1', Port: expect.any(Number) },
        DBInstanceArn: `arn:aws:rds:${h.region}:${h.accountId}:db:cli-00`,
        IAMDatabaseAuthenticationEnabled: false,
        InstanceCreateTime: expect.any(String),
      });
      expect(list[0]?.['DbiResourceId']).toMatch(/^db-[A-Z0-9]{26}$/);
    });

    it('--db-instance-identifier, --filters and --query select as on RDS', async () => {
      const r = await aws(bin, [
        'rds',
        'describe-db-instances',
        '--db-instance-identifier',
        'cli-03',
        '--query',
        'DBInstances[0].DbiResourceId',
      ]);
      const [view] = await h.t.gateway.controlPlane.describeInstances('cli-03');
      expect(JSON.parse(r.stdout)).toBe(view?.DbiResourceId);
      const filtered = await ok(bin, [
        'rds',
        'describe-db-instances',
        '--filters',
        'Name=db-instance-id,Values=cli-05,cli-07',
        'Name=engine,Values=postgres',
      ]);
      expect(
        (filtered['DBInstances'] as Array<Record<string, unknown>>).map((d) => d['DBInstanceIdentifier']),
      ).toEqual(['cli-05', 'cli-07']);
    });

    it('modify-db-instance and delete-db-instance change the instance', async () => {
      const modified = await ok(bin, [
        'rds',
        'modify-db-instance',
        '--db-instance-identifier',
        `cli-1${suffix === 'deb' ? 1 : 0}`,
        '--enable-iam-database-authentication',
        '--apply-immediately',
      ]);
      expect(modified['DBInstance']).toMatchObject({
        DBInstanceStatus: 'available',
        IAMDatabaseAuthenticationEnabled: true,
      });
      const id = `cli-2${suffix === 'deb' ? 1 : 0}`;
      const deleted = await ok(bin, [
        'rds',
        'delete-db-instance',
        '--db-instance-identifier',
        id,
        '--skip-final-snapshot',
      ]);
      expect(deleted['DBInstance']).toMatchObject({ DBInstanceIdentifier: id, DBInstanceStatus: 'deleting' });
      await expect(h.t.gateway.controlPlane.describeInstances(id)).rejects.toMatchObject({
        code: 'GH_INSTANCE_NOT_FOUND',
      });
    });

    it('create-db-instance --port --db-name makes a working instance on the default backend; --db-port-number moves it', async () => {
      const id = `cli-new-${suffix}`;
      const database = `cli_${suffix}`;
      const user = `cli_app_${suffix}`;
      const port = await findFreePort();
      const created = await ok(bin, [
        'rds',
        'create-db-instance',
        '--db-instance-identifier',
        id,
        '--engine',
        'postgres',
        '--db-instance-class',
        'db.t3.micro',
        '--port',
        String(port),
        '--db-name',
        database,
        '--enable-iam-database-authentication',
      ]);
      expect(created['DBInstance']).toMatchObject({
        DBInstanceIdentifier: id,
        DBInstanceStatus: 'available',
        DBName: database,
        Endpoint: { Address: '127.0.0.1', Port: port },
        IAMDatabaseAuthenticationEnabled: true,
      });
      const described = await ok(bin, ['rds', 'describe-db-instances', '--db-instance-identifier', id]);
      const [instance] = described['DBInstances'] as Array<{
        Endpoint: { Port: number };
        DbiResourceId: string;
      }>;
      expect(instance?.Endpoint.Port).toBe(port);
      const dbi = instance?.DbiResourceId as string;
      expect(dbi).toMatch(/^db-[A-Z0-9]{26}$/);

      // An IAM database user, a principal allowed rds-db:connect on it by DbiResourceId, and a token from the CLI.
      await h.t.gateway.controlPlane.createDbUser({ instance: id, username: user, auth: 'iam' });
      const key = await h.t.createIamPrincipal(`cli-connect-${suffix}`, {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 'rds-db:connect',
            Resource: `arn:aws:rds-db:${h.region}:${h.accountId}:dbuser:${dbi}/${user}`,
          },
        ],
      });
      const login = async (p: number) => {
        const token = await aws(
          bin,
          [
            'rds',
            'generate-db-auth-token',
            '--hostname',
            '127.0.0.1',
            '--port',
            String(p),
            '--username',
            user,
          ],
          { keys: key },
        );
        expect(token.stderr).toBe('');
        const client = new pg.Client({
          host: '127.0.0.1',
          port: p,
          user,
          database,
          password: token.stdout.trim(),
          ssl: { ca: h.ca, servername: 'localhost' },
        });
        await client.connect();
        try {
          return (await client.query('select current_user as u, current_database() as db')).rows[0];
        } finally {
          await client.end();
        }
      };
      expect(await login(port)).toEqual({ u: user, db: database });

      const moved = await findFreePort();
      const modified = await ok(bin, [
        'rds',
        'modify-db-instance',
        '--db-instance-identifier',
        id,
        '--db-port-number',
        String(moved),
        '--apply-immediately',
      ]);
      expect(modified['DBInstance']).toMatchObject({ Endpoint: { Address: '127.0.0.1', Port: moved } });
      expect(await eventually(() => login(moved), { what: `a login on the new port ${moved}` })).toEqual({
        u: user,
        db: database,
      });
      await eventually(() => expect(login(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' }), {
        what: `the old port ${port} closed`,
      });

      const deleted = await ok(bin, [
        'rds',
        'delete-db-instance',
        '--db-instance-identifier',
        id,
        '--skip-final-snapshot',
      ]);
      expect(deleted['DBInstance']).toMatchObject({ DBInstanceIdentifier: id, DBInstanceStatus: 'deleting' });
      expect(await refused(bin, ['rds', 'describe-db-instances', '--db-instance-identifier', id])).toMatch(
        /\(DBInstanceNotFound\)/,
      );
    });

    it("errors carry RDS's codes and say what to do", async () => {
      expect(
        await refused(bin, ['rds', 'describe-db-instances', '--db-instance-identifier', 'absent']),
      ).toMatch(/\(DBInstanceNotFound\).*DB instance absent not found/);
      // A gateway without a default backend says what is missing and how to configure one.
      expect(
        await refused(
          bin,
          [
            'rds',
            'create-db-instance',
            '--db-instance-identifier',
            'from-cli',
            '--engine',
            'postgres',
            '--db-instance-class',
            'db.t3.micro',
            '--port',
            String(await findFreePort()),
          ],
          { bare: true },
        ),
      ).toMatch(
        /\(InvalidParameterCombination\).*BackendUrl is required: this gateway has no default backend\. Pass BackendUrl .*set rds\.defaultBackendUrl in the gateway config/,
      );
      expect(await bare.t.gateway.controlPlane.describeInstances()).toEqual([]);
      expect(
        await refused(bin, [
          'rds',
          'create-db-instance',
          '--db-instance-identifier',
          'bad-port',
          '--engine',
          'postgres',
          '--db-instance-class',
          'db.t3.micro',
          '--port',
          '70000',
        ]),
      ).toMatch(/\(InvalidParameterValue\).*Port: must be 1-65535/);
      expect(
        await refused(bin, [
          'rds',
          'modify-db-instance',
          '--db-instance-identifier',
          'cli-01',
          '--master-user-password',
          'not-a-gatehouse-thing',
        ]),
      ).toMatch(
        /\(InvalidParameterCombination\).*MasterUserPassword cannot be used with a Gatehouse DB instance/,
      );
      expect(
        await refused(bin, [
          'rds',
          'delete-db-instance',
          '--db-instance-identifier',
          'cli-01',
          '--skip-final-snapshot',
          '--profile',
          'reader',
        ]),
      ).toMatch(
        /\(AccessDenied\).*user\/cli-reader is not authorized to perform: rds:DeleteDBInstance on resource: arn:aws:rds:[^:]+:\d{12}:db:cli-01/,
      );
    });

    it('a CLI configured for another region is told the region to use, not SignatureDoesNotMatch with a secret to check', async () => {
      const other = h.region === 'eu-west-1' ? 'us-east-1' : 'eu-west-1';
      const stderr = await refused(bin, ['rds', 'describe-db-instances'], { region: other });
      expect(stderr).toContain(`credential should be scoped to region "${h.region}", not "${other}"`);
      expect(stderr).not.toMatch(/secret access key/);
    });

    it('ec2, s3api and lambda commands are told the services Gatehouse serves, naming theirs', async () => {
      for (const [args, service] of [
        [['ec2', 'describe-instances'], 'ec2'],
        [['s3api', 'list-buckets'], 's3'],
        [['lambda', 'list-functions'], 'lambda'],
      ] as const) {
        const stderr = await refused(bin, [...args]);
        expect(stderr, service).toContain('(UnknownService)');
        expect(stderr, service).toContain(`Gatehouse serves the iam, sts and rds`);
        expect(stderr, service).toContain(`this request was signed for the service '${service}'`);
        expect(stderr, service).not.toMatch(/SignatureDoesNotMatch|secret access key/);
      }
    });
  });
});
