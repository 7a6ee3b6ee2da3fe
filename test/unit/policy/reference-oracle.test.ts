// The production evaluator against the slow reference (reference/reference-evaluator.ts) on generated
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables are written ${...} inside plain strings.
// policies and requests: ARNs with colons in the resource part, slashes, `*`, `?` and variables in every
// part, contexts with keys present, absent, empty and multivalued. Each policy set is evaluated against
// several requests, each twice, so the candidate memo, the action index and the request interning are
// exercised on hits as well as on first sight.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CompiledPolicy, compilePolicy, evaluate } from '../../../src/policy/evaluate.js';
import { parsePolicyDocument } from '../../../src/policy/parse.js';
import type {
  AuthzRequest,
  ContextValue,
  MatchedStatement,
  PolicyKind,
  RequestPrincipal,
} from '../../../src/policy/types.js';
import { type ReferencePolicy, referenceEvaluate } from './reference/reference-evaluator.js';

const ACCOUNT = '123456789012';
const OTHER = '210987654321';
const RUNS = Number(process.env.GATEHOUSE_ORACLE_RUNS ?? 2500);

const pick = <T>(xs: readonly T[]) => fc.constantFrom(...xs);

// ---- ARNs -------------------------------------------------------------------------------------------------

/** Resource parts, several with colons and slashes of their own (rds-db, logs, lambda). */
const RESOURCE_PARTS = [
  'dbuser:db-ABCDEFGHIJKLMNOPQRSTUVWXYZ/alice',
  'dbuser:db-ABCDEFGHIJKLMNOPQRSTUVWXYZ/bob',
  'dbuser:db-ABCDEFGHIJKLMNOPQRSTUVWXYZ/alic',
  'dbuser:db-ABCDEFGHIJKLMNOPQRSTUVWXYZ/alice2',
  'dbuser:db-ZZZZZZZZZZZZZZZZZZZZZZZZZZ/alice',
  'dbuser:db-ZZZZZZZZZZZZZZZZZZZZZZZZZZ/app_user',
  'dbuser:db-ABCDEFGHIJKLMNOPQRSTUVWXYZ/app_users',
  'dbuser:db-ABCDEFGHIJKLMNOPQRSTUVWXYZ/a:b',
  'user/alice',
  'user/team-a/alice',
  'user/team-b/bob',
  'role/app/deploy',
  'role/deploy',
  'log-group:app:log-stream:alice',
  'function:f:1',
  'b/home/alice/x.txt',
  'b/home/bob/x.txt',
  'alice',
  // Characters that are wildcards or variable syntax in a pattern, here as plain resource text.
  'b/a$b',
  'b/a*b',
  'b/a?b',
  'b/${aws:username}',
  '',
];
const SERVICES = ['rds-db', 'iam', 's3', 'logs', 'lambda'];
const REGIONS = ['us-east-1', 'eu-west-1', ''];
const ACCOUNTS = [ACCOUNT, OTHER, ''];

// Mostly one partition, region and account, so that patterns and requests share their first five parts
// often enough for the resource part to decide (where the advisory's bug was).
const arnParts = fc.tuple(
  fc.oneof({ weight: 9, arbitrary: fc.constant('aws') }, { weight: 1, arbitrary: fc.constant('aws-cn') }),
  fc.oneof({ weight: 4, arbitrary: fc.constant('rds-db') }, { weight: 4, arbitrary: pick(SERVICES) }),
  fc.oneof(
    { weight: 6, arbitrary: fc.constant(REGIONS[0] as string) },
    { weight: 2, arbitrary: pick(REGIONS) },
  ),
  fc.oneof({ weight: 6, arbitrary: fc.constant(ACCOUNT) }, { weight: 2, arbitrary: pick(ACCOUNTS) }),
  pick(RESOURCE_PARTS),
);
const someArn = arnParts.map(([p, s, r, a, res]) => `arn:${p}:${s}:${r}:${a}:${res}`);
const oddResource = pick(['arn:aws:s3', 'arn:aws:iam::123456789012', 'not-an-arn', '*', 'a:b:c']);

