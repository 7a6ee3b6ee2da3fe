// Properties of the evaluator over random policies and requests (fast-check): Deny is monotone, order and
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables are written ${...} inside plain strings.
// duplication do not matter, and evaluation never throws on a policy that parsed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CompiledPolicy,
  compilePolicy,
  type EvaluateInput,
  evaluate,
} from '../../../src/policy/evaluate.js';
import { parsePolicyDocument } from '../../../src/policy/parse.js';
import type { AuthzRequest, ContextValue, PolicyDocument, PolicyKind } from '../../../src/policy/types.js';

const ACCOUNT = '123456789012';
const ACTIONS = ['s3:GetObject', 's3:PutObject', 'rds-db:connect', 'iam:CreateUser', 'sqs:SendMessage'];
const ACTION_PATTERNS = [
  ...ACTIONS,
  '*',
  's3:*',
  's3:Get*',
  'rds-db:*',
  'iam:*User*',
  's3:?etObject',
  'S3:GETOBJECT',
];
const RESOURCES = [
  'arn:aws:s3:::b/a.txt',
  'arn:aws:s3:::b/home/alice/x',
  `arn:aws:rds-db:us-east-1:${ACCOUNT}:dbuser:db-A/jane`,
  `arn:aws:sqs:us-east-1:${ACCOUNT}:q`,
  'arn:aws:sqs:us-east-1:210987654321:q',
];
const RESOURCE_PATTERNS = [
  ...RESOURCES,
  '*',
  'arn:aws:s3:::b/*',
  'arn:aws:s3:::b/home/${aws:username}/*',
  'arn:aws:rds-db:*:*:dbuser:*/${aws:username}',
  `arn:aws:rds-db:us-east-1:${ACCOUNT}:dbuser:db-A/*`,
  'arn:aws:s3:::b/?.txt',
  'arn:aws:sqs:*',
];

const pick = <T>(xs: readonly T[]) => fc.constantFrom(...xs);
const oneOrMany = <T>(arb: fc.Arbitrary<T>) => fc.oneof(arb, fc.array(arb, { minLength: 1, maxLength: 3 }));

const STRING_OPS = [
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringNotEqualsIgnoreCase',
  'StringLike',
  'StringNotLike',
];
const prefixed = (ops: string[]) =>
  fc
    .tuple(pick(['', 'ForAnyValue:', 'ForAllValues:']), pick(ops), fc.boolean())
    .map(([s, o, ie]) => `${s}${o}${ie ? 'IfExists' : ''}`);

const condition = fc.oneof(
  fc.record({
    op: prefixed(STRING_OPS),
    key: pick(['aws:PrincipalTag/team', 's3:prefix', 'aws:TagKeys', 'AWS:USERNAME']),
    values: oneOrMany(
      pick(['payments', 'home/*', 'a?', '${aws:username}', 'env', "${aws:PrincipalTag/x, 'd'}"]),
    ),
  }),
  fc.record({
    op: prefixed(['NumericEquals', 'NumericNotEquals', 'NumericLessThan', 'NumericGreaterThanEquals']),
    key: pick(['s3:max-keys']),
    values: oneOrMany(pick(['1', '10', '100'])),
  }),
  fc.record({
    op: prefixed(['DateLessThan', 'DateGreaterThan', 'DateEquals']),
    key: pick(['aws:CurrentTime']),
    values: oneOrMany(pick(['2020-01-01T00:00:00Z', '1700000000'])),
  }),
  fc.record({
    op: prefixed(['IpAddress', 'NotIpAddress']),
    key: pick(['aws:SourceIp']),
    values: oneOrMany(pick(['192.0.2.0/24', '2001:db8::/32', '0.0.0.0/0'])),
  }),
  fc.record({ op: prefixed(['Bool']), key: pick(['aws:SecureTransport']), values: pick(['true', 'false']) }),
  fc.record({
    op: prefixed(['ArnLike', 'ArnNotEquals']),
    key: pick(['aws:SourceArn']),
    values: oneOrMany(pick(['arn:aws:s3:::*', 'arn:aws:s3:::b'])),
  }),
  fc.record({
    op: fc.constant('Null'),
    key: pick(['aws:TokenIssueTime', 'aws:TagKeys', 's3:prefix']),
    values: pick(['true', 'false']),
  }),
);

type Json = Record<string, unknown>;

