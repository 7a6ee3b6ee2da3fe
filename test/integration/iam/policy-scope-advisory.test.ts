// GH-SA-2026-001 (docs/security.md): the advisory's exposure query, taken from the doc itself, run read-only
// against a real store filled through the IAM API, lists exactly the affected policy values; and the audit lines
// and simulation the advisory tells operators to use show what the fixed evaluator refuses.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  CreateUserCommand,
  type IAMClient,
  PutGroupPolicyCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  SimulatePrincipalPolicyCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { Signer } from '@aws-sdk/rds-signer';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { conninfo, runPsql } from '../../support/psql.js';
import { requireBinary } from '../../support/require-binary.js';
import {
  type IamDbGateway,
  pgLogin,
  type SdkKeys,
  startIamDbGateway,
} from '../iam-db/support/iam-db-harness.js';

const psql = requireBinary('psql');
const DOC = join(import.meta.dirname, '../../../docs/security.md');
const DBI = 'db-ABCDEFGHIJKL';

/** The one ```sql block of the GH-SA-2026-001 section of docs/security.md, exactly as printed. */
async function advisoryQuery(): Promise<string> {
  const text = await readFile(DOC, 'utf8');
  const start = text.indexOf('\n## GH-SA-2026-001');
  if (start < 0) throw new Error('docs/security.md has no "## GH-SA-2026-001" section');
  const next = text.indexOf('\n## ', start + 1);
  const section = text.slice(start, next < 0 ? text.length : next);
  const blocks = [...section.matchAll(/^```sql\n([\s\S]*?)^```$/gm)].map((m) => m[1] as string);
  if (blocks.length !== 1) throw new Error(`GH-SA-2026-001 has ${blocks.length} sql blocks, expected 1`);
  return blocks[0] as string;
}

type Row = Record<
  'kind' | 'owner' | 'policy' | 'version' | 'statement' | 'sid' | 'effect' | 'element' | 'pattern' | 'issue',
  string | null
>;

/** A row as one readable line (NULL as empty, as psql -A prints it). */
const line = (r: Row): string =>
  [r.kind, r.owner, r.policy, r.version, r.statement, r.sid, r.effect, r.element, r.pattern, r.issue]
    .map((v) => v ?? '')
    .join('|');

const doc = (statement: object | object[], version: string | null = '2012-10-17') =>
  JSON.stringify(version === null ? { Statement: statement } : { Version: version, Statement: statement });