/** The few ARNs one scenario's patterns and requests are made from. */
type World = readonly string[];
const world = fc.uniqueArray(someArn, { minLength: 2, maxLength: 4 });

/** A request resource: one of the world's ARNs, a sibling of one (same first five parts), or anything. */
const requestResource = (w: World) =>
  fc.oneof(
    { weight: 4, arbitrary: pick(w) },
    {
      weight: 4,
      arbitrary: fc
        .tuple(pick(w), pick(RESOURCE_PARTS))
        .map(([arn, res]) => `${arn.split(':').slice(0, 5).join(':')}:${res}`),
    },
    { weight: 1, arbitrary: someArn },
    { weight: 1, arbitrary: oddResource },
  );

const VARIABLES = [
  '${aws:username}',
  '${aws:PrincipalTag/team}',
  "${aws:userid, 'nobody'}",
  '${aws:SourceIp}',
  '${s3:prefix}',
  '${*}',
  '${?}',
  '${$}',
  '${ bad key}',
];

/** One way of rewriting a piece of an ARN into a pattern: keep it, wildcard it, or put a variable in it. */
function mutate(piece: string, how: number, at: number, variable: string): string {
  const i = piece.length === 0 ? 0 : at % piece.length;
  switch (how) {
    case 0:
      return piece;
    case 1:
      return '*';
    case 2:
      return `${piece.slice(0, i)}*${piece.slice(i + 1)}`;
    case 3:
      return `${piece.slice(0, i)}?${piece.slice(i + 1)}`;
    case 4:
      return `${piece}*`;
    case 5:
      return `*${piece.slice(i)}`;
    case 6:
      return `${piece.slice(0, i)}${variable}`;
    case 7:
      return `${piece.slice(0, i)}${variable}${piece.slice(i)}`;
    case 8:
      return `${piece.slice(0, i)}??${piece.slice(i + 2)}`;
    default:
      // The escapes: `${$}`, `${*}`, `${?}` stand for the plain characters.
      return piece.replace(/[$*?]/g, (c) => `\${${c}}`);
  }
}

/**
 * A Resource/NotResource/Arn* pattern: one of the world's ARNs with its colon-separated pieces rewritten,
 * the leading ones seldom (the parser refuses anything but "arn" first), the resource ones often.
 */
const arnPattern = (w: World) =>
  fc.oneof(
    {
      weight: 12,
      arbitrary: fc
        .tuple(
          pick(w),
          fc.array(fc.tuple(fc.nat(99), fc.nat(), pick(VARIABLES)), { minLength: 8, maxLength: 8 }),
          fc.nat(8),
        )
        .map(([arn, edits, cut]) => {
          const rewritten = arn.split(':').map((piece, k) => {
            if (k === 0) return piece;
            const [roll, at, variable] = edits[k % edits.length] as [number, number, string];
            if (roll < (k < 5 ? 80 : 35)) return piece;
            // A piece holding `$`, `*` or `?` is written with escapes half the time it changes.
            return mutate(piece, /[$*?]/.test(piece) && roll % 2 === 0 ? 9 : 1 + (roll % 9), at, variable);
          });
          // Sometimes a short pattern: the last piece then covers the rest of the value.
          // (The parser takes a short ARN only when its last part has a `*`, as IAM's examples do.)
          if (cut >= 6) return rewritten.join(':');
          const short = rewritten.slice(0, Math.max(3, cut));
          const last = short.length - 1;
          if (!(short[last] as string).includes('*')) short[last] = `${short[last]}*`;
          return short.join(':');
        }),
    },
    { weight: 1, arbitrary: pick(['*', 'arn:aws:rds-db:*', 'arn:*:*:*:*:*', 'arn:aws:iam::*:user/*']) },
  );

// ---- statements and documents -----------------------------------------------------------------------------

