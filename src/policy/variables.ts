// Policy variables (IAM User Guide, "IAM policy elements: Variables and tags"): `${key}` is replaced by the
// request's single value for that context key, `${key, 'default'}` falls back to the quoted text, and
// `${*}`, `${?}`, `${$}` stand for the literal characters. Only Version 2012-10-17 has variables.
import { type Glob, GlobBuilder } from './glob.js';

/** Where variables get their values: the request context, keys already lower-cased. */
export interface VariableSource {
  /** The key's value when it has exactly one; multivalued keys cannot be variables (AWS). */
  variable(key: string, keyLower: string): string | undefined;
}

type Part =
  | { kind: 'text'; text: string }
  | { kind: 'literal'; text: string }
  | { kind: 'var'; key: string; keyLower: string; fallback: string | undefined }
  | { kind: 'broken' };

const ESCAPED: Record<string, string> = { '*': '*', '?': '?', $: '$' };

/** Parses the inside of `${...}`; null when malformed (which AWS treats as a value that never matches). */
function parseVariable(inner: string): Part | null {
  const escaped = ESCAPED[inner];
  if (escaped !== undefined) return { kind: 'literal', text: escaped };
  const comma = inner.indexOf(',');
  const key = (comma < 0 ? inner : inner.slice(0, comma)).trim();
  if (key === '' || /\s/.test(key)) return null;
  if (comma < 0) return { kind: 'var', key, keyLower: key.toLowerCase(), fallback: undefined };
  const rest = inner.slice(comma + 1).trim();
  if (rest.length < 2 || !rest.startsWith("'") || !rest.endsWith("'")) return null;
  const body = rest.slice(1, -1);
  // Inside the default a quote is written twice ('').
  if (body.replaceAll("''", '').includes("'")) return null;
  return { kind: 'var', key, keyLower: key.toLowerCase(), fallback: body.replaceAll("''", "'") };
}

/** Finds the `}` closing a variable that starts at `open`, skipping quoted default text. */
function closingBrace(text: string, open: number): number {
  let quoted = false;
  for (let i = open + 2; i < text.length; i++) {
    const c = text[i];
    if (c === "'") quoted = !quoted;
    else if (c === '}' && !quoted) return i;
  }
  return -1;
}

function tokenize(text: string): Part[] {
  const parts: Part[] = [];
  let from = 0;
  for (;;) {
    const open = text.indexOf('${', from);
    if (open < 0) break;
    const close = closingBrace(text, open);
    if (close < 0) break;
    if (open > from) parts.push({ kind: 'text', text: text.slice(from, open) });
    parts.push(parseVariable(text.slice(open + 2, close)) ?? { kind: 'broken' });
    from = close + 1;
  }
  if (from < text.length) parts.push({ kind: 'text', text: text.slice(from) });
  return parts;
}

/** A policy value (Resource entry or condition value) with its variables located, resolved per request. */
export class Template {
  readonly hasVariables: boolean;
  private readonly staticString: string;
  private readonly staticGlob: Glob | null;
  /** The only variable when there is exactly one (the common `${aws:username}` case), for a faster path. */
  private readonly single: Extract<Part, { kind: 'var' }> | null;
  private memoKey: string | undefined;
  private memoGlob: Glob | null = null;

  private constructor(
    private readonly parts: readonly Part[],
    readonly source: string,
    /** Whether `${...}` was read as variables (2012-10-17) or kept as text (2008-10-17). */
    readonly variablesEnabled: boolean,
  ) {
    this.hasVariables = parts.some((p) => p.kind === 'var' || p.kind === 'broken');
    this.staticString = parts.map((p) => (p.kind === 'text' || p.kind === 'literal' ? p.text : '')).join('');
    this.staticGlob = this.hasVariables ? null : this.buildGlob(parts.map(() => ''));
    const vars = parts.filter((p) => p.kind === 'var' || p.kind === 'broken');
    const only = vars[0];
    this.single = vars.length === 1 && only?.kind === 'var' ? only : null;
  }