const statement = (kind: PolicyKind, effect?: 'Allow' | 'Deny') =>
  fc
    .record({
      effect: effect
        ? fc.constant(effect)
        : fc.oneof(
            { arbitrary: fc.constant('Allow' as const), weight: 4 },
            { arbitrary: fc.constant('Deny' as const), weight: 1 },
          ),
      not: fc.oneof(
        { arbitrary: fc.constant(false), weight: 4 },
        { arbitrary: fc.constant(true), weight: 1 },
      ),
      actions: oneOrMany(pick(ACTION_PATTERNS)),
      notResource: fc.oneof(
        { arbitrary: fc.constant(false), weight: 4 },
        { arbitrary: fc.constant(true), weight: 1 },
      ),
      resources: oneOrMany(pick(RESOURCE_PATTERNS)),
      principal: pick<unknown>([
        '*',
        { AWS: `arn:aws:iam::${ACCOUNT}:user/alice` },
        { AWS: ACCOUNT },
        { AWS: '210987654321' },
      ]),
      conditions: fc.oneof(fc.constant([]), fc.array(condition, { maxLength: 2 })),
    })
    .map((s): Json => {
      const st: Json = { Effect: s.effect, [s.not ? 'NotAction' : 'Action']: s.actions };
      if (kind !== 'trust') st[s.notResource ? 'NotResource' : 'Resource'] = s.resources;
      if (kind !== 'identity') st['Principal'] = s.principal;
      const cond: Record<string, Record<string, unknown>> = {};
      for (const c of s.conditions) cond[c.op] = { ...cond[c.op], [c.key]: c.values };
      if (s.conditions.length > 0) st['Condition'] = cond;
      return st;
    });

const documentOf = (kind: PolicyKind) =>
  fc.record({ v2012: fc.boolean(), statements: fc.array(statement(kind), { minLength: 1, maxLength: 5 }) });

function parse(doc: { v2012: boolean; statements: Json[] }, kind: PolicyKind): PolicyDocument {
  const json = JSON.stringify({ ...(doc.v2012 ? { Version: '2012-10-17' } : {}), Statement: doc.statements });
  const parsed = parsePolicyDocument(json, kind);
  if (!parsed.ok)
    throw new Error(`generated policy does not parse: ${JSON.stringify(parsed.errors)}\n${json}`);
  return parsed.policy;
}

const ctx = (type: ContextValue['type'], values: fc.Arbitrary<string[]>) =>
  values.map((v): ContextValue => ({ type, values: v }));
const context = fc.record(
  {
    's3:prefix': ctx('string', fc.array(pick(['home/alice/x', 'payments', 'ab', 'env']), { maxLength: 1 })),
    'aws:TagKeys': ctx('string', fc.array(pick(['env', 'payments', 'cost']), { maxLength: 3 })),
    's3:max-keys': ctx('number', fc.array(pick(['0', '10', '1000']), { minLength: 1, maxLength: 1 })),
    'aws:CurrentTime': ctx(
      'date',
      fc.array(pick(['2019-06-01T00:00:00Z', '2024-06-01T00:00:00Z']), { minLength: 1, maxLength: 1 }),
    ),
    'aws:SourceIp': ctx(
      'ip',
      fc.array(pick(['192.0.2.7', '203.0.113.1', '2001:db8::9']), { minLength: 1, maxLength: 1 }),
    ),
    'aws:SecureTransport': ctx('boolean', fc.array(pick(['true', 'false']), { minLength: 1, maxLength: 1 })),
    'aws:SourceArn': ctx(
      'arn',
      fc.array(pick(['arn:aws:s3:::b', 'arn:aws:s3:::c']), { minLength: 1, maxLength: 1 }),
    ),
    'aws:TokenIssueTime': ctx(
      'date',
      fc.array(pick(['2024-01-01T00:00:00Z']), { minLength: 1, maxLength: 1 }),
    ),
  },
  { requiredKeys: [] },
);

const principal = pick([
  {
    arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
    accountId: ACCOUNT,
    username: 'alice',
    tags: { team: 'payments' },
  },
  { arn: `arn:aws:iam::${ACCOUNT}:user/jane`, accountId: ACCOUNT, username: 'jane' },
  { arn: `arn:aws:sts::${ACCOUNT}:assumed-role/app/s`, accountId: ACCOUNT },
  { arn: 'arn:aws:iam::210987654321:user/eve', accountId: '210987654321', username: 'eve' },
  undefined,
]);

const request = fc
  .record({ action: pick(ACTIONS), upper: fc.boolean(), resource: pick(RESOURCES), context, principal })
  .map(
    ({ action, upper, resource, context: c, principal: p }): AuthzRequest => ({
      action: upper ? action.toUpperCase() : action,
      resource,
      context: c as Record<string, ContextValue>,
      ...(p ? { principal: p } : {}),
    }),
  );