describe('GH-SA-2026-001 exposure query (docs/security.md) against a store filled through the IAM API', () => {
  let h: IamDbGateway;
  let iam: IAMClient;
  let query: string;
  let rows: Row[];
  let lines: string[];
  let sessionKey: string;
  /** arn:aws:rds-db:REGION:ACCOUNT:dbuser: and arn:aws:rds:REGION:ACCOUNT:db: of the test deployment. */
  let A: string;
  let DB: string;

  const storeClient = () =>
    new pg.Client({
      connectionString: h.t.postgres.adminUrl('gatehouse'),
      // As the advisory runs it: in read-only transactions, so a write would fail the test.
      options: '-c default_transaction_read_only=on',
    });

  beforeAll(async () => {
    h = await startIamDbGateway();
    iam = h.iam();
    A = `arn:aws:rds-db:${h.region}:${h.accountId}:dbuser:`;
    DB = `arn:aws:rds:${h.region}:${h.accountId}:db:`;
    const putFor = (UserName: string, PolicyName: string, PolicyDocument: string) =>
      iam.send(new PutUserPolicyCommand({ UserName, PolicyName, PolicyDocument }));
    const put = (PolicyName: string, PolicyDocument: string) => putFor('alice', PolicyName, PolicyDocument);
    // The policies the query must NOT list go to a second user: a user's inline policies together may hold
    // at most 2,048 characters (AWS's quota, enforced), and alice's would not fit them all.
    const putUnlisted = (PolicyName: string, PolicyDocument: string) =>
      putFor('alice_unlisted', PolicyName, PolicyDocument);

    await iam.send(new CreateUserCommand({ UserName: 'alice' }));
    await iam.send(new CreateUserCommand({ UserName: 'alice_unlisted' }));
    // Affected, one statement object and Resource a string.
    await put('any-instance', doc({ Effect: 'Allow', Action: 'rds-db:connect', Resource: `${A}*/alice` }));
    await put(
      'self',
      doc([
        {
          Sid: 'Self',
          Effect: 'Allow',
          Action: 'rds-db:connect',
          Resource: [`${A}*/\${aws:username}`, `${A}${DBI}/\${aws:username}`],
        },
      ]),
    );
    await putUnlisted(
      'unaffected',
      doc([
        {
          Sid: 'Fine',
          Effect: 'Allow',
          Action: 'rds-db:connect',
          Resource: ['arn:aws:rds-db:*:*:dbuser:*/alice', `${A}${DBI}/*`, `${A}${DBI}/alice`],
        },
        { Sid: 'Bucket', Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/*' },
        { Sid: 'Everything', Effect: 'Allow', Action: 'iam:GetUser', Resource: '*' },
        { Sid: 'Staging', Effect: 'Allow', Action: 'rds:ModifyDBInstance', Resource: `${DB}staging-*` },
      ]),
    );
    await put(
      'arn-conditions',
      doc([
        {
          Sid: 'FromX',
          Effect: 'Allow',
          Action: 'rds-db:connect',
          Resource: '*',
          Condition: { ArnLike: { 'aws:SourceArn': `${A}*/x` } },
        },
        {
          Sid: 'KeepProd',
          Effect: 'Deny',
          Action: 'rds:DeleteDBInstance',
          Resource: '*',
          Condition: {
            'ForAnyValue:ArnNotEqualsIfExists': { 'aws:SourceArn': [`${DB}prod`, `${DB}prod-?`] },
          },
        },
        {
          Sid: 'Fine',
          Effect: 'Allow',
          Action: 'rds-db:connect',
          Resource: '*',
          Condition: {
            ArnLike: { 'aws:SourceArn': 'arn:aws:rds:*:*:db:*-prod' },
            StringLike: { 'aws:userid': 'a:b:c:d:e:f:*x' },
          },
        },
      ]),
    );
    const literal = [`${A}${DBI}/\${aws:username}`, `${A}${DBI}/\${aws:username}*`];
    await putUnlisted(
      'legacy',
      doc([{ Sid: 'Legacy', Effect: 'Allow', Action: 'rds-db:connect', Resource: literal }], '2008-10-17'),
    );
    await putUnlisted(
      'no-version',
      doc([{ Sid: 'NoVersion', Effect: 'Allow', Action: 'rds-db:connect', Resource: literal }], null),
    );
    await put(
      'variables-2012',
      doc([{ Sid: 'Same', Effect: 'Allow', Action: 'rds-db:connect', Resource: literal }]),
    );
    await put(
      'variables',
      doc([
        {
          Sid: 'NotHome',
          Effect: 'Allow',
          Action: 's3:GetObject',
          NotResource: `arn:aws:s3:::home/\${aws:username}/*`,
        },
        {
          Sid: 'NotTeam',
          Effect: 'Allow',
          Action: 's3:PutObject',
          Resource: 'arn:aws:s3:::shared/*',
          Condition: { StringNotEquals: { 'aws:PrincipalTag/team': `\${aws:username}` } },
        },
        {
          Sid: 'DenyNotHome',
          Effect: 'Deny',
          Action: 's3:DeleteObject',
          NotResource: `arn:aws:s3:::home/\${aws:username}/*`,
        },
        {
          Sid: 'Team',
          Effect: 'Allow',
          Action: 's3:ListBucket',
          Resource: 'arn:aws:s3:::shared',
          Condition: { StringEquals: { 'aws:PrincipalTag/team': `\${aws:username}` } },
        },
        {
          Sid: 'Escapes',
          Effect: 'Allow',
          Action: 's3:GetObject',
          NotResource: `arn:aws:s3:::odd/\${*}/\${?}/\${$}`,
        },
      ]),
    );

    await iam.send(new CreateGroupCommand({ GroupName: 'analysts' }));
    await iam.send(
      new PutGroupPolicyCommand({
        GroupName: 'analysts',
        PolicyName: 'app-users',
        PolicyDocument: doc([
          { Sid: 'AppUsers', Effect: 'Allow', Action: 'rds-db:connect', Resource: [`${A}${DBI}/app_us?`] },
          {
            Sid: 'OnlyAppUsers',
            Effect: 'Deny',
            Action: 'rds-db:connect',
            NotResource: `${A}${DBI}/app_us?`,
          },
        ]),
      }),
    );

    const created = await iam.send(
      new CreatePolicyCommand({
        PolicyName: 'db-access',
        PolicyDocument: doc({ Effect: 'Allow', Action: 'rds-db:connect', Resource: `${A}${DBI}/*` }),
      }),
    );
    await iam.send(
      new CreatePolicyVersionCommand({
        PolicyArn: created.Policy?.Arn,
        PolicyDocument: doc({ Effect: 'Allow', Action: 'rds-db:connect', Resource: `${A}*/alice` }),
        SetAsDefault: false,
      }),
    );
    await iam.send(
      new CreatePolicyCommand({
        PolicyName: 'staging-admin',
        PolicyDocument: doc([{ Effect: 'Allow', Action: 'rds:*', Resource: `${DB}*-staging` }]),
      }),
    );

    const root = { AWS: `arn:aws:iam::${h.accountId}:root` };
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'deployer',
        AssumeRolePolicyDocument: doc([
          {
            Effect: 'Allow',
            Principal: root,
            Action: 'sts:AssumeRole',
            Condition: { ArnLike: { 'aws:SourceArn': `${DB}*-prod` } },
          },
        ]),
      }),
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'deployer',
        PolicyName: 'staging',
        PolicyDocument: doc({ Effect: 'Allow', Action: 'rds:ModifyDBInstance', Resource: `${DB}*-staging` }),
      }),
    );
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'app',
        AssumeRolePolicyDocument: doc([{ Effect: 'Allow', Principal: root, Action: 'sts:AssumeRole' }]),
      }),
    );
    const session = await h.sts(h.admin).send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${h.accountId}:role/app`,
        RoleSessionName: 'batch',
        Policy: doc([{ Effect: 'Allow', Action: 'rds-db:connect', Resource: `${A}${DBI}/app_?` }]),
      }),
    );
    sessionKey = session.Credentials?.AccessKeyId as string;

    query = await advisoryQuery();
    const client = storeClient();
    await client.connect();
    try {
      rows = (await client.query<Row>(query)).rows;
    } finally {
      await client.end();
    }
    lines = rows.map(line);
  });
  afterAll(async () => h?.t.stop());

  it('the advisory holds exactly one sql block, and it runs in a read-only transaction', async () => {
    expect(query).toMatch(/^-- GH-SA-2026-001/);
    const client = storeClient();
    await client.connect();
    try {
      expect((await client.query('SHOW transaction_read_only')).rows).toEqual([
        { transaction_read_only: 'on' },
      ]);
      await expect(client.query(query)).resolves.toBeDefined();
    } finally {
      await client.end();
    }
  });

  it('lists exactly the affected values: six colons before the first wildcard or variable, more than a lone * after', () => {
    const u = `arn:aws:iam::${h.accountId}`;
    expect(lines).toEqual([
      `group inline policy|analysts|app-users||Statement[0]|AppUsers|Allow|Resource|${A}${DBI}/app_us?|arn-prefix`,
      `group inline policy|analysts|app-users||Statement[1]|OnlyAppUsers|Deny|NotResource|${A}${DBI}/app_us?|arn-prefix`,
      `managed policy|${u}:policy/db-access|db-access|v2|Statement||Allow|Resource|${A}*/alice|arn-prefix`,
      `managed policy|${u}:policy/staging-admin|staging-admin|v1 (default)|Statement[0]||Allow|Resource|${DB}*-staging|arn-prefix`,
      `role inline policy|deployer|staging||Statement||Allow|Resource|${DB}*-staging|arn-prefix`,
      `role trust policy|deployer|||Statement[0]||Allow|Condition ArnLike aws:SourceArn|${DB}*-prod|arn-prefix`,
      `session policy|${u}:role/app|batch|${sessionKey}|Statement[0]||Allow|Resource|${A}${DBI}/app_?|arn-prefix`,
      `user inline policy|alice|any-instance||Statement||Allow|Resource|${A}*/alice|arn-prefix`,
      `user inline policy|alice|arn-conditions||Statement[0]|FromX|Allow|Condition ArnLike aws:SourceArn|${A}*/x|arn-prefix`,
      `user inline policy|alice|arn-conditions||Statement[1]|KeepProd|Deny|Condition ForAnyValue:ArnNotEqualsIfExists aws:SourceArn|${DB}prod-?|arn-prefix`,
      `user inline policy|alice|self||Statement[0]|Self|Allow|Resource|${A}*/\${aws:username}|arn-prefix`,
      `user inline policy|alice|self||Statement[0]|Self|Allow|Resource|${A}${DBI}/\${aws:username}|arn-prefix`,
      `user inline policy|alice|variables||Statement[0]|NotHome|Allow|NotResource|arn:aws:s3:::home/\${aws:username}/*|unresolved-variable`,
      `user inline policy|alice|variables||Statement[1]|NotTeam|Allow|Condition StringNotEquals aws:PrincipalTag/team|\${aws:username}|unresolved-variable`,
      `user inline policy|alice|variables-2012||Statement[0]|Same|Allow|Resource|${A}${DBI}/\${aws:username}|arn-prefix`,
      `user inline policy|alice|variables-2012||Statement[0]|Same|Allow|Resource|${A}${DBI}/\${aws:username}*|arn-prefix`,
    ]);
  });

  it('does not list a wildcard in an earlier part, a lone trailing *, exact ARNs, other services or *', () => {
    const listed = new Set(rows.map((r) => r.pattern));
    for (const fine of [
      'arn:aws:rds-db:*:*:dbuser:*/alice',
      `${A}${DBI}/*`,
      `${A}${DBI}/alice`,
      'arn:aws:s3:::bucket/*',
      '*',
      `${DB}staging-*`,
      `${DB}prod`,
      'arn:aws:rds:*:*:db:*-prod',
    ]) {
      expect(listed.has(fine), fine).toBe(false);
    }
    expect(
      rows.filter((r) => r.policy === 'unaffected' || (r.policy === 'db-access' && r.version !== 'v2')),
    ).toEqual([]);
  });

  it('finds values in every kind of stored policy, including a non-default managed version and a session policy', () => {
    expect(new Set(rows.map((r) => r.kind))).toEqual(
      new Set([
        'user inline policy',
        'group inline policy',
        'role inline policy',
        'role trust policy',
        'managed policy',
        'session policy',
      ]),
    );
    expect(rows.filter((r) => r.policy === 'db-access').map((r) => r.version)).toEqual(['v2']);
  });

  it('cuts at a variable only in Version 2012-10-17 policies: in 2008-10-17 and without Version it is literal text', () => {
    const byPolicy = (name: string) => rows.filter((r) => r.policy === name).map((r) => r.pattern);
    expect(byPolicy('legacy')).toEqual([]);
    expect(byPolicy('no-version')).toEqual([]);
    expect(byPolicy('variables-2012')).toHaveLength(2);
  });

  it('lists an Allow whose NotResource or negated condition value has a variable, not a Deny, a positive operator or escapes', () => {
    expect(rows.filter((r) => r.issue === 'unresolved-variable').map((r) => r.sid)).toEqual([
      'NotHome',
      'NotTeam',
    ]);
  });

  it.skipIf(psql === null)(
    'psql runs the block from a file, as the advisory says, and prints the same rows',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'gh-sa-2026-001-'));
      try {
        const file = join(dir, 'gh-sa-2026-001.sql');
        await writeFile(file, query);
        const url = new URL(h.t.postgres.adminUrl('gatehouse'));
        const r = await runPsql(
          conninfo({
            host: url.hostname,
            port: url.port,
            dbname: 'gatehouse',
            user: 'postgres',
            options: '-c default_transaction_read_only=on',
          }),
          [],
          { bin: psql as string, password: decodeURIComponent(url.password), args: ['-f', file] },
        );
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        expect(r.stdout.trimEnd().split('\n')).toEqual(lines);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );

  it('after the fix an Allow on dbuser:*/alice admits only alice: the db.connect audit lines and SimulatePrincipalPolicy the advisory names say so', async () => {
    const port = await h.t.createInstance('orders', { iam: true });
    await h.t.createIamDbUser('orders', 'alice');
    await h.t.createIamDbUser('orders', 'app_admin');
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'alice' }))).AccessKey;
    const alice: SdkKeys = {
      accessKeyId: key?.AccessKeyId as string,
      secretAccessKey: key?.SecretAccessKey as string,
    };
    const login = async (user: string) => {
      const signer = new Signer({
        hostname: 'localhost',
        port,
        username: user,
        region: h.region,
        credentials: alice,
      });
      return pgLogin({ port, user, password: await signer.getAuthToken(), ca: h.ca });
    };
    expect(await login('alice')).toEqual({ ok: true, user: 'alice' });
    expect(await login('app_admin')).toMatchObject({ ok: false, sqlstate: '28000' });

    const principalArn = `arn:aws:iam::${h.accountId}:user/alice`;
    // The gateway writes the event just after answering the client: wait for both lines to be there.
    const events = await vi.waitFor(
      () => {
        const found = h.logLines
          .map((l) => JSON.parse(l) as Record<string, unknown>)
          .filter((e) => e['audit'] === true && e['type'] === 'db.connect' && e['method'] === 'iam');
        if (found.length < 2) throw new Error(`${found.length} db.connect audit line(s) so far`);
        return found;
      },
      { timeout: 5_000, interval: 20 },
    );
    expect(events).toContainEqual(
      expect.objectContaining({
        instance: 'orders',
        dbUser: 'alice',
        principalArn,
        accessKeyId: alice.accessKeyId,
        outcome: 'success',
        msg: 'db.connect',
      }),
    );
    expect(events).toContainEqual(
      expect.objectContaining({
        instance: 'orders',
        dbUser: 'app_admin',
        principalArn,
        outcome: 'failure',
        code: 'GH_IAM_CONNECT_DENIED',
      }),
    );
    for (const e of events) {
      for (const field of ['at', 'requestId', 'database', 'source', 'tls']) expect(e).toHaveProperty(field);
    }

    const simulated = await iam.send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: principalArn,
        ActionNames: ['rds-db:connect'],
        ResourceArns: [await h.dbUserArn('orders', 'alice'), await h.dbUserArn('orders', 'app_admin')],
      }),
    );
    expect(
      simulated.EvaluationResults?.map((r) => [r.EvalResourceName?.split('/').pop(), r.EvalDecision]),
    ).toEqual([
      ['alice', 'allowed'],
      ['app_admin', 'implicitDeny'],
    ]);
  });
});
