// The help of every command of the real tree (walked, so commands added later are checked too): global options
// shown, required options marked, every line wrapped to the same width.
import type { Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { commandsOf } from '../../../src/cli/command-tree.js';
import { buildProgram } from '../../../src/cli/program.js';
import { testIo } from './support/cli-io.js';

const WIDTH = 80;

function tree(): Command[] {
  const program = buildProgram(testIo().io);
  const all = [...commandsOf(program)];
  // A fixed width, as a terminal of 80 columns (the default when stdout is not a terminal).
  for (const cmd of all) cmd.configureHelp({ ...cmd.configureHelp(), helpWidth: WIDTH });
  return all;
}

function pathOf(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

const collapse = (s: string) => s.replace(/\s+/g, ' ');

function optionLine(cmd: Command, option: Option): string {
  return collapse(`${option.flags} ${cmd.createHelp().optionDescription(option)}`);
}

describe('help of every command', () => {
  const commands = tree();
  const subcommands = commands.filter((c) => c.parent !== null);

  it('covers the whole tree', () => {
    expect(subcommands.length).toBeGreaterThan(40);
    expect(subcommands.map(pathOf)).toContain('gatehouse db create-user');
  });

  it('shows the global options, --region, --query and --output among them', () => {
    for (const cmd of subcommands) {
      const help = cmd.helpInformation();
      expect(help, pathOf(cmd)).toContain('\nGlobal Options:\n');
      for (const flag of [
        '--region <region>',
        '--query <expression>',
        '--output <format>',
        '--no-paginate',
      ]) {
        expect(help, `${pathOf(cmd)} ${flag}`).toContain(flag);
      }
    }
  });

  it('marks every required option "(required)" and no other', () => {
    let required = 0;
    for (const cmd of commands) {
      const help = collapse(cmd.helpInformation());
      for (const option of cmd.options) {
        const line = optionLine(cmd, option);
        expect(help, pathOf(cmd)).toContain(line);
        expect(line.endsWith(' (required)'), `${pathOf(cmd)} ${option.flags}`).toBe(option.mandatory);
        if (option.mandatory) required++;
      }
    }
    expect(required).toBeGreaterThan(20);
  });

  it('wraps every line to the same width (group command lists included)', () => {
    const long: string[] = [];
    for (const cmd of commands) {
      for (const line of cmd.helpInformation().split('\n')) {
        // A single word longer than the column cannot be broken.
        const words = line.trim().split(/\s+/);
        if (line.length > WIDTH && words.length > 1) long.push(`${pathOf(cmd)}: ${line}`);
      }
    }
    expect(long).toEqual([]);
  });

  it('lists subcommands by name, without " [options]"', () => {
    const iam = commands.find((c) => pathOf(c) === 'gatehouse iam') as Command;
    expect(iam.helpInformation()).toMatch(/\n {2}list-users {2,}list users\n/);
  });

  it('generate-db-auth-token shows --region, and db create-user marks --auth required', () => {
    const find = (p: string) => commands.find((c) => pathOf(c) === p) as Command;
    expect(find('gatehouse rds generate-db-auth-token').helpInformation()).toContain('--region <region>');
    const auth = find('gatehouse db create-user').options.find((o) => o.long === '--auth') as Option;
    expect(auth.mandatory).toBe(true);
    expect(collapse(find('gatehouse db create-user').helpInformation())).toContain(
      '--auth <method> how the user authenticates: a password, or IAM auth tokens (choices: "password", "iam") (required)',
    );
  });

  it('API commands take --cli-input-json; paginated ones --max-items and --starting-token', () => {
    const find = (p: string) => commands.find((c) => pathOf(c) === p) as Command;
    const flags = (p: string) => find(p).options.map((o) => o.long);
    expect(flags('gatehouse iam create-user')).toEqual(
      expect.arrayContaining(['--cli-input-json', '--generate-cli-skeleton']),
    );
    expect(flags('gatehouse iam create-user')).not.toContain('--max-items');
    for (const p of [
      'gatehouse iam list-users',
      'gatehouse iam list-access-keys',
      'gatehouse audit lookup-events',
    ]) {
      expect(flags(p), p).toEqual(expect.arrayContaining(['--max-items', '--starting-token']));
    }
    expect(flags('gatehouse up')).not.toContain('--cli-input-json');
  });
});
