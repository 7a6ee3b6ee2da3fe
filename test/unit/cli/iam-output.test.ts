import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { awsCliResult, awsCliTimestamp, decodePolicyDocument } from '../../../src/cli/iam-output.js';
import { allPages, type ListPage } from '../../../src/cli/iam-run.js';
import { type QueryStub, runAgainstStub, startQueryStub } from './support/iam-query-stub.js';

let stub: QueryStub;
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-iam-out-'));
const caFile = join(dir, 'stub-ca.pem');
const cli = (args: string[]) => runAgainstStub(stub, args, { dataDir: dir, caFile });

beforeAll(async () => {
  stub = await startQueryStub();
  writeFileSync(caFile, stub.caPem);
});
afterAll(async () => {
  await stub.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => stub.reset());

const USER = (name: string) =>
  `<Path>/</Path><UserName>${name}</UserName><UserId>AIDA${name.toUpperCase()}</UserId>` +
  `<Arn>arn:aws:iam::123456789012:user/${name}</Arn><CreateDate>2025-01-02T03:04:05Z</CreateDate>`;
const POLICY =
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"rds-db:connect","Resource":"*"}]}';

describe('results printed by gatehouse iam', () => {
  it('get-user prints the SDK result without $metadata, timestamps as the AWS CLI does', async () => {
    stub.respond('GetUser', {
      result: `<User>${USER('alice')}<Tags><member><Key>team</Key><Value>db</Value></member></Tags></User>`,
    });
    const r = await cli(['iam', 'get-user', '--user-name', 'alice']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe(
      [
        '{',
        '  "User": {',
        '    "Path": "/",',
        '    "UserName": "alice",',
        '    "UserId": "AIDAALICE",',
        '    "Arn": "arn:aws:iam::123456789012:user/alice",',
        '    "CreateDate": "2025-01-02T03:04:05+00:00",',
        '    "Tags": [',
        '      {',
        '        "Key": "team",',
        '        "Value": "db"',
        '      }',
        '    ]',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('--output text and table render the same result as the AWS CLI formats do', async () => {
    stub.respond('GetUser', { result: `<User>${USER('alice')}</User>` });
    const text = await cli(['iam', 'get-user', '--output', 'text']);
    expect(text.stdout).toBe(
      'USER\tarn:aws:iam::123456789012:user/alice\t2025-01-02T03:04:05+00:00\t/\tAIDAALICE\talice\n',
    );
    const table = await cli(['--output', 'table', 'iam', 'get-user']);
    expect(table.stdout.split('\n')[1]).toMatch(/^\|\s+GetUser\s+\|$/);
    expect(table.stdout).toMatch(/\|\|\s+User\s+\|\|/);
  });

  it('policy documents, returned URL-encoded, are printed decoded as JSON', async () => {
    stub.respond('GetRolePolicy', {
      result: `<RoleName>r</RoleName><PolicyName>p</PolicyName><PolicyDocument>${encodeURIComponent(POLICY)}</PolicyDocument>`,
    });
    const r = await cli(['iam', 'get-role-policy', '--role-name', 'r', '--policy-name', 'p']);
    expect(JSON.parse(r.stdout)).toEqual({
      RoleName: 'r',
      PolicyName: 'p',
      PolicyDocument: JSON.parse(POLICY),
    });
  });

  it('a role prints its trust policy decoded', async () => {
    stub.respond('GetRole', {
      result:
        '<Role><Path>/</Path><RoleName>r</RoleName><RoleId>AROAR</RoleId><Arn>arn:aws:iam::123456789012:role/r</Arn>' +
        `<CreateDate>2025-01-02T03:04:05.250Z</CreateDate><AssumeRolePolicyDocument>${encodeURIComponent(POLICY)}</AssumeRolePolicyDocument>` +
        '<MaxSessionDuration>3600</MaxSessionDuration></Role>',
    });
    const r = await cli(['iam', 'get-role', '--role-name', 'r']);
    const role = JSON.parse(r.stdout).Role;
    expect(role.AssumeRolePolicyDocument).toEqual(JSON.parse(POLICY));
    expect(role.CreateDate).toBe('2025-01-02T03:04:05.250000+00:00');
    expect(role.MaxSessionDuration).toBe(3600);
  });

  it('an operation without output (delete-user) prints nothing', async () => {
    const r = await cli(['iam', 'delete-user', '--user-name', 'alice']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('list commands follow Marker through every page and print one list without IsTruncated/Marker', async () => {
    stub.respond(
      'ListUsers',
      {
        result: `<Users><member>${USER('a')}</member></Users><IsTruncated>true</IsTruncated><Marker>m1</Marker>`,
      },
      { result: `<Users><member>${USER('b')}</member></Users><IsTruncated>false</IsTruncated>` },
    );
    const r = await cli(['iam', 'list-users', '--path-prefix', '/']);
    expect(stub.requests.map((q) => q.params)).toEqual([
      { PathPrefix: '/' },
      { PathPrefix: '/', Marker: 'm1' },
    ]);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(['Users']);
    expect(out.Users.map((u: { UserName: string }) => u.UserName)).toEqual(['a', 'b']);
  });

  it('an empty list prints an empty array, as the AWS CLI does', async () => {
    stub.respond('ListUserPolicies', { result: '<PolicyNames/><IsTruncated>false</IsTruncated>' });
    const r = await cli(['iam', 'list-user-policies', '--user-name', 'a']);
    expect(r.stdout).toBe('{\n  "PolicyNames": []\n}\n');
  });

  it('simulation results keep their decision and matched statements', async () => {
    stub.respond('SimulateCustomPolicy', {
      result:
        '<EvaluationResults><member><EvalActionName>rds-db:connect</EvalActionName><EvalResourceName>*</EvalResourceName>' +
        '<EvalDecision>allowed</EvalDecision><MatchedStatements><member><SourcePolicyId>PolicyInputList.1</SourcePolicyId>' +
        '</member></MatchedStatements><MissingContextValues/></member></EvaluationResults><IsTruncated>false</IsTruncated>',
    });
    const r = await cli([
      'iam',
      'simulate-custom-policy',
      '--policy-input-list',
      POLICY,
      '--action-names',
      'rds-db:connect',
      '--output',
      'text',
    ]);
    expect(r.stdout).toBe(
      'EVALUATIONRESULTS\trds-db:connect\tallowed\t*\nMATCHEDSTATEMENTS\tPolicyInputList.1\n',
    );
  });
});

describe('awsCliResult', () => {
  it('drops $metadata and undefined members at every depth and formats dates', () => {
    const result = {
      $metadata: { httpStatusCode: 200 },
      A: undefined,
      B: [{ When: new Date(Date.UTC(2025, 0, 2, 3, 4, 5)), C: undefined }],
    };
    expect(awsCliResult(result, { decodePolicies: true })).toEqual({
      B: [{ When: '2025-01-02T03:04:05+00:00' }],
    });
  });

  it('leaves a policy document that is not URL-encoded JSON as it is, and decodes only when asked', () => {
    expect(decodePolicyDocument('%7Bnot json')).toBe('%7Bnot json');
    expect(decodePolicyDocument('%E0%A4%A')).toBe('%E0%A4%A');
    const doc = encodeURIComponent('{"a":1}');
    expect(awsCliResult({ Document: doc }, { decodePolicies: false })).toEqual({ Document: doc });
    expect(awsCliResult({ PolicyVersion: { Document: doc } }, { decodePolicies: true })).toEqual({
      PolicyVersion: { Document: { a: 1 } },
    });
  });

  it('prints milliseconds the way Python prints microseconds', () => {
    expect(awsCliTimestamp(new Date('2025-01-02T03:04:05.007Z'))).toBe('2025-01-02T03:04:05.007000+00:00');
  });
});

describe('allPages', () => {
  it('stops when the server repeats a marker instead of following it forever', async () => {
    const markers: Array<string | undefined> = [];
    const merged = await allPages(async (marker): Promise<ListPage & { Items: number[] }> => {
      markers.push(marker);
      return { Items: [markers.length], IsTruncated: true, Marker: 'same' };
    }, 'Items');
    expect(markers).toEqual([undefined, 'same']);
    expect(merged).toEqual({ Items: [1, 2] });
  });
});
