// The slow, obviously-correct IAM evaluator used as the test oracle for src/policy: every statement is read
// from the parsed document on every request, values are substituted into fresh regular expressions, ARNs
// are split with String.split. No memo, no index, no prefix trick: if it disagrees with the fast evaluator,
// the fast one is wrong until proven otherwise. Semantics follow docs/policies.md and docs/decisions.md.
import { BlockList, isIPv4 } from 'node:net';
import type {
  AuthzRequest,
  ConditionEntry,
  DecisionKind,
  MatchedStatement,
  PolicyDocument,
  PolicyKind,
  PrincipalSpec,
  Statement,
} from '../../../../src/policy/types.js';

export interface ReferencePolicy {
  name: string;
  kind: PolicyKind;
  doc: PolicyDocument;
}

export interface ReferenceInput {
  identity: readonly ReferencePolicy[];
  resource?: readonly ReferencePolicy[];
  boundary?: readonly ReferencePolicy[] | null;
  request: AuthzRequest;
}

export interface ReferenceDecision {
  decision: DecisionKind;
  matched: MatchedStatement[];
}

// ---- the request context ------------------------------------------------------------------------------

/** The context entry for a key: the exact spelling first, else the first key equal ignoring case. */
function contextEntry(request: AuthzRequest, key: string): string[] | undefined {
  if (Object.hasOwn(request.context, key)) return request.context[key]?.values;
  const names = Object.keys(request.context).filter((n) => n.toLowerCase() === key.toLowerCase());
  return names.length === 0 ? undefined : request.context[names[0] as string]?.values;
}

/** Keys AWS derives from the principal when the context does not carry them. */
function derived(request: AuthzRequest, key: string): string | undefined {
  const p = request.principal;
  if (p === undefined) return undefined;
  const k = key.toLowerCase();
  if (k === 'aws:username') return p.username;
  if (k === 'aws:userid') return p.userid;
  if (k === 'aws:principalarn') return p.arn;
  if (k === 'aws:principalaccount') return p.accountId;
  if (!k.startsWith('aws:principaltag/') || p.tags === undefined) return undefined;
  const tag = k.slice('aws:principaltag/'.length);
  const name = Object.keys(p.tags).find((n) => n.toLowerCase() === tag);
  return name === undefined ? undefined : p.tags[name];
}

/** The values of a key for conditions; undefined when absent or empty. */
function lookup(request: AuthzRequest, key: string): string[] | undefined {
  const values = contextEntry(request, key);
  if (values !== undefined) return values.length > 0 ? values : undefined;
  const d = derived(request, key);
  return d === undefined ? undefined : [d];
}

/** The single value a policy variable takes; undefined when absent or multivalued. */
function variable(request: AuthzRequest, key: string): string | undefined {
  const values = contextEntry(request, key);
  if (values !== undefined) return values.length === 1 ? values[0] : undefined;
  return derived(request, key);
}

// ---- policy values: variables substituted into characters ---------------------------------------------

/**
 * One character of a resolved policy value. `fromText`: written in the policy text itself (not substituted
 * from a variable or an escape); only such a `*`/`?` is a wildcard (`wild`) and only such a colon splits
 * an ARN.
 */
interface Char {
  c: string;
  wild: boolean;
  fromText: boolean;
}

const textChars = (text: string): Char[] =>
  [...text].map((c) => ({ c, wild: c === '*' || c === '?', fromText: true }));
const literalChars = (text: string): Char[] => [...text].map((c) => ({ c, wild: false, fromText: false }));

/** The value of `${inner}`, or null when it cannot be resolved (absent key, malformed variable). */
function variableValue(inner: string, request: AuthzRequest): string | null {
  if (inner === '*' || inner === '?' || inner === '$') return inner;
  const comma = inner.indexOf(',');
  const key = (comma < 0 ? inner : inner.slice(0, comma)).trim();
  if (key === '' || /\s/.test(key)) return null;
  let fallback: string | undefined;
  if (comma >= 0) {
    const rest = inner.slice(comma + 1).trim();
    if (rest.length < 2 || rest[0] !== "'" || rest[rest.length - 1] !== "'") return null;
    const body = rest.slice(1, -1);
    if (body.split("''").join('').includes("'")) return null;
    fallback = body.split("''").join("'");
  }
  return variable(request, key) ?? fallback ?? null;
}