const ACTION_PATTERNS = [
  'rds-db:connect',
  'rds-db:*',
  'iam:GetUser',
  'iam:*',
  'iam:Get*',
  's3:?etObject',
  '*',
];
const oneOrList = <T>(arb: fc.Arbitrary<T>) => fc.oneof(arb, fc.array(arb, { minLength: 1, maxLength: 3 }));

const setPrefix = pick(['', '', 'ForAnyValue:', 'ForAllValues:']);
const ifExists = pick(['', '', 'IfExists']);
const operator = (ops: readonly string[]) =>
  fc.tuple(setPrefix, pick(ops), ifExists).map(([s, o, e]) => `${s}${o}${e}`);

const STRING_VALUES = [
  'alice',
  'bob',
  'ali*',
  'a?ice',
  'payments',
  '${aws:username}',
  '${aws:PrincipalTag/team}',
  // Two variables in one value: the glob memo is keyed by both values together.
  '${aws:username}${aws:PrincipalTag/team}',
];
const condition = (w: World) =>
  fc.oneof(
    fc.record({
      op: operator([
        'StringEquals',
        'StringNotEquals',
        'StringEqualsIgnoreCase',
        'StringNotEqualsIgnoreCase',
        'StringLike',
        'StringNotLike',
      ]),
      key: pick(['aws:username', 'aws:PrincipalTag/team', 's3:prefix', 'AWS:UserName', 'aws:TagKeys']),
      values: oneOrList(pick([...STRING_VALUES, "${aws:PrincipalTag/missing, 'alice'}", '${aws:nothing}'])),
    }),
    fc.record({
      op: operator(['ArnLike', 'ArnNotLike', 'ArnEquals', 'ArnNotEquals']),
      key: pick(['aws:PrincipalArn', 'aws:SourceArn']),
      values: oneOrList(arnPattern(w)),
    }),
    fc.record({
      op: operator(['Bool']),
      key: pick(['aws:SecureTransport']),
      values: oneOrList(pick(['true', 'false'])),
    }),
    fc.record({
      op: operator(['NumericLessThan', 'NumericEquals', 'NumericGreaterThanEquals', 'NumericNotEquals']),
      key: pick(['s3:max-keys']),
      values: oneOrList(pick(['1', '10', '100'])),
    }),
    fc.record({
      op: operator(['IpAddress', 'NotIpAddress']),
      key: pick(['aws:SourceIp']),
      values: oneOrList(pick(['10.0.0.0/8', '192.0.2.7', '0.0.0.0/0', '203.0.113.0/24'])),
    }),
    fc.record({
      op: pick(['Null']),
      key: pick(['aws:username', 'aws:PrincipalTag/team', 's3:prefix']),
      values: pick(['true', 'false']),
    }),
  );

const PRINCIPALS = [
  '*',
  { AWS: ACCOUNT },
  { AWS: `arn:aws:iam::${OTHER}:root` },
  { AWS: `arn:aws:iam::${ACCOUNT}:user/alice` },
  { AWS: `arn:aws:iam::${ACCOUNT}:role/app/deploy` },
  { Service: 'rds.amazonaws.com' },
];

const statement = (kind: PolicyKind, w: World) =>
  fc
    .record({
      Sid: fc.boolean(),
      Effect: fc.oneof(
        { weight: 3, arbitrary: fc.constant('Allow') },
        { weight: 1, arbitrary: fc.constant('Deny') },
      ),
      notAction: fc.boolean(),
      actions: oneOrList(pick(ACTION_PATTERNS)),
      resourceKind: {
        identity: pick(['Resource', 'Resource', 'Resource', 'NotResource']),
        resource: pick(['Resource', 'Resource', 'NotResource', 'none']),
        trust: fc.constant('none'), // a role trust policy has no Resource element
      }[kind],
      resources: oneOrList(arnPattern(w)),
      conditions: fc.array(condition(w), { maxLength: 2 }),
      principal: fc.option(pick(PRINCIPALS), { nil: undefined }),
      notPrincipal: fc.boolean(),
    })
    .map((s) => {
      const st: Record<string, unknown> = { Effect: s.Effect };
      if (s.Sid) st.Sid = 'Sid';
      st[s.notAction ? 'NotAction' : 'Action'] = s.actions;
      if (s.resourceKind !== 'none') st[s.resourceKind] = s.resources;
      if (s.conditions.length > 0) {
        const block: Record<string, Record<string, unknown>> = {};
        for (const c of s.conditions) block[c.op] = { ...block[c.op], [c.key]: c.values };
        st.Condition = block;
      }
      if (kind !== 'identity')
        st[s.notPrincipal && s.Effect === 'Deny' ? 'NotPrincipal' : 'Principal'] = s.principal ?? '*';
      return st;
    });

