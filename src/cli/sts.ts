// `gatehouse sts …`: the AWS CLI's STS commands, sent with the AWS SDK to the Gatehouse STS Query API.
import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { Command } from 'commander';
import type { CliIo } from './context.js';
import { integerArg, readParamValue } from './iam-params.js';
import { stsCall } from './iam-run.js';

interface AssumeRoleFlags {
  roleArn?: string;
  roleSessionName?: string;
  durationSeconds?: number;
  policy?: string;
}

export function registerSts(program: Command, io: CliIo): void {
  const sts = program
    .command('sts')
    .description('temporary credentials and caller identity (AWS STS-compatible)');

  sts
    .command('get-caller-identity')
    .description('show the account, user id and ARN the credentials belong to')
    .action((_f: object, cmd: Command) =>
      stsCall(cmd, io, 'GetCallerIdentity', (c) => c.send(new GetCallerIdentityCommand({}))),
    );

  sts
    .command('assume-role')
    .description('get temporary credentials for a role (its trust policy must allow the caller)')
    .requiredOption('--role-arn <arn>', 'role ARN')
    .requiredOption('--role-session-name <name>', 'session name, part of the assumed-role ARN')
    .option('--duration-seconds <seconds>', 'session length (900 up to the role maximum)', integerArg)
    .option('--policy <json>', 'session policy narrowing the role, inline or file://path')
    .action((f: AssumeRoleFlags, cmd: Command) => {
      const input = {
        RoleArn: f.roleArn,
        RoleSessionName: f.roleSessionName,
        DurationSeconds: f.durationSeconds,
        Policy: f.policy === undefined ? undefined : readParamValue(f.policy, '--policy'),
      };
      return stsCall(cmd, io, 'AssumeRole', (c) => c.send(new AssumeRoleCommand(input)));
    });
}
