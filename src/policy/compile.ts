// compilePolicy: a parsed document turned into matchers built once (lower-cased action globs, ARN
// patterns split into parts, condition values parsed, CIDRs decoded) so evaluation only compares.
import { type ArnBounds, ArnPattern } from './arn.js';
import { type CompiledCondition, compileCondition } from './conditions/condition.js';
import { Glob } from './glob.js';
import { PrincipalMatcher } from './principal.js';
import { requestKeyEpoch } from './request-key.js';
import type {
  Effect,
  MatchedStatement,
  PolicyDocument,
  PolicyKind,
  PolicyVersion,
  Statement,
} from './types.js';
import { Template, type VariableSource } from './variables.js';

export interface CompiledStatement {
  readonly index: number;
  readonly sid: string | undefined;
  readonly effect: Effect;
  /** Null: Action "*" (every action). */
  readonly actions: readonly Glob[] | null;
  readonly notAction: boolean;
  /** Null: no Resource element (a resource-based policy's own resource) or "*". */
  readonly resources: readonly ArnPattern[] | null;
  readonly notResource: boolean;
  /** No policy variable in Resource/NotResource: the resource check depends on the resource string only. */
  readonly resourcesStatic: boolean;
  readonly principal: PrincipalMatcher | null;
  readonly notPrincipal: boolean;
  readonly conditions: readonly CompiledCondition[];
  /** What a decision reports when this statement decides it (shared and frozen). */
  readonly matched: MatchedStatement;
}

export interface PolicyMeta {
  name: string;
  arn?: string;
  kind: PolicyKind;
}

const CACHE_LIMIT = 512;
const NONE: readonly CompiledStatement[] = [];

/** The statements whose Action/NotAction admits an action. */
interface ActionEntry {
  readonly statements: readonly CompiledStatement[];
  /** Whether some of them have a variable-free Resource/NotResource that can reject a resource. */
  readonly filterable: boolean;
}

/**
 * Whether the statement's Resource/NotResource admits the request's resource. An entry whose variable
 * cannot be resolved matches nothing; under NotResource it makes an Allow not apply (it must not grant
 * every other resource) while a Deny still applies to resources no other entry names.
 */
export function resourceMatches(st: CompiledStatement, bounds: ArnBounds, vars: VariableSource): boolean {
  const patterns = st.resources;
  if (patterns === null) return !st.notResource;
  for (const p of patterns) if (p.match(bounds, vars)) return !st.notResource;
  if (!st.notResource) return false;
  if (st.effect === 'Allow' && !st.resourcesStatic) {
    for (const p of patterns) if (!p.resolves(vars)) return false;
  }
  return true;
}

export class CompiledPolicy {
  readonly name: string;
  readonly arn: string | undefined;
  readonly kind: PolicyKind;
  readonly version: PolicyVersion;
  readonly statements: readonly CompiledStatement[];
  /** Context keys used by conditions and variables, as first written. */
  readonly contextKeys: readonly string[];
  /** Memos of the pure Action and static Resource checks: by action, and by interned action + resource. */
  private readonly byAction = new Map<string, ActionEntry>();
  private slots: (readonly CompiledStatement[] | undefined)[] = [];
  private slotsEpoch = -1;

  constructor(doc: PolicyDocument, meta: PolicyMeta) {
    this.name = meta.name;
    this.arn = meta.arn;
    this.kind = meta.kind;
    this.version = doc.version ?? '2008-10-17';
    const variables = this.version === '2012-10-17';
    this.statements = doc.statements.map((st, i) => compileStatement(st, i, variables, meta.name));
    this.contextKeys = collectKeys(doc, variables);
  }