const document = (kind: PolicyKind, w: World) =>
  fc
    .record({
      version: pick(['2012-10-17', '2012-10-17', '2012-10-17', '2008-10-17', null]),
      statements: fc.array(statement(kind, w), { minLength: 1, maxLength: 4 }),
    })
    .map(({ version, statements }) => {
      // Sids are unique within a policy: number the ones the generator kept.
      const numbered = statements.map((st, i) => (st.Sid ? { ...st, Sid: `S${i}` } : st));
      return JSON.stringify({ ...(version ? { Version: version } : {}), Statement: numbered });
    });

// ---- requests -----------------------------------------------------------------------------------------------

const PRINCIPAL_CHOICES: (RequestPrincipal | undefined)[] = [
  {
    arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
    accountId: ACCOUNT,
    username: 'alice',
    userid: 'AIDAALICE',
    tags: { team: 'payments' },
  },
  { arn: `arn:aws:iam::${ACCOUNT}:user/team-b/bob`, accountId: ACCOUNT, username: 'bob', userid: 'AIDABOB' },
  // Variable values with colons and wildcard characters must match literally.
  { arn: `arn:aws:iam::${ACCOUNT}:user/a:b`, accountId: ACCOUNT, username: 'a:b', userid: 'AIDAAB' },
  { arn: `arn:aws:iam::${ACCOUNT}:user/ali*`, accountId: ACCOUNT, username: 'ali*', tags: { Team: 'x?' } },
  // Values with NUL that concatenate to the same text: a memo keyed by a joined string would confuse them.
  { arn: `arn:aws:iam::${ACCOUNT}:user/x1`, accountId: ACCOUNT, username: 'x\u0000y', tags: { team: 'z' } },
  { arn: `arn:aws:iam::${ACCOUNT}:user/x2`, accountId: ACCOUNT, username: 'x', tags: { team: 'y\u0000z' } },
  // A role session: no aws:username, so ${aws:username} cannot be resolved.
  { arn: `arn:aws:sts::${ACCOUNT}:assumed-role/deploy/s1`, accountId: ACCOUNT, userid: 'AROADEPLOY:s1' },
  { arn: `arn:aws:iam::${OTHER}:user/mallory`, accountId: OTHER, username: 'mallory' },
  undefined,
];

const contextValue = (type: ContextValue['type'], values: readonly string[]) =>
  fc.oneof(
    fc.constant(undefined),
    fc.subarray([...values], { minLength: 1, maxLength: 1 }).map((v) => ({ type, values: v })),
    fc.subarray([...values], { maxLength: Math.min(3, values.length) }).map((v) => ({ type, values: v })),
  );

