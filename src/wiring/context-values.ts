// Converts request facts (strings) and IAM ContextEntry types into the evaluator's typed context values.
import type { ContextValue } from '../policy/index.js';

/** Typed global condition keys, as AWS spells them (and the gateway's own facts do, so they need no case folding). */
const KEY_TYPES_AS_SPELLED: Record<string, ContextValue['type']> = {
  'aws:SourceIp': 'ip',
  'aws:CurrentTime': 'date',
  'aws:TokenIssueTime': 'date',
  'aws:EpochTime': 'number',
  'aws:SecureTransport': 'boolean',
  'aws:MultiFactorAuthPresent': 'boolean',
  'aws:PrincipalArn': 'arn',
  'aws:SourceArn': 'arn',
};
/** The same by lower-cased name: condition key names are not case-sensitive. */
const GLOBAL_KEY_TYPES: Record<string, ContextValue['type']> = Object.fromEntries(
  Object.entries(KEY_TYPES_AS_SPELLED).map(([key, type]) => [key.toLowerCase(), type]),
);

/** The evaluator type of a well-known key ('string' for any other; own properties only, so not "constructor"). */
function keyType(key: string): ContextValue['type'] {
  if (Object.hasOwn(KEY_TYPES_AS_SPELLED, key)) return KEY_TYPES_AS_SPELLED[key] as ContextValue['type'];
  const lower = key.toLowerCase();
  return Object.hasOwn(GLOBAL_KEY_TYPES, lower)
    ? (GLOBAL_KEY_TYPES[lower] as ContextValue['type'])
    : 'string';
}

/** Typed context from the API's string facts (types by well-known key, else string). */
export function typedContext(
  facts: Readonly<Record<string, string | readonly string[]>>,
): Record<string, ContextValue> {
  const out: Record<string, ContextValue> = {};
  for (const key of Object.keys(facts)) {
    const value = facts[key] as string | readonly string[];
    out[key] = {
      type: keyType(key),
      values: typeof value === 'string' ? [value] : [...value],
    };
  }
  return out;
}

// IAM ContextKeyType names (string, stringList, numeric, numericList, boolean, …, ip, ipList, binary, date).
const ENTRY_TYPES: Record<string, ContextValue['type']> = {
  string: 'string',
  numeric: 'number',
  boolean: 'boolean',
  date: 'date',
  ip: 'ip',
  binary: 'binary',
};

/** Typed context from SimulatePolicy ContextEntries. */
export function contextFromEntries(
  entries: readonly { ContextKeyName: string; ContextKeyValues: string[]; ContextKeyType: string }[],
): Record<string, ContextValue> {
  const out: Record<string, ContextValue> = {};
  for (const e of entries) {
    const base = e.ContextKeyType.replace(/List$/i, '').toLowerCase();
    out[e.ContextKeyName] = { type: ENTRY_TYPES[base] ?? 'string', values: [...e.ContextKeyValues] };
  }
  return out;
}
