// IAM list pagination through the real gateway: Marker/MaxItems/IsTruncated with the AWS SDK and the real AWS CLI
// (--max-items / --starting-token), keyset markers stable under concurrent inserts, and every list action paging.
import * as c from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../support/gateway.js';
import { requireAwsCli } from '../../support/require-binary.js';
import { type AwsCli, awsCli, type Keys, sdkClients } from './support/iam-clients.js';

const aws = requireAwsCli();

interface Page {
  IsTruncated?: boolean | undefined;
  Marker?: string | undefined;
}

/** Follows markers from the first page, collecting `pick(page)`; fails on a page claiming more with no marker. */
async function walk<P extends Page, T>(
  fetch: (marker: string | undefined) => Promise<P>,
  pick: (page: P) => T[],
): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let pages = 0;
  for (let marker: string | undefined; ; ) {
    const page = await fetch(marker);
    pages++;
    items.push(...pick(page));
    if (!page.IsTruncated) {
      expect(page.Marker).toBeUndefined();
      return { items, pages };
    }
    expect(typeof page.Marker).toBe('string');
    marker = page.Marker;
  }
}

const names = (n: number, prefix: string) =>
  Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(3, '0')}`);

describe('IAM pagination', () => {
  let t: TestGateway;
  let iam: c.IAMClient;
  let admin: Keys;
  let cli: AwsCli | undefined;
  const bulk = names(250, 'bulk-');

  beforeAll(async () => {
    t = await startTestGateway();
    admin = t.gateway.bootstrapKey as Keys;
    iam = (await sdkClients(t)).iam(admin);
    if (aws !== null) cli = await awsCli(aws, t, admin);
    const service = t.gateway.iam.iam;
    // Created in a shuffled order: the listing order comes from the sort key, not from insertion.
    const shuffled = [...bulk].sort((a, b) =>
      a.split('').reverse().join() < b.split('').reverse().join() ? -1 : 1,
    );
    for (let i = 0; i < shuffled.length; i += 25) {
      await Promise.all(
        shuffled.slice(i, i + 25).map((UserName) => service.createUser({ UserName, Path: '/bulk/' })),
      );
    }
  }, 120_000);
  afterAll(async () => {
    await cli?.cleanup();
    await t?.stop();
  });

  it('the SDK pages 250 users with MaxItems 100: 100, 100, 50, each exactly once, in name order', async () => {
    const sizes: number[] = [];
    const { items, pages } = await walk(
      (Marker) => iam.send(new c.ListUsersCommand({ PathPrefix: '/bulk/', MaxItems: 100, Marker })),
      (p) => {
        sizes.push(p.Users?.length ?? 0);
        return (p.Users ?? []).map((u) => u.UserName as string);
      },
    );
    expect(pages).toBe(3);
    expect(sizes).toEqual([100, 100, 50]);
    expect(items).toEqual(bulk);
    // Without MaxItems a page holds AWS's default of 100.
    const first = await iam.send(new c.ListUsersCommand({ PathPrefix: '/bulk/' }));
    expect(first.Users).toHaveLength(100);
    expect(first.IsTruncated).toBe(true);
  });

  it("the SDK's own paginator (paginateListUsers) visits all 250", async () => {
    const seen: string[] = [];
    for await (const page of c.paginateListUsers({ client: iam, pageSize: 70 }, { PathPrefix: '/bulk/' })) {
      seen.push(...(page.Users ?? []).map((u) => u.UserName as string));
    }
    expect(seen).toEqual(bulk);
  });

  it.skipIf(aws === null)(
    'aws iam list-users --max-items 100 prints a NextToken; --starting-token gets the rest, all 250 once',
    async () => {
      const seen: string[] = [];
      const first = (await (cli as AwsCli).iam([
        'list-users',
        '--path-prefix',
        '/bulk/',
        '--max-items',
        '100',
      ])) as {
        Users: { UserName: string }[];
        NextToken?: string;
      };
      expect(first.Users).toHaveLength(100);
      expect(typeof first.NextToken).toBe('string');
      seen.push(...first.Users.map((u) => u.UserName));
      const rest = (await (cli as AwsCli).iam([
        'list-users',
        '--path-prefix',
        '/bulk/',
        '--starting-token',
        first.NextToken as string,
      ])) as { Users: { UserName: string }[]; NextToken?: string };
      expect(rest.NextToken).toBeUndefined();
      expect(rest.Users).toHaveLength(150);
      seen.push(...rest.Users.map((u) => u.UserName));
      expect(seen).toEqual(bulk);
      // By default the CLI follows every marker itself.
      const all = (await (cli as AwsCli).iam(['list-users', '--path-prefix', '/bulk/'])) as {
        Users: unknown[];
      };
      expect(all.Users).toHaveLength(250);
    },
  );

  it.skipIf(aws === null)(
    'aws iam list-users --max-items 120 --page-size 7 resumes mid-page and still returns each user once',
    async () => {
      const seen: string[] = [];
      let token: string | undefined;
      do {
        const args = ['list-users', '--path-prefix', '/bulk/', '--max-items', '120', '--page-size', '7'];
        if (token) args.push('--starting-token', token);
        const out = (await (cli as AwsCli).iam(args)) as {
          Users: { UserName: string }[];
          NextToken?: string;
        };
        seen.push(...out.Users.map((u) => u.UserName));
        token = out.NextToken;
      } while (token);
      expect(seen).toEqual(bulk);
    },
  );

  it('a user created while a client pages neither repeats nor shifts what it already has', async () => {
    const service = t.gateway.iam.iam;
    const base = names(60, 'conc-').filter((_, i) => i % 2 === 0); // conc-000, conc-002, …
    for (const UserName of base) await service.createUser({ UserName, Path: '/conc/' });
    const seen: string[] = [];
    const p1 = await iam.send(new c.ListUsersCommand({ PathPrefix: '/conc/', MaxItems: 10 }));
    seen.push(...(p1.Users ?? []).map((u) => u.UserName as string));
    expect(seen.at(-1)).toBe('conc-018');
    // Inserted between pages: two before the marker's position, two after it.
    for (const UserName of ['conc-001', 'conc-017', 'conc-019', 'conc-059'])
      await service.createUser({ UserName, Path: '/conc/' });
    const rest = await walk(
      (Marker) =>
        iam.send(new c.ListUsersCommand({ PathPrefix: '/conc/', MaxItems: 10, Marker: Marker ?? p1.Marker })),
      (p) => (p.Users ?? []).map((u) => u.UserName as string),
    );
    seen.push(...rest.items);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...base, 'conc-019', 'conc-059'].sort());
  });

  it('pages stay exact while users are created concurrently', async () => {
    const service = t.gateway.iam.iam;
    const originals = names(120, 'race-a-');
    for (let i = 0; i < originals.length; i += 20)
      await Promise.all(
        originals.slice(i, i + 20).map((UserName) => service.createUser({ UserName, Path: '/race/' })),
      );
    let stop = false;
    let created = 0;
    const writer = (async () => {
      for (let i = 0; !stop && i < 200; i++) {
        await service.createUser({ UserName: `race-b-${String(i).padStart(3, '0')}`, Path: '/race/' });
        created++;
      }
    })();
    const { items } = await walk(
      async (Marker) => {
        const page = await iam.send(new c.ListUsersCommand({ PathPrefix: '/race/', MaxItems: 9, Marker }));
        return page;
      },
      (p) => (p.Users ?? []).map((u) => u.UserName as string),
    );
    stop = true;
    await writer;
    expect(created).toBeGreaterThan(0);
    expect(new Set(items).size).toBe(items.length);
    expect(items.filter((n) => n.startsWith('race-a-'))).toEqual(originals);
    expect([...items].sort()).toEqual(items);
  });

  it('every IAM list action pages: MaxItems 1 walks to the same items as one page of 1000', async () => {
    const svc = t.gateway.iam.iam;
    const doc = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:Get*', Resource: '*' }],
    });
    const trust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${t.gateway.account.accountId}:root` },
          Action: 'sts:AssumeRole',
        },
      ],
    });
    const caller = { arn: 'x', accountId: t.gateway.account.accountId, userId: 'x', accessKeyId: 'x' };
    await svc.createUser({ UserName: 'lister', Tags: ['a', 'b', 'c'].map((Key) => ({ Key, Value: Key })) });
    await svc.createAccessKey({ UserName: 'lister' }, caller);
    await svc.createAccessKey({ UserName: 'lister' }, caller);
    await svc.createRole({ RoleName: 'lister-role2', AssumeRolePolicyDocument: trust });
    for (const u of ['lu1', 'lu2', 'lu3']) await svc.createUser({ UserName: u, Path: '/lister/' });
    await svc.createRole({
      RoleName: 'lister-role',
      AssumeRolePolicyDocument: trust,
      Tags: [
        { Key: 'x', Value: '1' },
        { Key: 'y', Value: '2' },
      ],
    });
    const arns: string[] = [];
    for (const n of ['p1', 'p2', 'p3']) {
      arns.push((await svc.createPolicy({ PolicyName: `lister-${n}`, PolicyDocument: doc })).Policy.Arn);
      await svc.putPrincipalPolicy('User', 'lister', { PolicyName: n, PolicyDocument: doc });
      await svc.putPrincipalPolicy('Role', 'lister-role', { PolicyName: n, PolicyDocument: doc });
      await svc.createGroup({ GroupName: `lister-g${n}` });
      await svc.addUserToGroup({ GroupName: `lister-g${n}`, UserName: 'lister' });
      await svc.addUserToGroup({ GroupName: 'lister-gp1', UserName: `bulk-00${n.slice(1)}` });
      await svc.putPrincipalPolicy('Group', 'lister-gp1', { PolicyName: n, PolicyDocument: doc });
    }
    for (const arn of arns) {
      await svc.attachPrincipalPolicy('User', 'lister', { PolicyArn: arn });
      await svc.attachPrincipalPolicy('Group', 'lister-gp1', { PolicyArn: arn });
      await svc.attachPrincipalPolicy('Role', 'lister-role', { PolicyArn: arn });
    }
    await svc.attachPrincipalPolicy('Group', 'lister-gp2', { PolicyArn: arns[0] as string });
    await svc.attachPrincipalPolicy('Role', 'lister-role', {
      PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
    });
    await svc.createPolicyVersion({ PolicyArn: arns[0] as string, PolicyDocument: doc });
    await svc.createPolicyVersion({ PolicyArn: arns[0] as string, PolicyDocument: doc });

    type Paged = Page & Record<string, unknown>;
    const rec = (p: Page) => p as Paged;
    const cases: Array<[string, (m: { Marker?: string; MaxItems: number }) => Promise<Page>, string[]]> = [
      ['ListUsers', (m) => iam.send(new c.ListUsersCommand({ PathPrefix: '/lister/', ...m })), ['Users']],
      ['ListGroups', (m) => iam.send(new c.ListGroupsCommand(m)), ['Groups']],
      ['ListRoles', (m) => iam.send(new c.ListRolesCommand(m)), ['Roles']],
      ['ListPolicies', (m) => iam.send(new c.ListPoliciesCommand(m)), ['Policies']],
      ['GetGroup', (m) => iam.send(new c.GetGroupCommand({ GroupName: 'lister-gp1', ...m })), ['Users']],
      [
        'ListGroupsForUser',
        (m) => iam.send(new c.ListGroupsForUserCommand({ UserName: 'lister', ...m })),
        ['Groups'],
      ],
      [
        'ListAccessKeys',
        (m) => iam.send(new c.ListAccessKeysCommand({ UserName: 'lister', ...m })),
        ['AccessKeyMetadata'],
      ],
      ['ListUserTags', (m) => iam.send(new c.ListUserTagsCommand({ UserName: 'lister', ...m })), ['Tags']],
      [
        'ListRoleTags',
        (m) => iam.send(new c.ListRoleTagsCommand({ RoleName: 'lister-role', ...m })),
        ['Tags'],
      ],
      [
        'ListUserPolicies',
        (m) => iam.send(new c.ListUserPoliciesCommand({ UserName: 'lister', ...m })),
        ['PolicyNames'],
      ],
      [
        'ListGroupPolicies',
        (m) => iam.send(new c.ListGroupPoliciesCommand({ GroupName: 'lister-gp1', ...m })),
        ['PolicyNames'],
      ],
      [
        'ListRolePolicies',
        (m) => iam.send(new c.ListRolePoliciesCommand({ RoleName: 'lister-role', ...m })),
        ['PolicyNames'],
      ],
      [
        'ListAttachedUserPolicies',
        (m) => iam.send(new c.ListAttachedUserPoliciesCommand({ UserName: 'lister', ...m })),
        ['AttachedPolicies'],
      ],
      [
        'ListAttachedGroupPolicies',
        (m) => iam.send(new c.ListAttachedGroupPoliciesCommand({ GroupName: 'lister-gp1', ...m })),
        ['AttachedPolicies'],
      ],
      [
        'ListAttachedRolePolicies',
        (m) => iam.send(new c.ListAttachedRolePoliciesCommand({ RoleName: 'lister-role', ...m })),
        ['AttachedPolicies'],
      ],
      [
        'ListPolicyVersions',
        (m) => iam.send(new c.ListPolicyVersionsCommand({ PolicyArn: arns[0], ...m })),
        ['Versions'],
      ],
      [
        'ListEntitiesForPolicy',
        (m) => iam.send(new c.ListEntitiesForPolicyCommand({ PolicyArn: arns[0], ...m })),
        ['PolicyGroups', 'PolicyUsers', 'PolicyRoles'],
      ],
      [
        'GetAccountAuthorizationDetails',
        (m) =>
          iam.send(
            new c.GetAccountAuthorizationDetailsCommand({
              Filter: ['Role', 'Group', 'AWSManagedPolicy'],
              ...m,
            }),
          ),
        ['UserDetailList', 'GroupDetailList', 'RoleDetailList', 'Policies'],
      ],
    ];
    const strip = (x: unknown) => JSON.parse(JSON.stringify(x));
    for (const [action, fetch, keys] of cases) {
      const whole = rec(await fetch({ MaxItems: 1000 }));
      expect(whole.IsTruncated, action).toBe(false);
      const expected = keys.flatMap((k) => (whole[k] as unknown[]) ?? []);
      expect(expected.length, action).toBeGreaterThanOrEqual(2);
      const { items, pages } = await walk(
        (Marker) => fetch({ MaxItems: 1, ...(Marker ? { Marker } : {}) }),
        (p) => keys.flatMap((k) => (rec(p)[k] as unknown[]) ?? []),
      );
      expect(strip(items), action).toEqual(strip(expected));
      expect(pages, action).toBe(expected.length);
    }
  });

  it('a crafted Marker whose key part the store cannot cast (int beyond int4, impossible time, NUL) is InvalidMarker', async () => {
    const svc = t.gateway.iam.iam;
    const doc = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'iam:GetUser', Resource: '*' }],
    });
    const policyArn = (await svc.createPolicy({ PolicyName: 'crafted-marker', PolicyDocument: doc })).Policy
      .Arn;
    await svc.createUser({ UserName: 'crafted-marker-user' });
    // The shape of a real marker (base64url JSON of version, list, sort key) with a key part no row can have.
    const craft = (l: string, k: string[]) =>
      Buffer.from(JSON.stringify({ v: 1, l, k })).toString('base64url');
    const refusal = (p: Promise<unknown>) =>
      p.then(
        () => ({ name: 'no error', status: 200, message: '' }),
        (e: Error & { $metadata?: { httpStatusCode?: number } }) => ({
          name: e.name,
          status: e.$metadata?.httpStatusCode,
          message: e.message,
        }),
      );
    const invalidMarker = {
      name: 'ValidationError',
      status: 400,
      message: expect.stringMatching(/^Invalid Marker: /),
    };
    const cases: Array<[string, () => Promise<unknown>]> = [
      // int part beyond int4 (`::int` would raise 22003), and the largest int4 still accepted below
      [
        'int',
        () =>
          iam.send(
            new c.ListPolicyVersionsCommand({
              PolicyArn: policyArn,
              Marker: craft('policy-versions', ['99999999999']),
            }),
          ),
      ],
      [
        'int-2^31',
        () =>
          iam.send(
            new c.ListPolicyVersionsCommand({
              PolicyArn: policyArn,
              Marker: craft('policy-versions', ['2147483648']),
            }),
          ),
      ],
      [
        'int-entities',
        () =>
          iam.send(
            new c.ListEntitiesForPolicyCommand({
              PolicyArn: policyArn,
              Marker: craft('policy-entities', ['99999999999', 'x']),
            }),
          ),
      ],
      // a time part of the right form that is no instant (`::timestamptz` would raise 22008)
      [
        'time',
        () =>
          iam.send(
            new c.ListAccessKeysCommand({
              UserName: 'crafted-marker-user',
              Marker: craft('access-keys', ['2024-13-45T99:61:61.000000Z', 'AKIAX']),
            }),
          ),
      ],
      [
        'time-feb-30',
        () =>
          iam.send(
            new c.ListAttachedUserPoliciesCommand({
              UserName: 'crafted-marker-user',
              Marker: craft('attached-policies', ['2023-02-30T00:00:00.000000Z', 'arn']),
            }),
          ),
      ],
      // a NUL in a text part (a text parameter would raise 22021)
      ['nul', () => iam.send(new c.ListUsersCommand({ Marker: craft('users', ['a\u0000b']) }))],
      ['control', () => iam.send(new c.ListGroupsCommand({ Marker: craft('groups', ['a\u0001b']) }))],
    ];
    for (const [kind, call] of cases) expect(await refusal(call()), kind).toMatchObject(invalidMarker);
    // Well-formed crafted keys still page (nothing after them): the checks refuse only what cannot be cast.
    const fine = await iam.send(
      new c.ListPolicyVersionsCommand({
        PolicyArn: policyArn,
        Marker: craft('policy-versions', ['2147483647']),
      }),
    );
    expect(fine.Versions?.map((v) => v.VersionId)).toEqual(['v1']);
    const keys = await iam.send(
      new c.ListAccessKeysCommand({
        UserName: 'crafted-marker-user',
        Marker: craft('access-keys', ['2024-02-29T23:59:59.999999Z', 'AKIAX']),
      }),
    );
    expect(keys.IsTruncated).toBe(false);
  });

  it('a bad Marker or MaxItems is a ValidationError with a stable code', async () => {
    const refusal = async (input: c.ListUsersCommandInput) =>
      iam.send(new c.ListUsersCommand(input)).then(
        () => ({ name: 'no error', message: '' }),
        (e: Error) => ({ name: e.name, message: e.message }),
      );
    expect(await refusal({ Marker: 'not-a-marker' })).toMatchObject({
      name: 'ValidationError',
      message: expect.stringMatching(/^Invalid Marker: /),
    });
    const roles = await iam.send(new c.ListRolesCommand({}));
    expect(roles.IsTruncated).toBe(false);
    const groupMarker = (await iam.send(new c.ListUsersCommand({ PathPrefix: '/bulk/', MaxItems: 1 })))
      .Marker;
    expect(
      await refusal({ Marker: Buffer.from('{"v":1,"l":"roles","k":["a"]}').toString('base64url') }),
    ).toMatchObject({
      name: 'ValidationError',
      message: 'Invalid Marker: it was returned by another list action',
    });
    expect(
      await iam.send(new c.ListGroupsCommand({ Marker: groupMarker })).then(
        () => 'no error',
        (e: Error) => e.message,
      ),
    ).toBe('Invalid Marker: it was returned by another list action');
    expect((await refusal({ MaxItems: 0 })).name).toBe('ValidationError');
    expect((await refusal({ MaxItems: 1001 })).name).toBe('ValidationError');
    expect(
      (await iam.send(new c.ListUsersCommand({ PathPrefix: '/bulk/', MaxItems: 1000 }))).Users,
    ).toHaveLength(250);
  });
});
