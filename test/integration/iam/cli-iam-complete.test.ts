// Every `gatehouse iam` command added for the complete IAM API, against a running gateway (AWS CLI names and flags).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/program.js';
import { startTestGateway, type TestGateway } from '../../support/gateway.js';
import { testIo } from '../../unit/cli/support/cli-io.js';

describe('gatehouse iam: the complete command set', () => {
  let t: TestGateway;
  let env: NodeJS.ProcessEnv;
  let account: string;

  /** Runs `gatehouse iam <args>`; fails the test with its stderr unless it exits 0. Returns the JSON printed. */
  async function iam(...args: string[]) {
    const io = testIo({ env });
    const code = await runCli(['--data-dir', t.dataDir, 'iam', ...args], io.io);
    expect(code, `${args.join(' ')}: ${io.stderr()}`).toBe(0);
    // biome-ignore lint/suspicious/noExplicitAny: printed JSON, checked field by field
    return io.stdout().trim() === '' ? {} : (JSON.parse(io.stdout()) as Record<string, any>);
  }

  async function refused(...args: string[]) {
    const io = testIo({ env });
    const code = await runCli(['--data-dir', t.dataDir, 'iam', ...args], io.io);
    return { code, stderr: io.stderr() };
  }

  beforeAll(async () => {
    t = await startTestGateway();
    account = t.gateway.account.accountId;
    const admin = t.gateway.bootstrapKey as { accessKeyId: string; secretAccessKey: string };
    env = {
      GATEHOUSE_ACCESS_KEY_ID: admin.accessKeyId,
      GATEHOUSE_SECRET_ACCESS_KEY: admin.secretAccessKey,
      GATEHOUSE_ENDPOINT_URL: t.gateway.apiUrl,
    };
    // More than one page of users (AWS's default page is 100): list commands must follow every marker.
    for (let i = 0; i < 130; i += 10) {
      await Promise.all(
        Array.from({ length: 10 }, (_, j) =>
          t.gateway.iam.iam.createUser({
            UserName: `many-${String(i + j).padStart(3, '0')}`,
            Path: '/many/',
          }),
        ),
      );
    }
  }, 120_000);
  afterAll(async () => t?.stop());

  it('list-users follows every page', async () => {
    expect((await iam('list-users', '--path-prefix', '/many/')).Users).toHaveLength(130);
  });

  it('users, groups, roles, policies: get, list, update, tags, boundaries, versions, entities, details, deletes', async () => {
    const doc = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }],
    });
    const trust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'sts:AssumeRole' },
      ],
    });
    await iam('create-user', '--user-name', 'gu', '--tags', 'Key=a,Value=1');
    await iam('update-user', '--user-name', 'gu', '--new-user-name', 'gu2', '--new-path', '/x/');
    expect((await iam('get-user', '--user-name', 'gu2')).User.Arn).toBe(`arn:aws:iam::${account}:user/x/gu2`);
    expect((await iam('list-user-tags', '--user-name', 'gu2')).Tags).toEqual([{ Key: 'a', Value: '1' }]);
    await iam('untag-user', '--user-name', 'gu2', '--tag-keys', 'a');
    expect((await iam('list-user-tags', '--user-name', 'gu2')).Tags).toEqual([]);

    await iam('create-group', '--group-name', 'gg');
    await iam('add-user-to-group', '--group-name', 'gg', '--user-name', 'gu2');
    expect(
      (await iam('get-group', '--group-name', 'gg')).Users.map((u: { UserName: string }) => u.UserName),
    ).toEqual(['gu2']);
    expect((await iam('list-groups')).Groups).toHaveLength(1);
    expect((await iam('list-groups-for-user', '--user-name', 'gu2')).Groups[0].GroupName).toBe('gg');
    await iam('update-group', '--group-name', 'gg', '--new-path', '/team/');
    const conflict = await refused('delete-group', '--group-name', 'gg');
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain('(DeleteConflict)');
    await iam('remove-user-from-group', '--group-name', 'gg', '--user-name', 'gu2');
    await iam('delete-group', '--group-name', 'gg');

    await iam('create-role', '--role-name', 'gr', '--assume-role-policy-document', trust);
    expect((await iam('list-roles')).Roles.map((r: { RoleName: string }) => r.RoleName)).toEqual(['gr']);
    await iam('update-role', '--role-name', 'gr', '--max-session-duration', '7200');
    expect(
      (await iam('update-role-description', '--role-name', 'gr', '--description', 'x')).Role,
    ).toMatchObject({
      Description: 'x',
      MaxSessionDuration: 7200,
    });
    await iam('update-assume-role-policy', '--role-name', 'gr', '--policy-document', trust);
    await iam('tag-role', '--role-name', 'gr', '--tags', 'Key=t,Value=v');
    expect((await iam('list-role-tags', '--role-name', 'gr')).Tags).toEqual([{ Key: 't', Value: 'v' }]);
    await iam('untag-role', '--role-name', 'gr', '--tag-keys', 't');

    const arn = (await iam('create-policy', '--policy-name', 'gp', '--policy-document', doc)).Policy
      .Arn as string;
    expect((await iam('get-policy', '--policy-arn', arn)).Policy.PolicyName).toBe('gp');
    expect((await iam('list-policies', '--scope', 'Local', '--only-attached')).Policies).toEqual([]);
    await iam('create-policy-version', '--policy-arn', arn, '--policy-document', doc, '--set-as-default');
    expect(
      (await iam('get-policy-version', '--policy-arn', arn, '--version-id', 'v2')).PolicyVersion.Document,
    ).toEqual(JSON.parse(doc));
    expect((await iam('list-policy-versions', '--policy-arn', arn)).Versions).toHaveLength(2);
    await iam('set-default-policy-version', '--policy-arn', arn, '--version-id', 'v1');
    await iam('delete-policy-version', '--policy-arn', arn, '--version-id', 'v2');
    await iam('attach-role-policy', '--role-name', 'gr', '--policy-arn', arn);
    await iam('put-user-permissions-boundary', '--user-name', 'gu2', '--permissions-boundary', arn);
    const entities = await iam('list-entities-for-policy', '--policy-arn', arn);
    expect(entities.PolicyRoles.map((r: { RoleName: string }) => r.RoleName)).toEqual(['gr']);
    expect(entities.PolicyUsers.map((u: { UserName: string }) => u.UserName)).toEqual(['gu2']);
    const bounds = await iam(
      'list-entities-for-policy',
      '--policy-arn',
      arn,
      '--policy-usage-filter',
      'PermissionsBoundary',
    );
    expect([bounds.PolicyUsers.length, bounds.PolicyRoles.length]).toEqual([1, 0]);
    const details = await iam('get-account-authorization-details', '--filter', 'Role', 'LocalManagedPolicy');
    expect(details.RoleDetailList[0].AttachedManagedPolicies).toEqual([{ PolicyName: 'gp', PolicyArn: arn }]);
    expect(details.Policies[0]).toMatchObject({
      Arn: arn,
      AttachmentCount: 1,
      PermissionsBoundaryUsageCount: 1,
    });
    expect(details.UserDetailList).toEqual([]);
    await iam('delete-user-permissions-boundary', '--user-name', 'gu2');
    await iam('put-role-permissions-boundary', '--role-name', 'gr', '--permissions-boundary', arn);
    await iam('delete-role-permissions-boundary', '--role-name', 'gr');
    await iam('detach-role-policy', '--role-name', 'gr', '--policy-arn', arn);
    await iam('delete-policy', '--policy-arn', arn);
    await iam('delete-role', '--role-name', 'gr');
    const gone = await refused('get-policy', '--policy-arn', arn);
    expect(gone.stderr).toContain('(NoSuchEntity)');
  });

  it('required flags are required (as the AWS CLI marks them)', async () => {
    const r = await refused('update-user', '--new-user-name', 'x');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('--user-name');
  });
});