  /**
   * Statements that can apply to the request as far as Action/NotAction and variable-free
   * Resource/NotResource tell; statements with variables in their resources still need resourceMatches.
   * `requestId` comes from internRequest(action, resource), computed once per evaluation; when it is -1
   * (a pair seen for the first time) nothing is memoised and the list is filtered by Action only.
   */
  candidates(
    actionLower: string,
    requestId: number,
    request: { readonly resource: ArnBounds },
  ): readonly CompiledStatement[] {
    if (requestId < 0) return this.actionEntry(actionLower).statements;
    const epoch = requestKeyEpoch();
    if (this.slotsEpoch !== epoch) {
      this.slots = [];
      this.slotsEpoch = epoch;
    }
    const hit = this.slots[requestId];
    if (hit) return hit;
    const entry = this.actionEntry(actionLower);
    const list = entry.filterable
      ? entry.statements.filter(
          (st) => !st.resourcesStatic || resourceMatches(st, request.resource, NO_VARIABLES),
        )
      : entry.statements;
    const stored = list.length === 0 ? NONE : list;
    this.slots[requestId] = stored;
    return stored;
  }

  private actionEntry(actionLower: string): ActionEntry {
    let entry = this.byAction.get(actionLower);
    if (entry === undefined) {
      const statements = this.statements.filter((st) => actionMatches(st, actionLower));
      // Only worth filtering per resource when some candidate's static Resource/NotResource can reject one.
      const filterable = statements.some(
        (st) => st.resourcesStatic && (st.resources !== null || st.notResource),
      );
      entry = { statements: statements.length === 0 ? NONE : statements, filterable };
      if (this.byAction.size >= CACHE_LIMIT) this.byAction.clear();
      this.byAction.set(actionLower, entry);
    }
    return entry;
  }
}

const NO_VARIABLES: VariableSource = { variable: () => undefined };

function actionMatches(st: CompiledStatement, actionLower: string): boolean {
  let hit = st.actions === null;
  if (!hit) for (const g of st.actions as Glob[]) if (g.match(actionLower)) hit = true;
  return hit !== st.notAction;
}

function compileStatement(
  st: Statement,
  index: number,
  variables: boolean,
  policy: string,
): CompiledStatement {
  const actionList = st.action ?? st.notAction ?? [];
  const resourceList = st.resource ?? st.notResource;
  const principal = st.principal ?? st.notPrincipal;
  return {
    index,
    sid: st.sid,
    effect: st.effect,
    actions: actionList.includes('*') ? null : actionList.map((a) => Glob.of(a.toLowerCase())),
    notAction: st.notAction !== undefined,
    resources:
      resourceList === undefined || resourceList.includes('*')
        ? null
        : resourceList.map((r) => ArnPattern.parse(r, variables, true)),
    notResource: st.notResource !== undefined,
    resourcesStatic: (resourceList ?? []).every((r) => !Template.parse(r, variables).hasVariables),
    principal: principal === undefined ? null : new PrincipalMatcher(principal),
    notPrincipal: st.notPrincipal !== undefined,
    conditions: st.conditions.map((c) => compileCondition(c, variables)),
    matched: Object.freeze({
      policy,
      effect: st.effect,
      index,
      ...(st.sid === undefined ? {} : { sid: st.sid }),
    }),
  };
}

function collectKeys(doc: PolicyDocument, variables: boolean): string[] {
  const keys: string[] = [];
  const seen = new Set<string>();
  const add = (k: string): void => {
    if (seen.has(k.toLowerCase())) return;
    seen.add(k.toLowerCase());
    keys.push(k);
  };
  for (const st of doc.statements) {
    for (const c of st.conditions) add(c.key);
    if (!variables) continue;
    for (const r of [...(st.resource ?? []), ...(st.notResource ?? [])])
      Template.parse(r, true).variableKeys.forEach(add);
    for (const c of st.conditions)
      for (const v of c.values) Template.parse(v, true).variableKeys.forEach(add);
  }
  return keys;
}

export function compilePolicy(doc: PolicyDocument, meta: PolicyMeta): CompiledPolicy {
  return new CompiledPolicy(doc, meta);
}