/** A policy value as characters with its variables replaced, or null when one cannot be resolved. */
function resolve(text: string, variables: boolean, request: AuthzRequest): Char[] | null {
  if (!variables) return textChars(text);
  const out: Char[] = [];
  let i = 0;
  while (i < text.length) {
    if (!text.startsWith('${', i)) {
      out.push(...textChars(text[i] as string));
      i++;
      continue;
    }
    let quoted = false;
    let close = -1;
    for (let j = i + 2; j < text.length; j++) {
      if (text[j] === "'") quoted = !quoted;
      else if (text[j] === '}' && !quoted) {
        close = j;
        break;
      }
    }
    if (close < 0) {
      out.push(...textChars(text.slice(i)));
      break;
    }
    const value = variableValue(text.slice(i + 2, close), request);
    if (value === null) return null;
    out.push(...literalChars(value));
    i = close + 1;
  }
  return out;
}

function escapeRegExp(c: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(c) ? `\\${c}` : c;
}

/** Whether the characters, as a wildcard pattern, match the whole string (a fresh RegExp every time). */
function wildcardMatch(pattern: readonly Char[], value: string, ignoreCase = false): boolean {
  const body = pattern.map(({ c, wild }) =>
    wild ? (c === '*' ? '[\\s\\S]*' : '[\\s\\S]') : escapeRegExp(c),
  );
  return new RegExp(`^${body.join('')}$`, ignoreCase ? 'i' : '').test(value);
}

/** Splits at the first five colons written in the policy text; the sixth part keeps any further colons. */
function splitArnChars(chars: readonly Char[]): Char[][] {
  const parts: Char[][] = [[]];
  for (const ch of chars) {
    if (parts.length < 6 && ch.c === ':' && ch.fromText) parts.push([]);
    else (parts[parts.length - 1] as Char[]).push(ch);
  }
  return parts;
}

/**
 * IAM ARN matching: the pattern's parts are compared with the value's colon-delimited parts one by one,
 * each a wildcard match; the pattern's last part matches all the rest of the value. Only colons written
 * in the policy text separate parts of the pattern.
 */
function arnMatch(pattern: string, variables: boolean, request: AuthzRequest, value: string): boolean | null {
  const chars = resolve(pattern, variables, request);
  if (chars === null) return null;
  const patternParts = splitArnChars(chars);
  const valueParts = value.split(':');
  const head = valueParts.slice(0, 5);
  const valueSix = valueParts.length > 5 ? [...head, valueParts.slice(5).join(':')] : head;
  if (valueSix.length < patternParts.length) return false;
  const last = patternParts.length - 1;
  for (let i = 0; i < patternParts.length; i++) {
    const target = i === last ? valueSix.slice(i).join(':') : (valueSix[i] as string);
    if (!wildcardMatch(patternParts[i] as Char[], target)) return false;
  }
  return true;
}

// ---- conditions -----------------------------------------------------------------------------------------

const NEGATED = new Set([
  'StringNotEquals',
  'StringNotEqualsIgnoreCase',
  'StringNotLike',
  'NumericNotEquals',
  'DateNotEquals',
  'NotIpAddress',
  'ArnNotEquals',
  'ArnNotLike',
]);

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const num = (s: string): number => (NUMBER.test(s) ? Number(s) : Number.NaN);

function ipv4In(cidr: string, address: string): boolean {
  const mapped = address.toLowerCase().startsWith('::ffff:') ? address.slice(7) : address;
  if (!isIPv4(mapped)) return false;
  const [net, bits] = cidr.includes('/') ? cidr.split('/') : [cidr, '32'];
  if (net === undefined || !isIPv4(net)) return false;
  const list = new BlockList();
  list.addSubnet(net, Number(bits), 'ipv4');
  return list.check(mapped, 'ipv4');
}

/**
 * Whether request value `v` matches policy value `p` under the base operator (negation ignored); null when
 * `p` has a variable the request cannot resolve.
 */
