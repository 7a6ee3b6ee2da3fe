// --cli-input-json and --generate-cli-skeleton (input-json.ts) on a command shaped like the real ones: API member
// names fill the flags, required flags may come from the JSON, and flags on the command line win in any order.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { CliExit } from '../../../src/cli/context.js';
import { integerArg } from '../../../src/cli/iam-params.js';
import { addCliInputOptions, memberName } from '../../../src/cli/input-json.js';
import { GatehouseError } from '../../../src/core/errors.js';
import { testIo } from './support/cli-io.js';

function build() {
  const t = testIo();
  const seen: Array<Record<string, unknown>> = [];
  const program = new Command('gh').exitOverride();
  const cmd = program
    .command('create-thing')
    .exitOverride()
    .configureOutput({ writeErr: () => {} })
    .requiredOption('--user-name <name>', 'user')
    .requiredOption('--db-instance-identifier <id>', 'instance')
    .option('--duration-seconds <n>', 'seconds', integerArg)
    .option('--tags <tags...>', 'tags')
    .option('--force-ssl', 'on')
    .option('--no-force-ssl', 'off')
    .addOption(new Option('--auth <method>', 'how').choices(['password', 'iam']))
    .action((f: Record<string, unknown>) => {
      seen.push(f);
    });
  addCliInputOptions(cmd, t.io);
  const run = async (args: string[]) => {
    await program.parseAsync(['create-thing', ...args], { from: 'user' });
    return seen.at(-1);
  };
  return { run, t };
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );
}

const dir = mkdtempSync(join(tmpdir(), 'gh-input-json-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('--cli-input-json', () => {
  it('fills required flags from API member names (DBInstanceIdentifier for --db-instance-identifier)', async () => {
    const { run } = build();
    const f = await run(['--cli-input-json', '{"UserName":"alice","DBInstanceIdentifier":"demo"}']);
    expect(f).toMatchObject({ userName: 'alice', dbInstanceIdentifier: 'demo' });
  });

  it('a flag on the command line wins, before or after the JSON; a list flag replaces the JSON list', async () => {
    const json = '{"UserName":"alice","DBInstanceIdentifier":"demo","Tags":[{"Key":"a","Value":"1"}]}';
    const { run } = build();
    expect(await run(['--user-name', 'bob', '--cli-input-json', json])).toMatchObject({ userName: 'bob' });
    const after = await run(['--cli-input-json', json, '--user-name', 'carol', '--tags', 'Key=b,Value=2']);
    expect(after).toMatchObject({ userName: 'carol', dbInstanceIdentifier: 'demo', tags: ['Key=b,Value=2'] });
  });

  it('values become what the flag would hold: parsed numbers, structures as JSON text, booleans', async () => {
    const { run } = build();
    const f = await run([
      '--cli-input-json',
      JSON.stringify({
        UserName: 'a',
        DBInstanceIdentifier: 'd',
        DurationSeconds: 900,
        Tags: [{ Key: 'k', Value: 'v' }, 'Key=x,Value=y'],
        ForceSsl: false,
        Auth: 'iam',
      }),
    ]);
    expect(f).toMatchObject({
      durationSeconds: 900,
      tags: ['{"Key":"k","Value":"v"}', 'Key=x,Value=y'],
      forceSsl: false,
      auth: 'iam',
    });
  });

  it('reads file://path', async () => {
    const file = join(dir, 'input.json');
    writeFileSync(file, '{"UserName":"fromfile","DBInstanceIdentifier":"demo"}');
    const { run } = build();
    expect(await run(['--cli-input-json', `file://${file}`])).toMatchObject({ userName: 'fromfile' });
  });

  it('an unknown member, a wrong type, a refused choice or bad JSON is GH_CLI_INVALID_PARAMETER', async () => {
    const cases: Array<[string, RegExp]> = [
      [
        '{"UserNam":"a"}',
        /Unknown parameter in input: "UserNam", must be one of: UserName, DBInstanceIdentifier/,
      ],
      [
        '{"ForceSsl":"yes"}',
        /Invalid type for parameter ForceSsl, value: "yes", type: string, valid types: boolean/,
      ],
      ['{"Auth":"kerberos"}', /Auth: Allowed choices are password, iam/],
      ['{"DurationSeconds":"soon"}', /DurationSeconds: expected a whole number/],
      ['{nope', /Invalid JSON/],
      ['["UserName"]', /expected a JSON object of parameters/],
      [`file://${join(dir, 'missing.json')}`, /Unable to load paramfile/],
    ];
    for (const [json, message] of cases) {
      const { run } = build();
      const e = await failure(run(['--cli-input-json', json]));
      expect(e, json).toBeInstanceOf(GatehouseError);
      expect((e as GatehouseError).code).toBe('GH_CLI_INVALID_PARAMETER');
      expect((e as GatehouseError).message).toMatch(/^--cli-input-json: /);
      expect((e as GatehouseError).message).toMatch(message);
    }
  });

  it('without the JSON a required flag is still required', async () => {
    const { run } = build();
    const e = await failure(run(['--user-name', 'a']));
    expect((e as Error).message).toContain("required option '--db-instance-identifier <id>' not specified");
  });
});

describe('--generate-cli-skeleton', () => {
  it('prints every parameter with an empty value and exits 0, even with required flags missing', async () => {
    const { run, t } = build();
    const e = await failure(run(['--generate-cli-skeleton']));
    expect(e).toBeInstanceOf(CliExit);
    expect((e as CliExit).exitCode).toBe(0);
    expect(JSON.parse(t.stdout())).toEqual({
      UserName: '',
      DBInstanceIdentifier: '',
      DurationSeconds: '',
      Tags: [''],
      ForceSsl: true,
      Auth: '',
    });
  });

  it('"output" skeletons are not supported and say so', async () => {
    const { run } = build();
    const e = await failure(run(['--generate-cli-skeleton', 'output']));
    expect((e as GatehouseError).message).toBe(
      '--generate-cli-skeleton: only "input" is supported, not "output"',
    );
  });

  it('member names follow the API spelling of DB and IAM', () => {
    expect(memberName('dbInstanceIdentifier')).toBe('DBInstanceIdentifier');
    expect(memberName('enableIamDatabaseAuthentication')).toBe('EnableIAMDatabaseAuthentication');
    expect(memberName('roleArn')).toBe('RoleArn');
  });
});
