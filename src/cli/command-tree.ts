// What every command gets once all groups are registered: one help layout, and on API commands the AWS CLI's
// --cli-input-json / --generate-cli-skeleton and, where the operation pages, --max-items / --starting-token.
// Applied by walking the finished tree, so commands any group adds later get them without edits of their own.
import { type Command, Help, type HelpConfiguration, type Option } from 'commander';
import type { CliIo } from './context.js';
import { addCliInputOptions } from './input-json.js';
import { addPaginationOptions, isPaginated } from './paginate.js';

/** Groups whose commands send one management call each (the AWS CLI's service commands). */
const API_GROUPS = new Set(['iam', 'sts', 'rds', 'db', 'audit']);
/** Below this many columns for descriptions commander stops wrapping; low, so every help wraps the same way. */
const MIN_WIDTH_TO_WRAP = 20;

export function* commandsOf(root: Command): Generator<Command> {
  yield root;
  for (const sub of root.commands) yield* commandsOf(sub);
}

/** A required option says so ("(required)"), after commander's choices/default notes. */
function optionDescription(this: Help, option: Option): string {
  const text = Help.prototype.optionDescription.call(this, option);
  return option.mandatory ? `${text} (required)` : text;
}

/**
 * Commands listed by name (and arguments) without commander's " [options]": every leaf has options, and the
 * long IAM names plus that suffix left too narrow a column to wrap descriptions in.
 */
function subcommandTerm(this: Help, cmd: Command): string {
  return Help.prototype.subcommandTerm.call(this, cmd).replace(' [options]', '');
}

const HELP: HelpConfiguration = {
  showGlobalOptions: true,
  minWidthToWrap: MIN_WIDTH_TO_WRAP,
  optionDescription,
  subcommandTerm,
};

function groupOf(cmd: Command): string | undefined {
  let top = cmd;
  while (top.parent?.parent) top = top.parent;
  return top.parent ? top.name() : undefined;
}

export function finishCommandTree(program: Command, io: CliIo): void {
  for (const cmd of commandsOf(program)) {
    cmd.configureHelp({ ...cmd.configureHelp(), ...HELP });
    const group = groupOf(cmd);
    if (cmd.commands.length > 0 || group === undefined || !API_GROUPS.has(group) || cmd.name() === group)
      continue;
    if (isPaginated(cmd)) addPaginationOptions(cmd);
    addCliInputOptions(cmd, io);
  }
}