  /** With variables disabled (Version 2008-10-17) `${...}` is plain text. */
  static parse(text: string, variables: boolean): Template {
    return new Template(variables ? tokenize(text) : [{ kind: 'text', text }], text, variables);
  }

  /** Context keys referenced as variables, as written. */
  get variableKeys(): string[] {
    return this.parts.flatMap((p) => (p.kind === 'var' ? [p.key] : []));
  }

  /** Splits at the first five colons outside variables: the six parts of an ARN (the last keeps its colons). */
  splitArn(): Template[] {
    const segments: Part[][] = [[]];
    for (const part of this.parts) {
      if (part.kind !== 'text') {
        (segments[segments.length - 1] as Part[]).push(part);
        continue;
      }
      let rest = part.text;
      let colon = rest.indexOf(':');
      while (colon >= 0 && segments.length < 6) {
        if (colon > 0)
          (segments[segments.length - 1] as Part[]).push({ kind: 'text', text: rest.slice(0, colon) });
        segments.push([]);
        rest = rest.slice(colon + 1);
        colon = rest.indexOf(':');
      }
      if (rest !== '') (segments[segments.length - 1] as Part[]).push({ kind: 'text', text: rest });
    }
    return segments.map(
      (parts) => new Template(parts, parts.map(partSource).join(''), this.variablesEnabled),
    );
  }

  private values(source: VariableSource): string[] | null {
    const out: string[] = [];
    for (const part of this.parts) {
      if (part.kind === 'broken') return null;
      if (part.kind !== 'var') continue;
      const value = source.variable(part.key, part.keyLower) ?? part.fallback;
      if (value === undefined) return null;
      out.push(value);
    }
    return out;
  }

  /** Whether every variable has a value in the request (no string is built; true without variables). */
  resolves(source: VariableSource): boolean {
    return !this.hasVariables || this.values(source) !== null;
  }

  /** The value with variables substituted and wildcards literal; null when a variable has no value. */
  resolveString(source: VariableSource): string | null {
    if (!this.hasVariables) return this.staticString;
    const values = this.values(source);
    if (values === null) return null;
    let i = 0;
    return this.parts
      .map((p) => (p.kind === 'var' ? values[i++] : p.kind === 'broken' ? '' : p.text))
      .join('');
  }

  /** The value as a wildcard pattern: substituted values and escapes match literally. */
  resolveGlob(source: VariableSource): Glob | null {
    if (this.staticGlob) return this.staticGlob;
    let key: string;
    let values: string[] | null;
    if (this.single) {
      // One variable: its value is the memo key, and no array is built unless the glob must be.
      const v = source.variable(this.single.key, this.single.keyLower) ?? this.single.fallback;
      if (v === undefined) return null;
      if (v === this.memoKey) return this.memoGlob;
      key = v;
      values = [v];
    } else {
      values = this.values(source);
      if (values === null) return null;
      // Length-prefixed, so no two value lists share a key (a join on a separator would let values that
      // contain the separator collide, and reuse another request's glob).
      key = values.map((v) => `${v.length}:${v}`).join('');
    }
    if (key !== this.memoKey) {
      this.memoGlob = this.buildGlob(values);
      this.memoKey = key;
    }
    return this.memoGlob;
  }

  private buildGlob(values: readonly string[]): Glob {
    const builder = new GlobBuilder();
    let i = 0;
    for (const p of this.parts) {
      if (p.kind === 'text') builder.pattern(p.text);
      else if (p.kind === 'literal') builder.literal(p.text);
      else if (p.kind === 'var') builder.literal(values[i++] ?? '');
    }
    return builder.build();
  }
}

function partSource(p: Part): string {
  if (p.kind === 'text') return p.text;
  if (p.kind === 'literal') return `\${${p.text}}`;
  if (p.kind === 'var') return p.fallback === undefined ? `\${${p.key}}` : `\${${p.key}, '${p.fallback}'}`;
  return `\${broken}`;
}
