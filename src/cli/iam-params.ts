// Parameter values the way the AWS CLI takes them: file:// and fileb:// documents, JSON or shorthand
// structures checked against their shape (Tag, ContextEntry), JSON lists, integers.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import type { ContextEntry, ContextKeyTypeEnum, Tag } from '@aws-sdk/client-iam';
import { InvalidArgumentError } from 'commander';
import { parseShorthand, ShorthandSyntaxError } from './iam-shorthand.js';

/** An error in what the user typed, worded as the AWS CLI words it. */
export class ParameterError extends Error {
  override readonly name = 'ParameterError';
}

function parsingError(flag: string, detail: string): ParameterError {
  return new ParameterError(`Error parsing parameter '${flag}': ${detail}`);
}

/** `file://path` as UTF-8 text, `fileb://path` as bytes (decoded as UTF-8 here: every such value is text). */
export function readParamValue(value: string, flag: string): string {
  const prefix = value.startsWith('file://') ? 'file://' : value.startsWith('fileb://') ? 'fileb://' : null;
  if (prefix === null) return value;
  const path = value.slice(prefix.length).replace(/^~(?=$|\/)/, homedir());
  try {
    return readFileSync(path).toString('utf8');
  } catch (e) {
    throw parsingError(flag, `Unable to load paramfile ${value}: ${(e as Error).message}`);
  }
}

function parseJson(text: string, flag: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw parsingError(flag, `Invalid JSON: ${(e as Error).message}\nJSON received: ${text}`);
  }
}

/**
 * A list of strings (`--action-names a b`), or one JSON array (`--action-names '["a","b"]'`) as the AWS CLI
 * also accepts. With `documents`, each item may be file:// (the AWS CLI only expands a lone item).
 */
export function stringList(values: readonly string[], flag: string, documents = false): string[] {
  const items = documents ? values.map((v) => readParamValue(v, flag)) : [...values];
  const only = items.length === 1 ? items[0]!.trimStart() : '';
  if (!only.startsWith('[')) return items;
  const parsed = parseJson(only, flag);
  if (!Array.isArray(parsed) || !parsed.every((v) => typeof v === 'string')) {
    throw parsingError(flag, 'expected a JSON array of strings');
  }
  return parsed;
}

type MemberType = 'string' | 'string-list';

/** The part of an AWS model the CLI needs to check one structure given in shorthand or JSON. */
export interface StructShape {
  /** The API member name, for messages (`Tags[0].Value`). */
  readonly name: string;
  readonly members: Readonly<Record<string, MemberType>>;
  readonly required: readonly string[];
}

export const TAG_SHAPE: StructShape = {
  name: 'Tags',
  members: { Key: 'string', Value: 'string' },
  required: ['Key', 'Value'],
};

export const CONTEXT_ENTRY_SHAPE: StructShape = {
  name: 'ContextEntries',
  members: { ContextKeyName: 'string', ContextKeyValues: 'string-list', ContextKeyType: 'string' },
  required: [],
};

export type StructValue = Record<string, string | string[]>;

function describe(v: unknown): string {
  return `${JSON.stringify(v)}, type: ${Array.isArray(v) ? 'list' : v === null ? 'null' : typeof v}`;
}

function invalid(detail: string): ParameterError {
  return new ParameterError(`Parameter validation failed: ${detail}`);
}

/** Check one item against its shape; a single string given for a list member becomes a list (AWS CLI). */
function applyShape(item: unknown, shape: StructShape, index: number): StructValue {
  const where = `${shape.name}[${index}]`;
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    throw invalid(`Invalid type for parameter ${where}, value: ${describe(item)}, valid types: structure`);
  }
  const out: StructValue = {};
  for (const [key, value] of Object.entries(item as Record<string, unknown>)) {
    const type = Object.hasOwn(shape.members, key) ? shape.members[key] : undefined;
    if (type === undefined) {
      const known = Object.keys(shape.members).join(', ');
      throw invalid(`Unknown parameter in ${where}: "${key}", must be one of: ${known}`);
    }
    const list = type === 'string-list' && typeof value === 'string' ? [value] : value;
    const ok =
      type === 'string'
        ? typeof list === 'string'
        : Array.isArray(list) && list.every((v) => typeof v === 'string');
    if (!ok) {
      const expected = type === 'string' ? 'string' : 'list of strings';
      throw invalid(
        `Invalid type for parameter ${where}.${key}, value: ${describe(value)}, valid types: ${expected}`,
      );
    }
    out[key] = list as string | string[];
  }
  for (const key of shape.required) {
    if (!(key in out)) throw invalid(`Missing required parameter in ${where}: "${key}"`);
  }
  return out;
}

function parseItem(text: string, flag: string): unknown {
  if (text.trimStart().startsWith('{')) return parseJson(text, flag);
  try {
    return parseShorthand(text);
  } catch (e) {
    if (e instanceof ShorthandSyntaxError) throw parsingError(flag, e.message);
    throw e;
  }
}

/**
 * A list of structures, one per argument (`--tags Key=a,Value=b Key=c,Value=d`), each in shorthand or as a
 * JSON object, or the whole list as one JSON array; any argument may be file://.
 */
export function structList(values: readonly string[], flag: string, shape: StructShape): StructValue[] {
  const items = values.map((v) => readParamValue(v, flag));
  const only = items.length === 1 ? items[0]!.trimStart() : '';
  const parsed = only.startsWith('[') ? parseJson(only, flag) : items.map((text) => parseItem(text, flag));
  if (!Array.isArray(parsed)) throw parsingError(flag, 'expected a JSON array');
  return parsed.map((item: unknown, i) => applyShape(item, shape, i));
}

/** `--tags`: Key and Value are both required (IAM API Reference, Tag). */
export function tagList(values: readonly string[], flag = '--tags'): Tag[] {
  return structList(values, flag, TAG_SHAPE).map((t) => ({
    Key: t['Key'] as string,
    Value: t['Value'] as string,
  }));
}

/** `--context-entries`; the type is left for the server to check, as the AWS CLI does. */
export function contextEntries(values: readonly string[], flag = '--context-entries'): ContextEntry[] {
  return structList(values, flag, CONTEXT_ENTRY_SHAPE).map((e) => ({
    ...(e['ContextKeyName'] !== undefined ? { ContextKeyName: e['ContextKeyName'] as string } : {}),
    ...(e['ContextKeyValues'] !== undefined ? { ContextKeyValues: e['ContextKeyValues'] as string[] } : {}),
    ...(e['ContextKeyType'] !== undefined
      ? { ContextKeyType: e['ContextKeyType'] as ContextKeyTypeEnum }
      : {}),
  }));
}

/** A commander argument parser for a whole number (`--max-session-duration 3600`). */
export function integerArg(value: string): number {
  if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError('expected a whole number');
  return Number.parseInt(value, 10);
}
