// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables are written ${...} inside plain strings.
// evaluate/compilePolicy/contextKeysOf beyond the conformance table: context keys, memo consistency,
// shared frozen results, readable reasons, hostile key names.
import { describe, expect, it } from 'vitest';
import { compilePolicy, contextKeysOf, evaluate } from '../../../src/policy/evaluate.js';
import { parsePolicyDocument } from '../../../src/policy/parse.js';
import type { AuthzRequest, PolicyKind } from '../../../src/policy/types.js';
import { plain } from './cases/case.js';

const ACCOUNT = '123456789012';
const JANE = { arn: `arn:aws:iam::${ACCOUNT}:user/jane`, accountId: ACCOUNT, username: 'jane' };

function compile(doc: object, name = 'p', kind: PolicyKind = 'identity') {
  const parsed = parsePolicyDocument(JSON.stringify(doc), kind);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return compilePolicy(parsed.policy, { name, kind });
}

const connect = (user: string, extra: Partial<AuthzRequest> = {}): AuthzRequest => ({
  action: 'rds-db:connect',
  resource: `arn:aws:rds-db:us-east-1:${ACCOUNT}:dbuser:db-ABCDEFGHIJKL01234/${user}`,
  principal: JANE,
  context: {},
  ...extra,
});

describe('contextKeysOf', () => {
  it('lists condition keys and variables once each, ignoring case and escapes', () => {
    const p = compile({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 's3:ListBucket',
          Resource: 'arn:aws:s3:::b/${aws:username}/${*}',
          Condition: {
            StringLike: { 's3:prefix': 'home/${aws:PrincipalTag/team}/*' },
            IpAddress: { 'aws:SourceIp': '192.0.2.0/24' },
          },
        },
        { Effect: 'Deny', Action: '*', Resource: '*', Condition: { Bool: { 'AWS:SOURCEIP': 'true' } } },
      ],
    });
    expect(contextKeysOf([p])).toEqual([
      's3:prefix',
      'aws:SourceIp',
      'aws:username',
      'aws:PrincipalTag/team',
    ]);
  });

  it('treats ${...} as text in Version 2008-10-17 and merges several policies', () => {
    const old = compile({
      Statement: [{ Effect: 'Allow', Action: '*', Resource: 'arn:aws:s3:::b/${aws:username}' }],
    });
    const conditioned = compile({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: '*',
          Resource: '*',
          Condition: { Null: { 'aws:TokenIssueTime': 'true' } },
        },
      ],
    });
    expect(contextKeysOf([old, conditioned, conditioned])).toEqual(['aws:TokenIssueTime']);
  });
});

