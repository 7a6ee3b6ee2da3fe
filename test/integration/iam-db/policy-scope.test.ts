// The Resource of an rds-db:connect policy limits which DB users a principal may log in as, end to end: tokens
// minted by the real AWS CLI, real logins through the gateway, one IAM user per documented policy shape. Also the
// same scoping for management actions on path-scoped IAM users and roles, and SimulateCustomPolicy's verdict.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables are written ${...} inside plain strings.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CreateRoleCommand,
  CreateUserCommand,
  GetRoleCommand,
  GetUserCommand,
  type IAMClient,
  ListAccessKeysCommand,
  PutRolePolicyCommand,
  SimulateCustomPolicyCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type TestPostgres } from '../../support/embedded-pg.js';
import type { AccessKeyPair, TestGateway } from '../../support/gateway.js';
import { requireBinary } from '../../support/require-binary.js';
import {
  expectNoTokenLogged,
  type IamDbGateway,
  type LoginResult,
  pgLogin,
  psqlWithToken,
  refusalOf,
  startIamDbGateway,
} from './support/iam-db-harness.js';

const aws = requireBinary('aws');
const psql = requireBinary('psql');
const run = promisify(execFile);

/** The IAM database users of the instance every shape is tried on: near-miss names of each other on purpose. */
const USERS = ['alice', 'bob', 'alic', 'alice2', 'app_user', 'app_users', 'reporting'] as const;
/** The IAM database users of a second IAM-enabled instance. */
const OTHER_USERS = ['alice', 'bob'] as const;
const USERNAME_VAR = '${aws:username}';

type Policy = { Version: string; Statement: object[] };
const allow = (resource: string): Policy => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'rds-db:connect', Resource: resource }],
});
const allowNot = (notResource: string): Policy => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'rds-db:connect', NotResource: notResource }],
});

