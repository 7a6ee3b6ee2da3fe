// The AWS CLI conventions every `gatehouse` command shares, run in-process against a real gateway: --query,
// --max-items / --starting-token / --no-paginate, --cli-input-json.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/program.js';
import { startTestGateway, type TestGateway } from '../../support/gateway.js';
import { testIo } from '../../unit/cli/support/cli-io.js';

describe('gatehouse CLI conventions against a running gateway', () => {
  let t: TestGateway;
  let env: NodeJS.ProcessEnv;

  async function cli(args: string[]) {
    const io = testIo({ env });
    const code = await runCli(['--data-dir', t.dataDir, ...args], io.io);
    return { code, stdout: io.stdout(), stderr: io.stderr(), json: () => JSON.parse(io.stdout()) };
  }

  beforeAll(async () => {
    t = await startTestGateway();
    const admin = t.gateway.bootstrapKey as { accessKeyId: string; secretAccessKey: string };
    env = {
      GATEHOUSE_ACCESS_KEY_ID: admin.accessKeyId,
      GATEHOUSE_SECRET_ACCESS_KEY: admin.secretAccessKey,
      GATEHOUSE_ENDPOINT_URL: t.gateway.apiUrl,
    };
  });
  afterAll(async () => t?.stop());

  it('sts get-caller-identity --query Account --output text prints exactly the account id', async () => {
    const r = await cli(['sts', 'get-caller-identity', '--query', 'Account', '--output', 'text']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${t.gateway.account.accountId}\n`);
    expect(r.stdout).toMatch(/^\d{12}\n$/);
  });

  it('rds describe-db-instances --query picks one field of the JSON API answer', async () => {
    await t.createInstance('conv');
    const r = await cli([
      'rds',
      'describe-db-instances',
      '--query',
      'DBInstances[0].DbiResourceId',
      '--output',
      'text',
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^db-[A-Z0-9]{26}\n$/);
  });

  it('an invalid --query is a usage error naming the expression, and nothing is printed', async () => {
    const r = await cli(['sts', 'get-caller-identity', '--query', 'Account[']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^gatehouse: invalid --query expression "Account\[": .+ \[GH_CLI_INVALID_QUERY\]\n$/,
    );
  });

  it('--cli-input-json creates a user (its required --user-name from the JSON), inline or file://', async () => {
    const inline = await cli([
      'iam',
      'create-user',
      '--cli-input-json',
      '{"UserName":"json1","Path":"/json/"}',
    ]);
    expect(inline.code, inline.stderr).toBe(0);
    expect(inline.json().User).toMatchObject({ UserName: 'json1', Path: '/json/' });
    const file = join(t.dataDir, 'create-user.json');
    await writeFile(file, JSON.stringify({ UserName: 'json2', Tags: [{ Key: 'team', Value: 'data' }] }));
    const fromFile = await cli([
      'iam',
      'create-user',
      '--cli-input-json',
      `file://${file}`,
      '--path',
      '/json/',
    ]);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    const got = await cli(['iam', 'get-user', '--user-name', 'json2']);
    expect(got.json().User).toMatchObject({
      UserName: 'json2',
      Path: '/json/',
      Tags: [{ Key: 'team', Value: 'data' }],
    });
  });

  it('iam list-users --max-items 2, then --starting-token, lists every user exactly once', async () => {
    const created = ['p1', 'p2', 'p3', 'p4', 'p5'];
    for (const name of created) {
      const r = await cli(['iam', 'create-user', '--user-name', name, '--path', '/paged/']);
      expect(r.code, r.stderr).toBe(0);
    }
    const all = await cli(['iam', 'list-users', '--path-prefix', '/paged/', '--query', 'Users[].UserName']);
    expect([...all.json()].sort()).toEqual(created);

    const seen: string[] = [];
    let token: string | undefined;
    let calls = 0;
    do {
      const r = await cli([
        'iam',
        'list-users',
        '--path-prefix',
        '/paged/',
        '--max-items',
        '2',
        ...(token !== undefined ? ['--starting-token', token] : []),
      ]);
      expect(r.code, r.stderr).toBe(0);
      const out = r.json();
      expect(out.Users.length).toBeLessThanOrEqual(2);
      seen.push(...out.Users.map((u: { UserName: string }) => u.UserName));
      token = out.NextToken;
      calls++;
    } while (token !== undefined && calls < 10);
    expect(seen).toEqual(all.json());
    expect(calls).toBe(3);
  });

  it('--no-paginate shows the first page as the server sent it, IsTruncated included', async () => {
    const r = await cli(['iam', 'list-users', '--no-paginate']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ IsTruncated: false, Users: expect.any(Array) });
  });

  it('audit lookup-events pages with --max-items / --starting-token over the whole trail', async () => {
    const args = ['audit', 'lookup-events', '--event-name', 'CreateUser'];
    const everything = (await cli([...args, '--query', 'Events[].EventId'])).json() as string[];
    expect(everything.length).toBeGreaterThanOrEqual(7);
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const r = await cli([
        ...args,
        '--max-items',
        '3',
        ...(token !== undefined ? ['--starting-token', token] : []),
      ]);
      expect(r.code, r.stderr).toBe(0);
      const out = r.json();
      seen.push(...out.Events.map((e: { EventId: string }) => e.EventId));
      token = out.NextToken;
    } while (token !== undefined && seen.length <= everything.length);
    expect(seen).toEqual(everything);
  });
});