const context = fc
  .record({
    'aws:SourceIp': contextValue('ip', [
      '10.1.2.3',
      '192.0.2.7',
      '203.0.113.9',
      '::ffff:10.0.0.1',
      'garbage',
    ]),
    'aws:SecureTransport': contextValue('boolean', ['true', 'false']),
    's3:prefix': contextValue('string', ['home/', 'alice', 'a:b', '*', 'x\u0000yz', 'xy\u0000z']),
    's3:max-keys': contextValue('number', ['5', '10', '1000', 'x']),
    'aws:username': contextValue('string', ['alice', 'bob']),
    'aws:TagKeys': contextValue('string', ['team', 'env']),
    'aws:SourceArn': contextValue('arn', [`arn:aws:iam::${ACCOUNT}:role/app/deploy`, 'arn:aws:s3:::b/x']),
    'AWS:PrincipalTag/team': contextValue('string', ['ops']),
    // The same key in another spelling: the first one written wins, in small and large contexts alike.
    'AWS:USERNAME': contextValue('string', ['mallory']),
    // Enough other keys, sometimes, to take the lookup past its small-context scan.
    padding: fc.boolean(),
  })
  .map(({ padding, ...entries }) => {
    const ctx: Record<string, ContextValue> = {};
    for (const [k, v] of Object.entries(entries)) if (v !== undefined) ctx[k] = v;
    if (padding) for (let i = 0; i < 16; i++) ctx[`gh:pad${i}`] = { type: 'string', values: [String(i)] };
    return ctx;
  });

const request = (w: World) =>
  fc.record({
    action: pick(['rds-db:connect', 'iam:GetUser', 'IAM:getuser', 's3:GetObject', 'iam:DeleteRole']),
    resource: requestResource(w),
    principal: pick(PRINCIPAL_CHOICES),
    context,
  });

// ---- the comparison -----------------------------------------------------------------------------------------

interface Compiled {
  compiled: CompiledPolicy[];
  reference: ReferencePolicy[];
}

function compileSet(jsons: readonly string[], kind: PolicyKind, prefix: string): Compiled | null {
  const compiled: CompiledPolicy[] = [];
  const reference: ReferencePolicy[] = [];
  for (const [i, json] of jsons.entries()) {
    const parsed = parsePolicyDocument(json, kind);
    if (!parsed.ok) return null;
    const name = `${prefix}${i}`;
    compiled.push(compilePolicy(parsed.policy, { name, kind }));
    reference.push({ name, kind, doc: parsed.policy });
  }
  return { compiled, reference };
}

const key = (m: MatchedStatement) => `${m.policy}#${m.index}#${m.effect}#${m.sid ?? ''}`;
const sorted = (ms: readonly MatchedStatement[]) => ms.map(key).sort();

const scenario = world.chain((w) =>
  fc.record({
    identity: fc.array(document('identity', w), { minLength: 1, maxLength: 3 }),
    resource: fc.option(
      fc.oneof(
        fc.tuple(
          fc.array(document('resource', w), { minLength: 1, maxLength: 2 }),
          fc.constant('resource' as const),
        ),
        fc.tuple(
          fc.array(document('trust', w), { minLength: 1, maxLength: 1 }),
          fc.constant('trust' as const),
        ),
      ),
      { nil: undefined, freq: 3 },
    ),
    boundary: fc.option(fc.array(document('identity', w), { maxLength: 2 }), { nil: undefined, freq: 3 }),
    requests: fc.array(request(w), { minLength: 1, maxLength: 4 }),
  }),
);

