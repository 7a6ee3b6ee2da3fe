// Every IAM action of the Query API driven by the real AWS CLI (Debian's packaged `aws` when present, `aws iam … --endpoint-url … --ca-bundle …`).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IAM_ACTIONS } from '../../../src/api/query/actions-iam.js';
import { startTestGateway, type TestGateway } from '../../support/gateway.js';
import { requireAwsCli } from '../../support/require-binary.js';
import { type AwsCli, awsCli, type Keys } from './support/iam-clients.js';

const aws = requireAwsCli();

/** `list-attached-user-policies` → `ListAttachedUserPolicies`. */
const actionOf = (command: string) =>
  command
    .split('-')
    .map((w) => w[0]?.toUpperCase() + w.slice(1))
    .join('');

// biome-ignore lint/suspicious/noExplicitAny: CLI output is JSON, checked field by field below
type Json = Record<string, any>;

describe.skipIf(aws === null)('the real AWS CLI drives every IAM action', () => {
  let t: TestGateway;
  let cli: AwsCli;
  let account: string;
  const used = new Set<string>();
  /** Runs `aws iam <command> …` and records the command for the coverage check. */
  const run = async (command: string, ...args: string[]): Promise<Json> => {
    used.add(command);
    return ((await cli.iam([command, ...args])) ?? {}) as Json;
  };
  const fail = async (command: string, ...args: string[]) => {
    used.add(command);
    return cli.fails([command, ...args]);
  };

  beforeAll(async () => {
    t = await startTestGateway();
    account = t.gateway.account.accountId;
    cli = await awsCli(aws as string, t, t.gateway.bootstrapKey as Keys);
  });
  afterAll(async () => {
    await cli?.cleanup();
    await t?.stop();
  });

  it('users, keys, groups, roles, inline and managed policies, attachments, versions, tags, boundaries', async () => {
    const doc = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:Get*', Resource: '*' }],
    });
    const trust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'sts:AssumeRole' },
      ],
    });
    const docFile = join(t.dataDir, 'doc.json');
    await writeFile(docFile, doc);
    const policyArn = `arn:aws:iam::${account}:policy/cp`;

    expect(
      (await run('create-user', '--user-name', 'cu', '--tags', 'Key=a,Value=1', 'Key=b,Value=2')).User
        .UserName,
    ).toBe('cu');
    expect((await run('get-user', '--user-name', 'cu')).User.Arn).toBe(`arn:aws:iam::${account}:user/cu`);
    await run('update-user', '--user-name', 'cu', '--new-path', '/ops/');
    expect((await run('list-users', '--path-prefix', '/ops/')).Users.map((u: Json) => u.UserName)).toEqual([
      'cu',
    ]);
    await run('tag-user', '--user-name', 'cu', '--tags', 'Key=c,Value=3');
    await run('untag-user', '--user-name', 'cu', '--tag-keys', 'a', 'b');
    expect((await run('list-user-tags', '--user-name', 'cu')).Tags).toEqual([{ Key: 'c', Value: '3' }]);
    const key = (await run('create-access-key', '--user-name', 'cu')).AccessKey;
    expect((await run('list-access-keys', '--user-name', 'cu')).AccessKeyMetadata[0].AccessKeyId).toBe(
      key.AccessKeyId,
    );
    await run(
      'update-access-key',
      '--user-name',
      'cu',
      '--access-key-id',
      key.AccessKeyId,
      '--status',
      'Inactive',
    );
    expect((await run('get-access-key-last-used', '--access-key-id', key.AccessKeyId)).UserName).toBe('cu');
    expect((await fail('delete-user', '--user-name', 'cu')).stderr).toContain('DeleteConflict');
    await run('delete-access-key', '--user-name', 'cu', '--access-key-id', key.AccessKeyId);

    await run('create-group', '--group-name', 'cg');
    await run('add-user-to-group', '--group-name', 'cg', '--user-name', 'cu');
    expect((await run('get-group', '--group-name', 'cg')).Users.map((u: Json) => u.UserName)).toEqual(['cu']);
    expect((await run('list-groups')).Groups.map((g: Json) => g.GroupName)).toEqual(['cg']);
    expect(
      (await run('list-groups-for-user', '--user-name', 'cu')).Groups.map((g: Json) => g.GroupName),
    ).toEqual(['cg']);
    await run('update-group', '--group-name', 'cg', '--new-group-name', 'cg2');
    expect((await fail('delete-group', '--group-name', 'cg2')).stderr).toContain('DeleteConflict');
    await run('remove-user-from-group', '--group-name', 'cg2', '--user-name', 'cu');

    await run('create-role', '--role-name', 'cr', '--assume-role-policy-document', trust);
    expect((await run('get-role', '--role-name', 'cr')).Role.AssumeRolePolicyDocument).toEqual(
      JSON.parse(trust),
    );
    expect((await run('list-roles')).Roles.map((r: Json) => r.RoleName)).toEqual(['cr']);
    await run('update-role', '--role-name', 'cr', '--max-session-duration', '7200');
    expect(
      (await run('update-role-description', '--role-name', 'cr', '--description', 'd')).Role.Description,
    ).toBe('d');
    await run('update-assume-role-policy', '--role-name', 'cr', '--policy-document', trust);
    await run('tag-role', '--role-name', 'cr', '--tags', 'Key=t,Value=1');
    expect((await run('list-role-tags', '--role-name', 'cr')).Tags).toEqual([{ Key: 't', Value: '1' }]);
    await run('untag-role', '--role-name', 'cr', '--tag-keys', 't');

    for (const [noun, flag, owner] of [
      ['user', '--user-name', 'cu'],
      ['group', '--group-name', 'cg2'],
      ['role', '--role-name', 'cr'],
    ] as const) {
      await run(
        `put-${noun}-policy`,
        flag,
        owner,
        '--policy-name',
        'inl',
        '--policy-document',
        `file://${docFile}`,
      );
      expect((await run(`get-${noun}-policy`, flag, owner, '--policy-name', 'inl')).PolicyDocument).toEqual(
        JSON.parse(doc),
      );
      expect((await run(`list-${noun}-policies`, flag, owner)).PolicyNames).toEqual(['inl']);
      await run(`delete-${noun}-policy`, flag, owner, '--policy-name', 'inl');
    }

    expect((await run('create-policy', '--policy-name', 'cp', '--policy-document', doc)).Policy.Arn).toBe(
      policyArn,
    );
    expect((await run('get-policy', '--policy-arn', policyArn)).Policy.DefaultVersionId).toBe('v1');
    expect((await run('list-policies', '--scope', 'Local')).Policies.map((p: Json) => p.PolicyName)).toEqual([
      'cp',
    ]);
    await run(
      'create-policy-version',
      '--policy-arn',
      policyArn,
      '--policy-document',
      doc,
      '--set-as-default',
    );
    expect(
      (await run('get-policy-version', '--policy-arn', policyArn, '--version-id', 'v2')).PolicyVersion
        .Document,
    ).toEqual(JSON.parse(doc));
    expect(
      (await run('list-policy-versions', '--policy-arn', policyArn)).Versions.map((v: Json) => v.VersionId),
    ).toEqual(['v2', 'v1']);
    await run('set-default-policy-version', '--policy-arn', policyArn, '--version-id', 'v1');
    await run('delete-policy-version', '--policy-arn', policyArn, '--version-id', 'v2');
    for (const [noun, flag, owner] of [
      ['user', '--user-name', 'cu'],
      ['group', '--group-name', 'cg2'],
      ['role', '--role-name', 'cr'],
    ] as const) {
      await run(`attach-${noun}-policy`, flag, owner, '--policy-arn', policyArn);
      expect((await run(`list-attached-${noun}-policies`, flag, owner)).AttachedPolicies).toEqual([
        { PolicyName: 'cp', PolicyArn: policyArn },
      ]);
    }
    const entities = await run('list-entities-for-policy', '--policy-arn', policyArn);
    expect([entities.PolicyUsers.length, entities.PolicyGroups.length, entities.PolicyRoles.length]).toEqual([
      1, 1, 1,
    ]);
    const details = await run('get-account-authorization-details', '--filter', 'User', 'LocalManagedPolicy');
    expect(details.UserDetailList.find((u: Json) => u.UserName === 'cu').AttachedManagedPolicies).toEqual([
      { PolicyName: 'cp', PolicyArn: policyArn },
    ]);
    expect(details.GroupDetailList).toEqual([]);
    expect(details.Policies.map((p: Json) => p.PolicyName)).toEqual(['cp']);
    const sim = await run(
      'simulate-principal-policy',
      '--policy-source-arn',
      `arn:aws:iam::${account}:user/ops/cu`,
      '--action-names',
      's3:GetObject',
    );
    expect(sim.EvaluationResults[0].EvalDecision).toBe('allowed');
    const custom = await run(
      'simulate-custom-policy',
      '--policy-input-list',
      doc,
      '--action-names',
      's3:PutObject',
    );
    expect(custom.EvaluationResults[0].EvalDecision).toBe('implicitDeny');
    expect((await fail('delete-policy', '--policy-arn', policyArn)).stderr).toContain('DeleteConflict');
    for (const [noun, flag, owner] of [
      ['user', '--user-name', 'cu'],
      ['group', '--group-name', 'cg2'],
      ['role', '--role-name', 'cr'],
    ] as const) {
      await run(`detach-${noun}-policy`, flag, owner, '--policy-arn', policyArn);
    }
    await run('put-user-permissions-boundary', '--user-name', 'cu', '--permissions-boundary', policyArn);
    expect((await run('get-user', '--user-name', 'cu')).User.PermissionsBoundary.PermissionsBoundaryArn).toBe(
      policyArn,
    );
    await run('delete-user-permissions-boundary', '--user-name', 'cu');
    await run('put-role-permissions-boundary', '--role-name', 'cr', '--permissions-boundary', policyArn);
    await run('delete-role-permissions-boundary', '--role-name', 'cr');
    await run('delete-policy', '--policy-arn', policyArn);
    await run('delete-group', '--group-name', 'cg2');
    await run('delete-role', '--role-name', 'cr');
    await run('delete-user', '--user-name', 'cu');
    const gone = await fail('get-user', '--user-name', 'cu');
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toContain('(NoSuchEntity)');

    expect([...used].map(actionOf).sort()).toEqual([...IAM_ACTIONS.keys()].sort());
  }, 600_000);
});