/** Run `f` over `items`, at most `limit` at a time, keeping the order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, f: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

describe('policy Resource scoping, end to end through the gateway', () => {
  let h: IamDbGateway;
  let t: TestGateway;
  /** The second instance's own backend cluster: DB roles are cluster-wide, and its alice is not the first's. */
  let otherBackend: TestPostgres;
  let port: number;
  let otherPort: number;
  /** DbiResourceId of the main instance. */
  let dbi: string;
  /** `arn:aws:rds-db:REGION:ACCOUNT:dbuser:RESOURCE` */
  let dbuser: (resource: string) => string;

  beforeAll(async () => {
    [h, otherBackend] = await Promise.all([
      startIamDbGateway(),
      startEmbeddedPostgres({ name: 'elsewhere' }),
    ]);
    t = h.t;
    [port, otherPort] = await Promise.all([
      t.createInstance('scoped', { iam: true }),
      t.createInstance('elsewhere', {
        iam: true,
        backendUrl: `${otherBackend.adminUrl('postgres')}?sslmode=disable`,
      }),
    ]);
    for (const u of USERS) await t.createIamDbUser('scoped', u);
    for (const username of OTHER_USERS)
      await t.gateway.controlPlane.createDbUser({ instance: 'elsewhere', username, auth: 'iam' });
    const arn = await h.dbUserArn('scoped', 'alice');
    dbi = /:dbuser:([^/]+)\/alice$/.exec(arn)?.[1] as string;
    expect(dbi).toMatch(/^db-[A-Z0-9]+$/);
    expect(await h.dbUserArn('elsewhere', 'alice')).not.toContain(dbi);
    dbuser = (resource) => `arn:aws:rds-db:${h.region}:${h.accountId}:dbuser:${resource}`;
  });
  afterAll(async () => {
    await t?.stop();
    await otherBackend?.stop();
  });

  /** The tests that need the AWS CLI (skipped without it, except under CI=true where requireBinary throws). */
  const cliIt = it.skipIf(aws === null);

  describe('rds-db:connect with tokens minted by aws rds generate-db-auth-token', () => {
    /** One IAM identity per policy shape: its CLI profile, the ARN it authenticates as, its policy. */
    interface Shape {
      readonly profile: string;
      /** The IAM user holding the policy, or (kind 'role') the role whose session mints the tokens. */
      readonly kind: 'user' | 'role';
      readonly policy: () => Policy;
      /** DB users of the main instance it must log in as; every other one is refused. */
      readonly admitted: readonly string[];
      /** Of the refused users, those refused by an explicit Deny (the rest: no Allow). */
      readonly explicitDeny?: readonly string[];
    }
    const shapes: Record<string, Shape> = {
      starAlice: {
        profile: 'star-alice',
        kind: 'user',
        policy: () => allow(dbuser('*/alice')),
        admitted: ['alice'],
      },
      dbiAlice: {
        profile: 'dbi-alice',
        kind: 'user',
        policy: () => allow(dbuser(`${dbi}/alice`)),
        admitted: ['alice'],
      },
      dbiAll: {
        profile: 'dbi-all',
        kind: 'user',
        policy: () => allow(dbuser(`${dbi}/*`)),
        admitted: [...USERS],
      },
      // IAM user named like DB user alice.
      ownName: {
        profile: 'alice',
        kind: 'user',
        policy: () => allow(dbuser(`*/${USERNAME_VAR}`)),
        admitted: ['alice'],
      },
      questionMark: {
        profile: 'app-us-q',
        kind: 'user',
        policy: () => allow(dbuser('*/app_us?r')),
        admitted: ['app_user'],
      },
      innerStar: {
        profile: 'ali-star-e',
        kind: 'user',
        policy: () => allow(dbuser('*/ali*e')),
        admitted: ['alice'],
      },
      notBob: {
        profile: 'not-bob',
        kind: 'user',
        policy: () => allowNot(dbuser('*/bob')),
        admitted: USERS.filter((u) => u !== 'bob'),
      },
      // IAM user named like DB user reporting: the variable resolves, so only its own DB user is excluded.
      notOwnName: {
        profile: 'reporting',
        kind: 'user',
        policy: () => allowNot(dbuser(`*/${USERNAME_VAR}`)),
        admitted: USERS.filter((u) => u !== 'reporting'),
      },
      // An assumed-role session has no aws:username: the NotResource cannot be evaluated, the Allow must not apply.
      notOwnNameRole: {
        profile: 'role-session',
        kind: 'role',
        policy: () => allowNot(dbuser(`*/${USERNAME_VAR}`)),
        admitted: [],
      },
      denyBob: {
        profile: 'deny-bob',
        kind: 'user',
        policy: () => ({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: 'rds-db:connect', Resource: dbuser('*/*') },
            { Effect: 'Deny', Action: 'rds-db:connect', Resource: dbuser('*/bob') },
          ],
        }),
        admitted: USERS.filter((u) => u !== 'bob'),
        explicitDeny: ['bob'],
      },
    };
    const ROLE = 'scoped-db';
    const ROLE_SESSION = 'no-username';

    let dir: string;
    const keys = new Map<string, AccessKeyPair>();
    /** principal ARN each profile authenticates as. */
    const principalOf = new Map<string, string>();
    /** `profile|port|user` → token; every token is minted once, up front. */
    const tokens = new Map<string, string>();
    let cliSimulation: { EvaluationResults: Array<{ EvalResourceName: string; EvalDecision: string }> };

    /** Only the temp credentials file counts: the caller's AWS_* settings and ~/.aws are kept out. */
    function cliEnv(): NodeJS.ProcessEnv {
      const env: NodeJS.ProcessEnv = {};
      for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_')) env[k] = v;
      return {
        ...env,
        AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
        AWS_CONFIG_FILE: join(dir, 'config'),
        AWS_EC2_METADATA_DISABLED: 'true',
      };
    }
    const awsCli = async (args: string[]) =>
      (await run(aws as string, args, { env: cliEnv(), timeout: 60_000 })).stdout.trim();

    beforeAll(async () => {
      if (aws === null) return;
      const iam = h.iam();
      for (const s of Object.values(shapes)) {
        if (s.kind !== 'user') continue;
        keys.set(s.profile, await t.createIamPrincipal(s.profile, s.policy()));
        principalOf.set(s.profile, `arn:aws:iam::${h.accountId}:user/${s.profile}`);
      }
      // The role: assumable by `assumer`, whose own policy allows nothing but sts:AssumeRole on it.
      const roleArn = `arn:aws:iam::${h.accountId}:role/${ROLE}`;
      await iam.send(
        new CreateRoleCommand({
          RoleName: ROLE,
          AssumeRolePolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { AWS: `arn:aws:iam::${h.accountId}:user/assumer` },
                Action: 'sts:AssumeRole',
              },
            ],
          }),
        }),
      );
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: ROLE,
          PolicyName: 'connect',
          PolicyDocument: JSON.stringify(shapes['notOwnNameRole']?.policy()),
        }),
      );
      const assumer = await t.createIamPrincipal('assumer', {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: roleArn }],
      });
      const session = (
        await h.sts(assumer).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: ROLE_SESSION }))
      ).Credentials;
      keys.set('role-session', {
        accessKeyId: session?.AccessKeyId as string,
        secretAccessKey: session?.SecretAccessKey as string,
        sessionToken: session?.SessionToken as string,
      });
      principalOf.set('role-session', `arn:aws:sts::${h.accountId}:assumed-role/${ROLE}/${ROLE_SESSION}`);
      keys.set('admin', h.admin);

      dir = await mkdtemp(join(tmpdir(), 'gatehouse-policy-scope-'));
      await writeFile(join(dir, 'config'), '');
      let credentials = '';
      for (const [profile, k] of keys) {
        credentials += `[${profile}]\naws_access_key_id = ${k.accessKeyId}\naws_secret_access_key = ${k.secretAccessKey}\n`;
        if (k.sessionToken) credentials += `aws_session_token = ${k.sessionToken}\n`;
      }
      await writeFile(join(dir, 'credentials'), credentials, { mode: 0o600 });

      // Every token (and the CLI's simulate-custom-policy), minted in parallel: the CLI takes ~1 s to start.
      const jobs: Array<{ profile: string; port: number; user: string }> = [];
      for (const s of Object.values(shapes))
        for (const user of USERS) jobs.push({ profile: s.profile, port, user });
      for (const user of OTHER_USERS) jobs.push({ profile: 'dbi-all', port: otherPort, user });
      const simulate = awsCli([
        'iam',
        'simulate-custom-policy',
        '--profile',
        'admin',
        '--region',
        h.region,
        '--endpoint-url',
        t.gateway.apiUrl,
        '--ca-bundle',
        t.caFile,
        '--output',
        'json',
        '--policy-input-list',
        JSON.stringify(allow(dbuser('*/alice'))),
        '--action-names',
        'rds-db:connect',
        '--resource-arns',
        dbuser('db-X/bob'),
        dbuser('db-X/alice'),
      ]);
      const minted = await mapLimit(jobs, availableParallelism(), (j) =>
        awsCli([
          'rds',
          'generate-db-auth-token',
          '--profile',
          j.profile,
          '--region',
          h.region,
          '--hostname',
          'localhost',
          '--port',
          String(j.port),
          '--username',
          j.user,
        ]),
      );
      for (const [i, j] of jobs.entries())
        tokens.set(`${j.profile}|${j.port}|${j.user}`, minted[i] as string);
      cliSimulation = JSON.parse(await simulate);
      // 72 AWS CLI runs of about a CPU-second each: on a loaded 2-core machine that outlasts the default hook timeout.
    }, 600_000);
    afterAll(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    function tokenOf(profile: string, p: number, user: string): string {
      const tok = tokens.get(`${profile}|${p}|${user}`);
      if (!tok) throw new Error(`no token minted for ${profile} as ${user} on port ${p}`);
      expect(tok.startsWith(`localhost:${p}/?Action=connect&DBUser=${user}&`), tok.slice(0, 60)).toBe(true);
      return tok;
    }

    /**
     * Log in as every DB user of an instance with the shape's tokens (in parallel): exactly `admitted` get in
     * (and `select current_user` names them), every other one is refused with the policy-decision code, its
     * message naming the principal and the db-user ARN.
     */
    async function expectScope(
      shape: Shape,
      o: { instance: 'scoped' | 'elsewhere'; admitted: readonly string[] } = {
        instance: 'scoped',
        admitted: shape.admitted,
      },
    ): Promise<void> {
      const p = o.instance === 'scoped' ? port : otherPort;
      const users: readonly string[] = o.instance === 'scoped' ? USERS : OTHER_USERS;
      const results = await Promise.all(
        users.map(
          async (user): Promise<[string, LoginResult]> => [
            user,
            await pgLogin({ port: p, user, password: tokenOf(shape.profile, p, user), ca: h.ca }),
          ],
        ),
      );
      // The whole picture first, so a failure shows every user who got in.
      expect(results.filter(([, r]) => r.ok).map(([u]) => u)).toEqual(o.admitted);
      const principal = principalOf.get(shape.profile) as string;
      for (const [user, result] of results) {
        if (o.admitted.includes(user)) {
          expect(result).toEqual({ ok: true, user });
          continue;
        }
        const r = await refusalOf(result, h);
        const explicit = shape.explicitDeny?.includes(user) ?? false;
        const resource = await h.dbUserArn(o.instance, user);
        expect({ user, code: r.event.code, sqlstate: r.sqlstate }).toEqual({
          user,
          code: explicit ? 'GH_IAM_CONNECT_EXPLICIT_DENY' : 'GH_IAM_CONNECT_DENIED',
          sqlstate: '28000',
        });
        expect(r.message).toBe(
          `User: ${principal} is not authorized to perform: rds-db:connect on resource: ${resource} ` +
            (explicit
              ? 'with an explicit deny in an identity-based policy'
              : 'because no identity-based policy allows the rds-db:connect action'),
        );
        expect(r.event).toMatchObject({
          type: 'db.connect',
          instance: o.instance,
          dbUser: user,
          method: 'iam',
          principalArn: principal,
          accessKeyId: keys.get(shape.profile)?.accessKeyId,
        });
      }
    }
    const s = (name: string) => shapes[name] as Shape;

    cliIt(
      'Resource dbuser:*/alice (the escalation): alice logs in; bob, alic, alice2, app_user, app_users, reporting are refused',
      async () => {
        await expectScope(s('starAlice'));
      },
    );

    it.skipIf(aws === null || psql === null)(
      'Resource dbuser:*/alice with psql: alice runs select current_user; bob gets the not-authorized FATAL',
      async () => {
        const p = s('starAlice').profile;
        const sql = 'select current_user';
        const ok = await psqlWithToken({
          bin: psql as string,
          port,
          user: 'alice',
          caFile: t.caFile,
          token: tokenOf(p, port, 'alice'),
          sql,
        });
        expect(ok.stderr).toBe('');
        expect(ok.stdout.trim()).toBe('alice');
        const bob = await psqlWithToken({
          bin: psql as string,
          port,
          user: 'bob',
          caFile: t.caFile,
          token: tokenOf(p, port, 'bob'),
          sql,
        });
        expect(bob.code).toBe(2);
        expect(bob.stdout).toBe('');
        expect(bob.stderr).toContain(
          `FATAL:  User: ${principalOf.get(p)} is not authorized to perform: rds-db:connect on resource: ${await h.dbUserArn('scoped', 'bob')} because no identity-based policy allows the rds-db:connect action (request id `,
        );
      },
    );

    cliIt(
      "Resource dbuser:<this instance's DbiResourceId>/alice: alice logs in; every other DB user is refused",
      async () => {
        await expectScope(s('dbiAlice'));
      },
    );

    cliIt(
      "Resource dbuser:<this instance's DbiResourceId>/*: every DB user of this instance logs in; alice and bob of another instance are refused",
      async () => {
        await expectScope(s('dbiAll'));
        await expectScope(s('dbiAll'), { instance: 'elsewhere', admitted: [] });
      },
    );

    cliIt(
      'Resource dbuser:*/${aws:username} for IAM user alice: only DB user alice logs in (not alic, alice2, bob, …)',
      async () => {
        await expectScope(s('ownName'));
      },
    );

    cliIt(
      'Resource dbuser:*/app_us?r: ? stands for one character of the name only: app_user in; app_users, bob, … refused',
      async () => {
        await expectScope(s('questionMark'));
      },
    );

    cliIt('Resource dbuser:*/ali*e: * inside the name: alice in; alic, alice2, bob, … refused', async () => {
      await expectScope(s('innerStar'));
    });

    cliIt(
      'NotResource dbuser:*/bob: every DB user but bob logs in; bob is refused (no Allow applies)',
      async () => {
        await expectScope(s('notBob'));
      },
    );

    cliIt(
      'NotResource dbuser:*/${aws:username} for IAM user reporting: every DB user but reporting logs in',
      async () => {
        await expectScope(s('notOwnName'));
      },
    );

    cliIt(
      'NotResource dbuser:*/${aws:username} for an assumed-role session (no aws:username): the Allow does not apply, no DB user logs in',
      async () => {
        await expectScope(s('notOwnNameRole'));
      },
    );

    cliIt(
      'Allow dbuser:*/* beside Deny dbuser:*/bob: bob is refused with GH_IAM_CONNECT_EXPLICIT_DENY; every other DB user logs in',
      async () => {
        await expectScope(s('denyBob'));
      },
    );

    cliIt(
      'aws iam simulate-custom-policy (CLI against the gateway): dbuser:*/alice is implicitDeny for …/bob and allowed for …/alice',
      () => {
        expect(
          cliSimulation.EvaluationResults.map((r) => [r.EvalResourceName, r.EvalDecision]).sort(),
        ).toEqual([
          [dbuser('db-X/alice'), 'allowed'],
          [dbuser('db-X/bob'), 'implicitDeny'],
        ]);
      },
    );

    cliIt('no log line holds any CLI token used here, nor its full signature', () => {
      expect(tokens.size).toBe(Object.keys(shapes).length * USERS.length + OTHER_USERS.length);
      expectNoTokenLogged(h.logLines, tokens.values());
    });
  });

  describe('SimulateCustomPolicy through the SDK', () => {
    const simulate = async (policy: Policy, resources: string[], username?: string) => {
      const out = await h.iam().send(
        new SimulateCustomPolicyCommand({
          PolicyInputList: [JSON.stringify(policy)],
          ActionNames: ['rds-db:connect'],
          ResourceArns: resources,
          ...(username === undefined
            ? {}
            : {
                ContextEntries: [
                  { ContextKeyName: 'aws:username', ContextKeyType: 'string', ContextKeyValues: [username] },
                ],
              }),
        }),
      );
      return (out.EvaluationResults ?? []).map((r) => [r.EvalResourceName, r.EvalDecision]);
    };

    it('dbuser:*/alice is implicitDeny for dbuser:db-X/bob (and this instance’s bob), allowed for alice', async () => {
      expect(
        await simulate(allow(dbuser('*/alice')), [
          dbuser('db-X/bob'),
          dbuser('db-X/alice'),
          dbuser(`${dbi}/bob`),
          dbuser(`${dbi}/alice`),
        ]),
      ).toEqual([
        [dbuser('db-X/bob'), 'implicitDeny'],
        [dbuser('db-X/alice'), 'allowed'],
        [dbuser(`${dbi}/bob`), 'implicitDeny'],
        [dbuser(`${dbi}/alice`), 'allowed'],
      ]);
    });

    it('dbuser:*/${aws:username} with aws:username=alice, dbuser:*/app_us?r and dbuser:*/ali*e are implicitDeny for the names they do not cover', async () => {
      expect(
        await simulate(
          allow(dbuser(`*/${USERNAME_VAR}`)),
          [dbuser('db-X/bob'), dbuser('db-X/alice2'), dbuser('db-X/alice')],
          'alice',
        ),
      ).toEqual([
        [dbuser('db-X/bob'), 'implicitDeny'],
        [dbuser('db-X/alice2'), 'implicitDeny'],
        [dbuser('db-X/alice'), 'allowed'],
      ]);
      expect(
        await simulate(allow(dbuser('*/app_us?r')), [dbuser('db-X/app_users'), dbuser('db-X/app_user')]),
      ).toEqual([
        [dbuser('db-X/app_users'), 'implicitDeny'],
        [dbuser('db-X/app_user'), 'allowed'],
      ]);
      expect(
        await simulate(allow(dbuser('*/ali*e')), [
          dbuser('db-X/alic'),
          dbuser('db-X/alice2'),
          dbuser('db-X/alice'),
        ]),
      ).toEqual([
        [dbuser('db-X/alic'), 'implicitDeny'],
        [dbuser('db-X/alice2'), 'implicitDeny'],
        [dbuser('db-X/alice'), 'allowed'],
      ]);
    });
  });

  describe('management actions (IAM Query API) scoped by user and role paths', () => {
    let iamAs: (profile: string) => IAMClient;
    const clients = new Map<string, IAMClient>();

    beforeAll(async () => {
      const admin = h.iam();
      const users: Array<[string, string]> = [
        ['ta-member', '/team-a/'],
        ['ta-nested', '/team-a/sub/'],
        ['tb-member', '/team-b/'],
        ['tab-member', '/team-ab/'],
        ['plain-user', '/'],
        ['self-only-x', '/'],
      ];
      for (const [UserName, Path] of users) await admin.send(new CreateUserCommand({ UserName, Path }));
      const trust = JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${h.accountId}:root` },
            Action: 'sts:AssumeRole',
          },
        ],
      });
      const roles: Array<[string, string]> = [
        ['svc', '/app/'],
        ['svc-batch', '/app/batch/'],
        ['ops-role', '/ops/'],
        ['application-role', '/application/'],
        ['root-role', '/'],
      ];
      for (const [RoleName, Path] of roles)
        await admin.send(new CreateRoleCommand({ RoleName, Path, AssumeRolePolicyDocument: trust }));
      const iamArn = (resource: string) => `arn:aws:iam::${h.accountId}:${resource}`;
      const principals: Array<[string, string[], string]> = [
        ['team-a-admin', ['iam:GetUser', 'iam:ListAccessKeys'], iamArn('user/team-a/*')],
        ['self-only', ['iam:GetUser', 'iam:ListAccessKeys'], iamArn(`user/${USERNAME_VAR}`)],
        ['app-roles', ['iam:GetRole'], iamArn('role/app/*')],
      ];
      for (const [name, Action, Resource] of principals) {
        const k = await t.createIamPrincipal(name, {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action, Resource }],
        });
        clients.set(name, h.iam(k));
      }
      iamAs = (profile) => clients.get(profile) as IAMClient;
    });

    /** The outcome of one call: 'ok', or the error name and message. */
    const outcome = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: Error) => `${e.name}: ${e.message}`,
      );
    const denied = (who: string, action: string, resource: string) =>
      `AccessDenied: User: arn:aws:iam::${h.accountId}:user/${who} is not authorized to perform: ${action} on resource: arn:aws:iam::${h.accountId}:${resource}`;

    it('iam:GetUser and iam:ListAccessKeys on user/team-a/*: allowed on users under /team-a/ (nested too); AccessDenied on /team-b/, /team-ab/, / and itself', async () => {
      const c = iamAs('team-a-admin');
      const got = await c.send(new GetUserCommand({ UserName: 'ta-member' }));
      expect(got.User?.Arn).toBe(`arn:aws:iam::${h.accountId}:user/team-a/ta-member`);
      const calls: Array<[string, Promise<unknown>]> = [
        ['GetUser ta-nested', c.send(new GetUserCommand({ UserName: 'ta-nested' }))],
        ['ListAccessKeys ta-member', c.send(new ListAccessKeysCommand({ UserName: 'ta-member' }))],
        ['GetUser tb-member', c.send(new GetUserCommand({ UserName: 'tb-member' }))],
        ['GetUser tab-member', c.send(new GetUserCommand({ UserName: 'tab-member' }))],
        ['GetUser plain-user', c.send(new GetUserCommand({ UserName: 'plain-user' }))],
        ['ListAccessKeys tb-member', c.send(new ListAccessKeysCommand({ UserName: 'tb-member' }))],
        ['GetUser (itself)', c.send(new GetUserCommand({}))],
      ];
      const results = await Promise.all(calls.map(async ([what, p]) => [what, await outcome(p)]));
      expect(Object.fromEntries(results)).toEqual({
        'GetUser ta-nested': 'ok',
        'ListAccessKeys ta-member': 'ok',
        'GetUser tb-member': denied('team-a-admin', 'iam:GetUser', 'user/team-b/tb-member'),
        'GetUser tab-member': denied('team-a-admin', 'iam:GetUser', 'user/team-ab/tab-member'),
        'GetUser plain-user': denied('team-a-admin', 'iam:GetUser', 'user/plain-user'),
        'ListAccessKeys tb-member': denied('team-a-admin', 'iam:ListAccessKeys', 'user/team-b/tb-member'),
        'GetUser (itself)': denied('team-a-admin', 'iam:GetUser', 'user/team-a-admin'),
      });
    });

    it('iam:GetUser and iam:ListAccessKeys on user/${aws:username}: the caller acts on itself only', async () => {
      const c = iamAs('self-only');
      const calls: Array<[string, Promise<unknown>]> = [
        ['GetUser self-only', c.send(new GetUserCommand({ UserName: 'self-only' }))],
        ['GetUser (itself)', c.send(new GetUserCommand({}))],
        ['ListAccessKeys (itself)', c.send(new ListAccessKeysCommand({}))],
        ['GetUser self-only-x', c.send(new GetUserCommand({ UserName: 'self-only-x' }))],
        ['GetUser plain-user', c.send(new GetUserCommand({ UserName: 'plain-user' }))],
        ['GetUser ta-member', c.send(new GetUserCommand({ UserName: 'ta-member' }))],
        ['ListAccessKeys plain-user', c.send(new ListAccessKeysCommand({ UserName: 'plain-user' }))],
      ];
      const results = await Promise.all(calls.map(async ([what, p]) => [what, await outcome(p)]));
      expect(Object.fromEntries(results)).toEqual({
        'GetUser self-only': 'ok',
        'GetUser (itself)': 'ok',
        'ListAccessKeys (itself)': 'ok',
        'GetUser self-only-x': denied('self-only', 'iam:GetUser', 'user/self-only-x'),
        'GetUser plain-user': denied('self-only', 'iam:GetUser', 'user/plain-user'),
        'GetUser ta-member': denied('self-only', 'iam:GetUser', 'user/team-a/ta-member'),
        'ListAccessKeys plain-user': denied('self-only', 'iam:ListAccessKeys', 'user/plain-user'),
      });
    });

    it('iam:GetRole on role/app/*: allowed on roles under /app/ (nested too); AccessDenied on /ops/, /application/ and /', async () => {
      const c = iamAs('app-roles');
      const got = await c.send(new GetRoleCommand({ RoleName: 'svc' }));
      expect(got.Role?.Arn).toBe(`arn:aws:iam::${h.accountId}:role/app/svc`);
      const calls: Array<[string, Promise<unknown>]> = [
        ['svc-batch', c.send(new GetRoleCommand({ RoleName: 'svc-batch' }))],
        ['ops-role', c.send(new GetRoleCommand({ RoleName: 'ops-role' }))],
        ['application-role', c.send(new GetRoleCommand({ RoleName: 'application-role' }))],
        ['root-role', c.send(new GetRoleCommand({ RoleName: 'root-role' }))],
      ];
      const results = await Promise.all(calls.map(async ([what, p]) => [what, await outcome(p)]));
      expect(Object.fromEntries(results)).toEqual({
        'svc-batch': 'ok',
        'ops-role': denied('app-roles', 'iam:GetRole', 'role/ops/ops-role'),
        'application-role': denied('app-roles', 'iam:GetRole', 'role/application/application-role'),
        'root-role': denied('app-roles', 'iam:GetRole', 'role/root-role'),
      });
    });
  });
});
