// ARN pattern matching as IAM does it for Resource and the Arn* operators: the six colon-delimited parts
// (arn:partition:service:region:account-id:resource) are compared separately, each with * and ?
// wildcards, so a wildcard never spans a colon before the resource part.
import type { Glob } from './glob.js';
import { Template, type VariableSource } from './variables.js';

const NO_VARIABLES: VariableSource = { variable: () => undefined };

/** Positions of the (at most five) separating colons of a value; computed once per value. */
export class ArnBounds {
  readonly colons: number[] = [];
  constructor(readonly value: string) {
    let at = value.indexOf(':');
    while (at >= 0 && this.colons.length < 5) {
      this.colons.push(at);
      at = value.indexOf(':', at + 1);
    }
  }

  get segments(): number {
    return this.colons.length + 1;
  }

  start(i: number): number {
    return i === 0 ? 0 : (this.colons[i - 1] as number) + 1;
  }

  end(i: number): number {
    return i < this.colons.length ? (this.colons[i] as number) : this.value.length;
  }
}

export class ArnPattern {
  /** Number of parts in the pattern (at most six; fewer when the last one is a trailing wildcard). */
  private readonly parts: number;
  /**
   * Parts that still need a glob match after the prefix check (not covered by it, not a bare `*`),
   * the resource part first since it differs most between ARNs. `glob` is set when the part has no
   * variables, saving the per-request resolution.
   */
  private readonly checks: readonly { index: number; template: Template; glob: Glob | null }[];
  /** Set when the pattern has neither variables nor wildcards: a plain string comparison suffices. */
  private readonly exact: string | null;
  /**
   * The pattern's text before its first wildcard or variable. Parts before a wildcard compare exactly,
   * so every matching value starts with it: one startsWith rejects most statements early, and the parts
   * it covers need no further check.
   */
  private readonly prefix: string;
  readonly matchesEverything: boolean;
  /**
   * A Resource/NotResource pattern with a variable before the resource part: IAM takes variables there
   * "only in the resource portion of the ARN" (after the fifth colon), so the pattern never resolves.
   */
  private readonly misplacedVariable: boolean;

  private constructor(
    readonly template: Template,
    resourceElement: boolean,
  ) {
    const source = template.source;
    const plain = !template.hasVariables && !/[*?]/.test(source);
    // The text with escapes (`${$}`) replaced, not the source: `a${$}b` names the resource `a$b`.
    this.exact = plain ? template.resolveString(NO_VARIABLES) : null;
    this.matchesEverything = source === '*';
    const marks = [
      source.indexOf('*'),
      source.indexOf('?'),
      template.variablesEnabled ? source.indexOf('${') : -1,
    ];
    const cut = marks.filter((i) => i >= 0);
    this.prefix = source.slice(0, cut.length === 0 ? source.length : Math.min(...cut));
    // Parts 0-4 end at one of the first five colons, so a prefix holding k colons covers parts 0..k-1 in
    // full. The resource part (index 5) may hold colons of its own (rds-db's `dbuser:ID/USER`) and never
    // ends at one: it is always compared, however many colons the prefix has.
    const covered = Math.min(this.prefix.split(':').length - 1, 5);
    const segments = template.splitArn();
    this.parts = segments.length;
    this.misplacedVariable = resourceElement && segments.slice(0, 5).some((t) => t.hasVariables);
    this.checks = segments
      .map((t, index) => ({ index, template: t, glob: t.hasVariables ? null : t.resolveGlob(NO_VARIABLES) }))
      .filter(({ index, template: t }) => index >= covered && !(t.source === '*' && !t.hasVariables))
      .sort((a, b) => b.index - a.index);
  }

  /** `resourceElement`: the pattern is a Resource/NotResource entry (not an Arn* condition value). */
  static parse(text: string, variables: boolean, resourceElement = false): ArnPattern {
    return new ArnPattern(Template.parse(text, variables), resourceElement);
  }

  get source(): string {
    return this.template.source;
  }

  /** Whether every variable of the pattern has a value in the request (always true without variables). */
  resolves(vars: VariableSource): boolean {
    return !this.misplacedVariable && this.template.resolves(vars);
  }

  /**
   * Segment i of the pattern matches segment i of the value; the pattern's last segment matches the rest
   * of the value, so `arn:aws:ec2:*` covers every EC2 ARN and `*` covers anything.
   */
  match(bounds: ArnBounds, vars: VariableSource): boolean {
    if (this.matchesEverything) return true;
    if (this.misplacedVariable) return false;
    const value = bounds.value;
    if (this.exact !== null) return this.exact === value;
    if (!value.startsWith(this.prefix) || bounds.segments < this.parts) return false;
    const last = this.parts - 1;
    for (const { index, template, glob: fixed } of this.checks) {
      const glob = fixed ?? template.resolveGlob(vars);
      if (glob === null) return false;
      const end = index === last ? value.length : bounds.end(index);
      if (!glob.match(value, bounds.start(index), end)) return false;
    }
    return true;
  }
}
