// `--cli-input-json` and `--generate-cli-skeleton`, as the AWS CLI has them: a command's parameters given as one
// JSON object with the API's member names (UserName for --user-name), flags on the command line winning.
import type { EventEmitter } from 'node:events';
import { type Command, InvalidArgumentError, type Option } from 'commander';
import { GatehouseError } from '../core/errors.js';
import { CliExit, type CliIo } from './context.js';
import { ParameterError, readParamValue } from './iam-params.js';

const INPUT_FLAG = '--cli-input-json';
const SKELETON_FLAG = '--generate-cli-skeleton';
/** Options that steer the CLI itself, not parameters of the call. */
const CLI_ONLY = new Set(['help', 'cli-input-json', 'generate-cli-skeleton', 'max-items', 'starting-token']);
/** Words the API spells in capitals where a flag has lower case (--db-instance-identifier: DBInstanceIdentifier). */
const ACRONYMS: Readonly<Record<string, string>> = { db: 'DB', iam: 'IAM' };

interface Member {
  /** The API spelling, for the skeleton and messages. */
  name: string;
  option: Option;
}

function invalid(reason: string): GatehouseError {
  return new GatehouseError('GH_CLI_INVALID_PARAMETER', { option: INPUT_FLAG, reason });
}

/** `dbInstanceIdentifier` → `DBInstanceIdentifier`. */
export function memberName(attributeName: string): string {
  return attributeName
    .split(/(?=[A-Z])/)
    .map((w) => ACRONYMS[w.toLowerCase()] ?? `${w.charAt(0).toUpperCase()}${w.slice(1)}`)
    .join('');
}

/**
 * The command's parameters by lower-cased member name (matching ignores case, so the API's DBInstanceIdentifier
 * and a plain DbInstanceIdentifier both work); of a --x / --no-x pair, the positive flag names it.
 */
export function membersOf(cmd: Command): Map<string, Member> {
  const members = new Map<string, Member>();
  for (const option of cmd.options) {
    if (CLI_ONLY.has(option.name()) || option.long === undefined) continue;
    const key = option.attributeName().toLowerCase();
    const known = members.get(key);
    if (known === undefined || (known.option.negate && !option.negate)) {
      members.set(key, { name: memberName(option.attributeName()), option });
    }
  }
  return members;
}

/** A flag without a value (--force-ssl, --no-force-ssl). */
function isFlag(option: Option): boolean {
  return !option.required && !option.optional;
}

function describe(v: unknown): string {
  return `${JSON.stringify(v)}, type: ${Array.isArray(v) ? 'list' : v === null ? 'null' : typeof v}`;
}

/** A JSON value as the text the flag would have been given: documents and structures as JSON, lists comma-joined. */
function flagText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.join(',');
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function parsed(option: Option, member: string, text: string, previous: unknown): unknown {
  if (!option.parseArg) return text;
  try {
    return option.parseArg(text, previous);
  } catch (e) {
    if (e instanceof InvalidArgumentError) throw invalid(`${member}: ${e.message}`);
    throw e;
  }
}

/** The value commander would hold had the flag been typed: parsed by the flag's own parser, lists item by item. */
function optionValue(m: Member, v: unknown): unknown {
  const { option, name } = m;
  if (isFlag(option)) {
    if (typeof v !== 'boolean') {
      throw invalid(`Invalid type for parameter ${name}, value: ${describe(v)}, valid types: boolean`);
    }
    return v;
  }
  if (option.variadic) {
    const items = (Array.isArray(v) ? v : [v]).map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));
    if (!option.parseArg) return items;
    return items.reduce<unknown>((prev, text) => parsed(option, name, text, prev), option.defaultValue);
  }
  return parsed(option, name, flagText(v), option.defaultValue);
}

function readInput(text: string): Record<string, unknown> {
  let source: string;
  try {
    source = readParamValue(text, INPUT_FLAG);
  } catch (e) {
    if (e instanceof ParameterError) throw invalid(e.message);
    throw e;
  }
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch (e) {
    throw invalid(`Invalid JSON: ${(e as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid('expected a JSON object of parameters, e.g. {"UserName": "alice"}');
  }
  return value as Record<string, unknown>;
}

/**
 * Sets the command's options from the JSON (inline or file://); an option already given on the command line
 * keeps its value. Values are set with source "config", so commander's required-option check counts them.
 */
export function applyCliInputJson(cmd: Command, text: string): void {
  const input = readInput(text);
  const members = membersOf(cmd);
  for (const [key, v] of Object.entries(input)) {
    const m = members.get(key.toLowerCase());
    if (m === undefined) {
      const known = [...members.values()].map((x) => x.name).join(', ');
      throw invalid(`Unknown parameter in input: "${key}", must be one of: ${known}`);
    }
    const attribute = m.option.attributeName();
    if (v === null || cmd.getOptionValueSource(attribute) === 'cli') continue;
    cmd.setOptionValueWithSource(attribute, optionValue(m, v), 'config');
  }
}

/** What `--generate-cli-skeleton` prints: every parameter with an empty value of its kind. */
export function cliSkeleton(cmd: Command): Record<string, unknown> {
  const skeleton: Record<string, unknown> = {};
  for (const { name, option } of membersOf(cmd).values()) {
    skeleton[name] = isFlag(option) ? true : option.variadic ? [''] : '';
  }
  return skeleton;
}

/** Adds both flags to a command that sends an API call. */
export function addCliInputOptions(cmd: Command, io: CliIo): void {
  cmd
    .option(
      `${INPUT_FLAG} <json>`,
      'the parameters as a JSON object with the API member names, inline or file://path; flags given too win',
    )
    .option(
      `${SKELETON_FLAG} [input]`,
      'print a JSON skeleton of the parameters for --cli-input-json and exit',
    );
  cmd.on(`option:${INPUT_FLAG.slice(2)}`, (text: string) => applyCliInputJson(cmd, text));
  cmd.on(`option:${SKELETON_FLAG.slice(2)}`, (kind: string | null) => {
    if (kind !== null && kind !== 'input') {
      throw new GatehouseError('GH_CLI_INVALID_PARAMETER', {
        option: SKELETON_FLAG,
        reason: `only "input" is supported, not "${kind}"`,
      });
    }
    io.stdout.write(`${JSON.stringify(cliSkeleton(cmd), null, 4)}\n`);
    // Like --help: printed during parsing, so missing required flags are not reported.
    throw new CliExit(0);
  });
  // A flag typed after --cli-input-json replaces the JSON's value instead of adding to it (variadic flags and
  // collectors append to what they find). Commander's own listener stores the value, so ours must run first: a
  // Command is an EventEmitter, though its typings only declare on().
  const events = cmd as unknown as EventEmitter;
  for (const { option } of membersOf(cmd).values()) {
    const attribute = option.attributeName();
    const reset = (): void => {
      if (cmd.getOptionValueSource(attribute) === 'config') {
        cmd.setOptionValueWithSource(attribute, option.defaultValue, 'default');
      }
    };
    for (const o of cmd.options.filter((x) => x.attributeName() === attribute)) {
      events.prependListener(`option:${o.name()}`, reset);
    }
  }
}