function valueMatches(base: string, p: string, v: string, vars: boolean, req: AuthzRequest): boolean | null {
  const positive = base.replace('Not', '');
  switch (positive) {
    case 'StringEquals':
    case 'StringEqualsIgnoreCase': {
      const chars = resolve(p, vars, req);
      if (chars === null) return null;
      const want = chars.map((ch) => ch.c).join('');
      return positive === 'StringEquals' ? want === v : want.toLowerCase() === v.toLowerCase();
    }
    case 'StringLike': {
      const chars = resolve(p, vars, req);
      return chars === null ? null : wildcardMatch(chars, v);
    }
    case 'ArnEquals':
    case 'ArnLike':
      return arnMatch(p, vars, req, v);
    case 'Bool':
      return p.toLowerCase() === v.toLowerCase();
    case 'NumericEquals':
      return num(v) === num(p);
    case 'NumericLessThan':
      return num(v) < num(p);
    case 'NumericLessThanEquals':
      return num(v) <= num(p);
    case 'NumericGreaterThan':
      return num(v) > num(p);
    case 'NumericGreaterThanEquals':
      return num(v) >= num(p);
    case 'IpAddress':
      return ipv4In(p, v);
    default:
      throw new Error(`the reference evaluator does not implement ${base}`);
  }
}

function conditionHolds(c: ConditionEntry, req: AuthzRequest, variables: boolean, allow: boolean): boolean {
  const values = lookup(req, c.key);
  if (c.base === 'Null') {
    const want = values === undefined ? 'true' : 'false';
    return c.values.some((v) => v.toLowerCase() === want);
  }
  const negated = NEGATED.has(c.base);
  if (values === undefined) {
    if (c.set === 'ForAnyValue') return false; // a set operator that needs a value, IfExists or not
    if (c.ifExists || c.set === 'ForAllValues') return true;
    return negated;
  }
  const results = (v: string) => c.values.map((p) => valueMatches(c.base, p, v, variables, req));
  // In an Allow, a negated operator with a value it cannot resolve never holds (docs/decisions.md).
  if (allow && negated && values.some((v) => results(v).includes(null))) return false;
  const anyMatch = (v: string) => results(v).some((r) => r === true);
  const satisfied = (v: string) => anyMatch(v) !== negated;
  if (c.set === 'ForAllValues') return values.every(satisfied);
  if (c.set === 'ForAnyValue') return values.some(satisfied);
  return negated ? !values.some(anyMatch) : values.some(anyMatch);
}

// ---- statements -----------------------------------------------------------------------------------------

type PrincipalHow = 'none' | 'account' | 'direct';

function principalMatch(spec: PrincipalSpec, req: AuthzRequest): PrincipalHow {
  if (spec === '*' || spec.AWS?.includes('*')) return 'direct';
  const p = req.principal;
  if (p === undefined) return 'none';
  let how: PrincipalHow = 'none';
  for (const v of spec.AWS ?? []) {
    const root = /^arn:[a-z-]+:iam::(\d{12}):root$/.exec(v);
    const account = /^\d{12}$/.test(v) ? v : root?.[1];
    if (account !== undefined) {
      if (account === p.accountId && how === 'none') how = 'account';
      continue;
    }
    if (v === p.arn) return 'direct';
    const role = /^arn:[a-z-]+:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(v);
    const session = /^arn:[a-z-]+:sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/.exec(p.arn);
    if (role && session && role[1] === session[1] && role[2] === session[2]) return 'direct';
  }
  const others = [...(spec.Service ?? []), ...(spec.Federated ?? []), ...(spec.CanonicalUser ?? [])];
  return others.includes(p.arn) ? 'direct' : how;
}

function actionApplies(st: Statement, action: string): boolean {
  const patterns = st.action ?? st.notAction ?? [];
  const hit = patterns.some((a) => wildcardMatch(textChars(a), action, true));
  return st.action !== undefined ? hit : !hit;
}

/** Whether a variable (not an escape) stands before the fifth colon of the text: IAM never resolves it there. */
function variableBeforeResourcePart(text: string, variables: boolean): boolean {
  if (!variables) return false;
  let colons = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === ':') colons++;
    if (!text.startsWith('${', i)) continue;
    let quoted = false;
    let close = -1;
    for (let j = i + 2; j < text.length && close < 0; j++) {
      if (text[j] === "'") quoted = !quoted;
      else if (text[j] === '}' && !quoted) close = j;
    }
    if (close < 0) return false;
    const inner = text.slice(i + 2, close);
    if (colons < 5 && inner !== '*' && inner !== '?' && inner !== '$') return true;
    i = close;
  }
  return false;
}