describe('evaluate', () => {
  const policy = compile({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'Own',
        Effect: 'Allow',
        Action: 'rds-db:connect',
        Resource: 'arn:aws:rds-db:*:*:dbuser:*/${aws:username}',
      },
      { Sid: 'NoAdmin', Effect: 'Deny', Action: 'rds-db:*', Resource: 'arn:aws:rds-db:*:*:dbuser:*/admin' },
    ],
  });

  it('explains an allowed decision when asked, in JSON too, and the same way each time', () => {
    const d = evaluate({ identity: [policy], request: connect('jane') });
    expect(d.decision).toBe('allowed');
    const reason = d.reason;
    expect(reason).toMatch(
      /^rds-db:connect on arn:aws:rds-db:\S+\/jane is allowed by \S+ \((statement \d+|Sid \w+)\)$/,
    );
    expect(d.reason).toBe(reason);
    expect(JSON.parse(JSON.stringify(d))).toEqual({ decision: 'allowed', matched: d.matched, reason });
  });

  it('gives the same answer on first sight, once memoised, and after the memo table rolls over', () => {
    const first = [
      evaluate({ identity: [policy], request: connect('jane') }),
      evaluate({ identity: [policy], request: connect('admin') }),
    ].map(plain);
    for (let i = 0; i < 3; i++) {
      expect(plain(evaluate({ identity: [policy], request: connect('jane') }))).toEqual(first[0]);
      expect(plain(evaluate({ identity: [policy], request: connect('admin') }))).toEqual(first[1]);
    }
    // More distinct pairs than the intern table holds (4096), each seen twice so they take ids.
    for (let i = 0; i < 4200; i++) {
      evaluate({ identity: [policy], request: connect(`u${i}`) });
      evaluate({ identity: [policy], request: connect(`u${i}`) });
    }
    expect(plain(evaluate({ identity: [policy], request: connect('jane') }))).toEqual(first[0]);
    expect(plain(evaluate({ identity: [policy], request: connect('admin') }))).toEqual(first[1]);
    expect(first.map((d) => d.decision)).toEqual(['allowed', 'explicitDeny']);
  });

  it('reports shared, frozen statement records that callers cannot alter', () => {
    const a = evaluate({ identity: [policy], request: connect('jane') });
    const b = evaluate({ identity: [policy], request: connect('jane') });
    expect(a.matched[0]).toBe(b.matched[0]);
    expect(a.matched[0]).toEqual({ policy: 'p', sid: 'Own', effect: 'Allow', index: 0 });
    expect(() => {
      (a.matched[0] as { sid?: string }).sid = 'Other';
    }).toThrow(TypeError);
  });

  it('explains the decision naming the deciding statements, abbreviating long lists', () => {
    expect(evaluate({ identity: [policy], request: connect('admin') }).reason).toBe(
      `rds-db:connect on ${connect('admin').resource} is explicitly denied by p (Sid NoAdmin)`,
    );
    const many = compile({
      Version: '2012-10-17',
      Statement: Array.from({ length: 5 }, () => ({ Effect: 'Allow', Action: 'rds-db:*', Resource: '*' })),
    });
    const d = evaluate({ identity: [many], request: connect('jane') });
    expect(d.matched).toHaveLength(5);
    expect(d.reason).toMatch(
      /allowed by p \(statement 0\), p \(statement 1\), p \(statement 2\) and 2 more$/,
    );
    expect(evaluate({ identity: [], request: connect('jane') }).reason).toMatch(
      /^no statement allows rds-db:connect/,
    );
  });

  it('a variable named like an Object.prototype member resolves to nothing rather than a function', () => {
    const p = compile({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'X',
          Effect: 'Allow',
          Action: '*',
          Resource: '*',
          Condition: { StringEquals: { 'a:b': '${toString}' } },
        },
      ],
    });
    const d = evaluate({
      identity: [p],
      request: connect('jane', { context: { 'a:b': { type: 'string', values: ['x'] } } }),
    });
    expect(d.decision).toBe('implicitDeny');
  });

  it('finds condition keys case-insensitively in large request contexts too', () => {
    const p = compile({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'Ip',
          Effect: 'Allow',
          Action: '*',
          Resource: '*',
          Condition: { IpAddress: { 'aws:SourceIp': '192.0.2.0/24' } },
        },
      ],
    });
    const context: AuthzRequest['context'] = {};
    for (let i = 0; i < 20; i++) context[`custom:key${i}`] = { type: 'string', values: [`v${i}`] };
    context['AWS:SOURCEIP'] = { type: 'ip', values: ['192.0.2.9'] };
    expect(evaluate({ identity: [p], request: connect('jane', { context }) }).decision).toBe('allowed');
    context['AWS:SOURCEIP'] = { type: 'ip', values: ['198.51.100.9'] };
    expect(evaluate({ identity: [p], request: connect('jane', { context }) }).decision).toBe('implicitDeny');
  });

  it('an anonymous request against variable-using policies is refused, not thrown', () => {
    const { principal: _omit, ...anonymous } = connect('jane');
    expect(evaluate({ identity: [policy], request: anonymous }).decision).toBe('implicitDeny');
  });

  it('the reason of an implicit deny by the boundary names what did allow', () => {
    const boundary = compile(
      { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] },
      'pb',
    );
    const d = evaluate({ identity: [policy], boundary: [boundary], request: connect('jane') });
    expect(d).toMatchObject({ decision: 'implicitDeny', matched: [] });
    expect(d.reason).toContain('allowed by p (Sid Own) but not by the permissions boundary');
  });
});