describe('the evaluator agrees with the slow reference evaluator', () => {
  it('same decision and same deciding statements on generated policies and requests, first sight and memoised', () => {
    let compared = 0;
    let unparsed = 0;
    const seen = { allowed: 0, explicitDeny: 0, implicitDeny: 0 };
    fc.assert(
      fc.property(scenario, (s) => {
        const identity = compileSet(s.identity, 'identity', 'identity');
        const resource = s.resource ? compileSet(s.resource[0], s.resource[1], 'resource') : undefined;
        const boundary = s.boundary ? compileSet(s.boundary, 'identity', 'boundary') : undefined;
        if (identity === null || resource === null || boundary === null) {
          unparsed++;
          return; // a document the parser refuses (see the count check below)
        }
        for (const r of [...s.requests, ...s.requests]) {
          const req: AuthzRequest = { action: r.action, resource: r.resource, context: r.context };
          if (r.principal) req.principal = r.principal;
          const fast = evaluate({
            identity: identity.compiled,
            ...(resource ? { resource: resource.compiled } : {}),
            ...(boundary ? { boundary: boundary.compiled } : {}),
            request: req,
          });
          const slow = referenceEvaluate({
            identity: identity.reference,
            ...(resource ? { resource: resource.reference } : {}),
            ...(boundary ? { boundary: boundary.reference } : {}),
            request: req,
          });
          expect({ decision: fast.decision, matched: sorted(fast.matched) }).toEqual({
            decision: slow.decision,
            matched: sorted(slow.matched),
          });
          compared++;
          seen[slow.decision]++;
        }
      }),
      { numRuns: RUNS },
    );
    // Thousands of (policy set, request) comparisons, not a property that silently filtered everything out.
    expect(compared).toBeGreaterThan(RUNS * 2);
    expect(unparsed).toBeLessThan(RUNS / 5);
    // Every outcome is common enough for the comparison to mean something.
    for (const kind of Object.keys(seen) as (keyof typeof seen)[])
      expect(seen[kind]).toBeGreaterThan(compared / 20);
  });

  it('memoised variable values never leak between requests (one compiled policy, a generated sequence of values)', () => {
    // Multi-variable values are memoised per template by their substituted values; values drawn from a tiny
    // alphabet with NUL make any ambiguous memo key show up as a wrong decision.
    const text = fc.string({ unit: pick(['x', '\u0000']), maxLength: 2 });
    const json = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 's3:ListBucket',
          Resource: 'arn:aws:s3:::b/${aws:username}:${aws:PrincipalTag/team}*',
          Condition: { StringLike: { 's3:prefix': '${aws:username}${aws:PrincipalTag/team}' } },
        },
      ],
    });
    fc.assert(
      fc.property(fc.array(fc.tuple(text, text, text, text), { minLength: 2, maxLength: 30 }), (steps) => {
        const set = compileSet([json], 'identity', 'memo') as Compiled; // fresh memos: a self-contained counterexample
        for (const [username, team, prefix, suffix] of steps) {
          const req: AuthzRequest = {
            action: 's3:ListBucket',
            resource: `arn:aws:s3:::b/${username}:${team}${suffix}`,
            principal: {
              arn: `arn:aws:iam::${ACCOUNT}:user/u`,
              accountId: ACCOUNT,
              username,
              tags: { team },
            },
            context: { 's3:prefix': { type: 'string', values: [prefix] } },
          };
          const fast = evaluate({ identity: set.compiled, request: req }).decision;
          expect(fast).toBe(referenceEvaluate({ identity: set.reference, request: req }).decision);
        }
      }),
      { numRuns: Math.ceil(RUNS / 5) },
    );
  });

  it('the reference itself refuses the escalation from the advisory (dbuser:*/alice never admits bob)', () => {
    for (const pattern of [
      `arn:aws:rds-db:us-east-1:${ACCOUNT}:dbuser:*/alice`,
      `arn:aws:rds-db:us-east-1:${ACCOUNT}:dbuser:*/\${aws:username}`,
      `arn:aws:rds-db:us-east-1:${ACCOUNT}:dbuser:*/alic?`,
    ]) {
      const json = JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'rds-db:connect', Resource: pattern }],
      });
      const set = compileSet([json], 'identity', 'p') as Compiled;
      const as = (dbUser: string): AuthzRequest => ({
        action: 'rds-db:connect',
        resource: `arn:aws:rds-db:us-east-1:${ACCOUNT}:dbuser:db-X/${dbUser}`,
        principal: PRINCIPAL_CHOICES[0] as RequestPrincipal,
        context: {},
      });
      for (const evaluator of [
        (r: AuthzRequest) => evaluate({ identity: set.compiled, request: r }).decision,
        (r: AuthzRequest) => referenceEvaluate({ identity: set.reference, request: r }).decision,
      ]) {
        expect(evaluator(as('alice')), pattern).toBe('allowed');
        expect(evaluator(as('bob')), pattern).toBe('implicitDeny');
      }
    }
  });
});
