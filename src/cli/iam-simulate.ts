// `gatehouse iam simulate-principal-policy` and `simulate-custom-policy`: ask the policy evaluator what it
// would decide, without doing anything (IAM API Reference, SimulatePrincipalPolicy / SimulateCustomPolicy).
import { SimulateCustomPolicyCommand, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import type { Command } from 'commander';
import type { CliIo } from './context.js';
import { contextEntries, stringList } from './iam-params.js';
import { iamListAll } from './iam-run.js';

interface SimulateFlags {
  policySourceArn?: string;
  policyInputList?: string[];
  actionNames: string[];
  resourceArns?: string[];
  contextEntries?: string[];
}

const CONTEXT_HELP =
  'condition keys as ContextKeyName=aws:SourceIp,ContextKeyValues=10.0.0.1,ContextKeyType=ip ' +
  '(several separated by spaces; ContextKeyValues=a,b for a list) or JSON';

/** The members both simulations share, from the flags. */
function commonInput(f: SimulateFlags) {
  return {
    ActionNames: stringList(f.actionNames, '--action-names'),
    ResourceArns: f.resourceArns === undefined ? undefined : stringList(f.resourceArns, '--resource-arns'),
    ContextEntries: f.contextEntries === undefined ? undefined : contextEntries(f.contextEntries),
  };
}

function policyInputs(values: string[] | undefined): string[] | undefined {
  return values === undefined ? undefined : stringList(values, '--policy-input-list', true);
}

function withSharedOptions(command: Command): Command {
  return command
    .requiredOption('--action-names <actions...>', 'actions to try, e.g. rds-db:connect iam:GetUser')
    .option('--resource-arns <arns...>', 'resources to try them on (default *)')
    .option('--context-entries <entries...>', CONTEXT_HELP);
}

export function registerIamSimulate(iam: Command, io: CliIo): void {
  withSharedOptions(
    iam
      .command('simulate-principal-policy')
      .description("evaluate a user's, group's or role's policies against actions and resources")
      .requiredOption('--policy-source-arn <arn>', 'the user, group or role whose policies are evaluated')
      .option('--policy-input-list <documents...>', 'extra policies to include (JSON or file://path each)'),
  ).action((f: SimulateFlags, cmd: Command) => {
    const input = {
      PolicySourceArn: f.policySourceArn,
      PolicyInputList: policyInputs(f.policyInputList),
      ...commonInput(f),
    };
    return iamListAll(cmd, io, 'SimulatePrincipalPolicy', 'EvaluationResults', (c, Marker) =>
      c.send(new SimulatePrincipalPolicyCommand({ ...input, Marker })),
    );
  });

  withSharedOptions(
    iam
      .command('simulate-custom-policy')
      .description('evaluate the given policy documents against actions and resources')
      .requiredOption(
        '--policy-input-list <documents...>',
        'policies to evaluate (JSON or file://path each)',
      ),
  ).action((f: SimulateFlags, cmd: Command) => {
    const input = { PolicyInputList: policyInputs(f.policyInputList), ...commonInput(f) };
    return iamListAll(cmd, io, 'SimulateCustomPolicy', 'EvaluationResults', (c, Marker) =>
      c.send(new SimulateCustomPolicyCommand({ ...input, Marker })),
    );
  });
}