function resourceApplies(st: Statement, req: AuthzRequest, variables: boolean): boolean {
  const patterns = st.resource ?? st.notResource;
  if (patterns === undefined) return true;
  const results = patterns.map((p) =>
    variableBeforeResourcePart(p, variables) ? null : arnMatch(p, variables, req, req.resource),
  );
  if (st.resource !== undefined) return results.includes(true);
  if (results.includes(true)) return false;
  // NotResource: an entry that cannot be resolved keeps an Allow from applying; a Deny still applies.
  return !(st.effect === 'Allow' && results.includes(null));
}

function statementApplies(st: Statement, req: AuthzRequest, variables: boolean): PrincipalHow {
  let how: PrincipalHow = 'direct';
  if (st.principal !== undefined) how = principalMatch(st.principal, req);
  if (st.notPrincipal !== undefined)
    how = principalMatch(st.notPrincipal, req) === 'none' ? 'direct' : 'none';
  if (how === 'none') return how;
  if (!actionApplies(st, req.action)) return 'none';
  if (!resourceApplies(st, req, variables)) return 'none';
  const allow = st.effect === 'Allow';
  return st.conditions.every((c) => conditionHolds(c, req, variables, allow)) ? how : 'none';
}

interface Hit {
  matched: MatchedStatement;
  effect: 'Allow' | 'Deny';
  how: PrincipalHow;
}

function hits(policies: readonly ReferencePolicy[], req: AuthzRequest): Hit[] {
  const out: Hit[] = [];
  for (const policy of policies) {
    const variables = policy.doc.version === '2012-10-17';
    policy.doc.statements.forEach((st, index) => {
      const how = statementApplies(st, req, variables);
      if (how === 'none') return;
      const matched: MatchedStatement = { policy: policy.name, effect: st.effect, index };
      if (st.sid !== undefined) matched.sid = st.sid;
      out.push({ matched, effect: st.effect, how });
    });
  }
  return out;
}

// ---- the decision -----------------------------------------------------------------------------------------

export function referenceEvaluate(input: ReferenceInput): ReferenceDecision {
  const req = input.request;
  const identity = hits(input.identity, req);
  const resource = input.resource === undefined ? [] : hits(input.resource, req);
  const boundary = input.boundary ? hits(input.boundary, req) : [];
  const denies = [...identity, ...resource, ...boundary].filter((h) => h.effect === 'Deny');
  if (denies.length > 0) return { decision: 'explicitDeny', matched: denies.map((h) => h.matched) };
  const implicit: ReferenceDecision = { decision: 'implicitDeny', matched: [] };

  const identityAllows = identity.map((h) => h.matched);
  const direct = resource.filter((h) => h.how === 'direct').map((h) => h.matched);
  const viaAccount = resource.filter((h) => h.how === 'account').map((h) => h.matched);
  const resourceAllows = [...direct, ...viaAccount];
  const parts = req.resource.split(':');
  const owner =
    input.resource !== undefined && req.principal && parts.length >= 6 ? (parts[4] as string) : '';
  const principalAccount = req.principal?.accountId ?? '';
  const crossAccount = owner !== '' && principalAccount !== '' && owner !== principalAccount;
  const trust = input.resource?.some((p) => p.kind === 'trust') ?? false;

  let allowed: MatchedStatement[];
  if (crossAccount) {
    // Across accounts both the caller's identity policies and the owner's resource policy must allow.
    if (identityAllows.length === 0 || resourceAllows.length === 0) return implicit;
    allowed = [...identityAllows, ...resourceAllows];
  } else if (identityAllows.length > 0 && (!trust || resourceAllows.length > 0)) {
    allowed = [...identityAllows, ...resourceAllows];
  } else if (direct.length > 0) {
    allowed = direct;
  } else {
    return implicit;
  }
  if (input.boundary) {
    if (boundary.length === 0) return implicit;
    allowed = [...allowed, ...boundary.map((h) => h.matched)];
  }
  return { decision: 'allowed', matched: allowed };
}