const scenario = fc.record({
  identity: fc.array(documentOf('identity'), { maxLength: 4 }),
  resource: fc.option(fc.array(documentOf('resource'), { maxLength: 2 }), { nil: undefined }),
  boundary: fc.option(fc.array(documentOf('identity'), { maxLength: 2 }), { nil: undefined, freq: 2 }),
  request,
});

type Scenario = {
  identity: PolicyDocument[];
  resource?: PolicyDocument[];
  boundary?: PolicyDocument[];
  request: AuthzRequest;
};

type RawScenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function build(raw: RawScenario): Scenario {
  return {
    identity: raw.identity.map((d) => parse(d, 'identity')),
    ...(raw.resource ? { resource: raw.resource.map((d) => parse(d, 'resource')) } : {}),
    ...(raw.boundary ? { boundary: raw.boundary.map((d) => parse(d, 'identity')) } : {}),
    request: raw.request,
  };
}

function decide(s: Scenario): string {
  const compile = (docs: PolicyDocument[], kind: PolicyKind, prefix: string): CompiledPolicy[] =>
    docs.map((d, i) => compilePolicy(d, { name: `${prefix}${i}`, kind }));
  const input: EvaluateInput = { identity: compile(s.identity, 'identity', 'id'), request: s.request };
  if (s.resource) input.resource = compile(s.resource, 'resource', 'res');
  if (s.boundary) input.boundary = compile(s.boundary, 'identity', 'pb');
  return evaluate(input).decision;
}

/** Deterministic shuffle driven by generated keys, so failures shrink and replay. */
function shuffle<T>(xs: readonly T[], keys: readonly number[]): T[] {
  return xs
    .map((x, i) => ({ x, k: keys[i % Math.max(keys.length, 1)] ?? 0, i }))
    .sort((a, b) => a.k - b.k || a.i - b.i)
    .map((e) => e.x);
}

const reorderDoc = (d: PolicyDocument, keys: number[]): PolicyDocument => ({
  ...d,
  statements: shuffle(d.statements, keys),
});
const RUNS = { numRuns: 400 };

describe('evaluation properties', () => {
  it('evaluation never throws on parsed policies, and the decision is one of the three kinds', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        expect(['allowed', 'explicitDeny', 'implicitDeny']).toContain(decide(build(s)));
      }),
      RUNS,
    );
  });

  it('adding a Deny statement never turns a non-allow into allow, nor an explicit deny into anything else', () => {
    const target = fc.record({ policy: fc.nat(), deny: statement('identity', 'Deny'), asNew: fc.boolean() });
    fc.assert(
      fc.property(scenario, target, (raw, t) => {
        const s = build(raw);
        const before = decide(s);
        const denyDoc = parse({ v2012: true, statements: [t.deny] }, 'identity');
        const extra = denyDoc.statements[0];
        if (!extra) throw new Error('no statement');
        const identity =
          t.asNew || s.identity.length === 0
            ? [...s.identity, denyDoc]
            : s.identity.map((d, i) =>
                i === t.policy % s.identity.length ? { ...d, statements: [...d.statements, extra] } : d,
              );
        const after = decide({ ...s, identity });
        expect([before, 'explicitDeny']).toContain(after);
        if (before !== 'allowed') expect(after).not.toBe('allowed');
        if (before === 'explicitDeny') expect(after).toBe('explicitDeny');
      }),
      RUNS,
    );
  });

  it('statement order and policy order never change the decision', () => {
    fc.assert(
      fc.property(scenario, fc.array(fc.integer(), { minLength: 1, maxLength: 8 }), (raw, keys) => {
        const s = build(raw);
        const reordered: Scenario = {
          identity: shuffle(s.identity, keys).map((d) => reorderDoc(d, [...keys].reverse())),
          request: s.request,
          ...(s.resource ? { resource: shuffle(s.resource, keys).map((d) => reorderDoc(d, keys)) } : {}),
          ...(s.boundary
            ? { boundary: shuffle(s.boundary, [...keys].reverse()).map((d) => reorderDoc(d, keys)) }
            : {}),
        };
        expect(decide(reordered)).toBe(decide(s));
      }),
      RUNS,
    );
  });

  it('duplicating a statement never changes the decision', () => {
    fc.assert(
      fc.property(scenario, fc.nat(), fc.nat(), (raw, p, st) => {
        const s = build(raw);
        if (s.identity.length === 0) return;
        const i = p % s.identity.length;
        const identity = s.identity.map((d, j) => {
          if (j !== i) return d;
          const copy = d.statements[st % d.statements.length];
          return copy ? { ...d, statements: [...d.statements, { ...copy, sid: undefined }] } : d;
        });
        expect(decide({ ...s, identity })).toBe(decide(s));
      }),
      RUNS,
    );
  });
});
