// Policy validation: every class of bad input is refused with the JSON path of the offending element.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables are written ${...} inside plain strings.
import { describe, expect, it } from 'vitest';
import { parsePolicyDocument } from '../../../src/policy/parse.js';
import { POLICY_SIZE_LIMITS, policySize, policySizeError } from '../../../src/policy/size.js';
import type { PolicyKind } from '../../../src/policy/types.js';

const OK_STATEMENT = { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' };

function errorsOf(doc: unknown, kind: PolicyKind = 'identity') {
  const result = parsePolicyDocument(typeof doc === 'string' ? doc : JSON.stringify(doc), kind);
  if (result.ok) throw new Error('expected the policy to be refused');
  return result.errors;
}

/** Asserts one error at `path` whose message contains `fragment`. */
function expectError(doc: unknown, path: string, fragment: string, kind: PolicyKind = 'identity'): void {
  const errors = errorsOf(doc, kind);
  const hit = errors.find((e) => e.path === path);
  expect(hit, JSON.stringify(errors)).toBeDefined();
  expect(hit?.message).toContain(fragment);
}

const withStatement = (st: object) => ({ Version: '2012-10-17', Statement: [st] });
const withCondition = (condition: object) => withStatement({ ...OK_STATEMENT, Condition: condition });

describe('parsePolicyDocument: accepted documents', () => {
  it('normalises a single Statement object, string lists and JSON scalars in conditions', () => {
    const result = parsePolicyDocument(
      JSON.stringify({
        Version: '2012-10-17',
        Id: 'p1',
        Statement: {
          ...OK_STATEMENT,
          Sid: 'S1',
          Condition: { NumericLessThan: { 's3:max-keys': 10 }, Bool: { 'aws:SecureTransport': true } },
        },
      }),
      'identity',
    );
    expect(result).toEqual({
      ok: true,
      policy: {
        version: '2012-10-17',
        id: 'p1',
        statements: [
          {
            sid: 'S1',
            effect: 'Allow',
            action: ['s3:GetObject'],
            resource: ['arn:aws:s3:::b/*'],
            conditions: [
              {
                operator: 'NumericLessThan',
                base: 'NumericLessThan',
                set: null,
                ifExists: false,
                key: 's3:max-keys',
                values: ['10'],
              },
              {
                operator: 'Bool',
                base: 'Bool',
                set: null,
                ifExists: false,
                key: 'aws:SecureTransport',
                values: ['true'],
              },
            ],
          },
        ],
      },
    });
  });

  it('leaves version undefined when the document has none (2008 semantics)', () => {
    const result = parsePolicyDocument(JSON.stringify({ Statement: [OK_STATEMENT] }), 'identity');
    expect(result.ok && result.policy.version).toBeUndefined();
  });

  it('splits set operators and IfExists out of operator names', () => {
    const result = parsePolicyDocument(
      JSON.stringify(withCondition({ 'ForAllValues:StringLikeIfExists': { 'aws:TagKeys': ['a*'] } })),
      'identity',
    );
    expect(result.ok && result.policy.statements[0]?.conditions[0]).toMatchObject({
      base: 'StringLike',
      set: 'ForAllValues',
      ifExists: true,
    });
  });

  it('accepts a trust policy with Principal and no Resource, and an empty Sid', () => {
    const trust = {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: '',
          Effect: 'Allow',
          Principal: { AWS: '123456789012', Service: ['rds.amazonaws.com'] },
          Action: 'sts:AssumeRole',
        },
      ],
    };
    expect(parsePolicyDocument(JSON.stringify(trust), 'trust').ok).toBe(true);
  });

  it('accepts short wildcard ARNs like arn:aws:ec2:* and resource ARNs with variables', () => {
    const doc = withStatement({
      ...OK_STATEMENT,
      Resource: ['arn:aws:ec2:*', 'arn:aws:rds-db:*:*:dbuser:*/${aws:username}'],
    });
    expect(parsePolicyDocument(JSON.stringify(doc), 'identity').ok).toBe(true);
  });
  it('a resource-based policy may use any text as Sid (S3 bucket policies do), an identity policy may not', () => {
    const doc = withStatement({ ...OK_STATEMENT, Sid: 'Public read-only', Principal: '*' });
    expect(parsePolicyDocument(JSON.stringify(doc), 'resource').ok).toBe(true);
    expect(
      parsePolicyDocument(
        JSON.stringify({ ...doc, Statement: [{ ...OK_STATEMENT, Sid: 'Public read-only' }] }),
        'identity',
      ).ok,
    ).toBe(false);
  });

  it('accepts an Arn operator value that starts with a policy variable', () => {
    const doc = withCondition({ ArnEquals: { 'aws:SourceArn': '${aws:PrincipalArn}' } });
    expect(parsePolicyDocument(JSON.stringify(doc), 'identity').ok).toBe(true);
  });
});

describe('parsePolicyDocument: refused documents carry paths', () => {
  it('invalid JSON reports where it broke', () => {
    const errors = errorsOf('{"Version": "2012-10-17", "Statement": [}');
    expect(errors[0]?.message).toMatch(/invalid JSON: .* at line 1, column \d+/);
    expect(errors[0]?.path).toBe('Statement[0]');
  });

  it('a duplicate key is refused instead of silently dropping one (two StringEquals blocks)', () => {
    const text = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEquals":{"a:b":"1"},"StringEquals":{"c:d":"2"}}}]}`;
    expectError(text, 'Statement[0].Condition.StringEquals', 'duplicate key');
  });

  it('a document that is not an object', () => expectError('[]', '', 'must be a JSON object'));
  it('an unknown top-level element', () =>
    expectError({ Version: '2012-10-17', Statment: [OK_STATEMENT] }, 'Statment', 'unknown policy element'));
  it('a wrongly cased element name gets a hint', () =>
    expectError(
      withStatement({ ...OK_STATEMENT, effect: 'Allow' }),
      'Statement[0].effect',
      'did you mean Effect',
    ));
  it('an unsupported Version', () =>
    expectError({ Version: '2012-10-18', Statement: [OK_STATEMENT] }, 'Version', 'must be "2012-10-17"'));
  it('a non-string Id', () =>
    expectError({ Version: '2012-10-17', Id: 7, Statement: [OK_STATEMENT] }, 'Id', 'must be a string'));
  it('a missing Statement', () => expectError({ Version: '2012-10-17' }, '', 'Statement is required'));
  it('an empty Statement array', () =>
    expectError({ Version: '2012-10-17', Statement: [] }, 'Statement', 'empty array'));
  it('a statement that is not an object', () =>
    expectError(
      { Version: '2012-10-17', Statement: [OK_STATEMENT, 'Allow'] },
      'Statement[1]',
      'must be an object',
    ));
  it('a missing Effect', () =>
    expectError(withStatement({ Action: '*', Resource: '*' }), 'Statement[0]', 'Effect is required'));
  it('a wrong Effect (case matters)', () =>
    expectError(
      withStatement({ ...OK_STATEMENT, Effect: 'allow' }),
      'Statement[0].Effect',
      '"Allow" or "Deny"',
    ));
  it('both Action and NotAction', () =>
    expectError(
      withStatement({ ...OK_STATEMENT, NotAction: 's3:*' }),
      'Statement[0]',
      'both Action and NotAction',
    ));
  it('neither Action nor NotAction', () =>
    expectError(
      withStatement({ Effect: 'Allow', Resource: '*' }),
      'Statement[0]',
      'Action or NotAction is required',
    ));
  it('an empty Action array', () =>
    expectError(withStatement({ ...OK_STATEMENT, Action: [] }), 'Statement[0].Action', 'empty array'));
  it('an Action of the wrong type', () =>
    expectError(withStatement({ ...OK_STATEMENT, Action: 5 }), 'Statement[0].Action', 'string or an array'));
  it('a non-string entry inside an Action list', () =>
    expectError(
      withStatement({ ...OK_STATEMENT, Action: ['s3:GetObject', null] }),
      'Statement[0].Action[1]',
      'must be a string',
    ));
  it('an action without a service prefix', () =>
    expectError(
      withStatement({ ...OK_STATEMENT, Action: 'GetObject' }),
      'Statement[0].Action',
      'is not an action',
    ));
  it('a missing Resource in an identity policy', () =>
    expectError(
      withStatement({ Effect: 'Allow', Action: '*' }),
      'Statement[0]',
      'Resource or NotResource is required',
    ));
  it('both Resource and NotResource', () =>
    expectError(
      withStatement({ ...OK_STATEMENT, NotResource: '*' }),
      'Statement[0]',
      'both Resource and NotResource',
    ));
  it('a Resource that is not an ARN', () =>
    expectError(
      withStatement({ ...OK_STATEMENT, Resource: ['*', 'my-bucket/*'] }),
      'Statement[0].Resource[1]',
      'is not a resource',
    ));
  it('a truncated ARN without a trailing wildcard', () =>
    expectError(
      withStatement({ ...OK_STATEMENT, Resource: 'arn:aws:s3' }),
      'Statement[0].Resource',
      'is not a resource',
    ));
  it('a Resource in a trust policy', () =>
    expectError(
      withStatement({ ...OK_STATEMENT, Principal: '*' }),
      'Statement[0].Resource',
      'not allowed in a role trust policy',
      'trust',
    ));
  it('a Principal in an identity policy', () =>
    expectError(
      withStatement({ ...OK_STATEMENT, Principal: '*' }),
      'Statement[0].Principal',
      'not allowed in an identity-based policy',
    ));
  it('a missing Principal in a resource-based policy', () =>
    expectError(
      withStatement(OK_STATEMENT),
      'Statement[0]',
      'Principal or NotPrincipal is required',
      'resource',
    ));
  it('both Principal and NotPrincipal', () =>
    expectError(
      withStatement({ ...OK_STATEMENT, Principal: '*', NotPrincipal: '*' }),
      'Statement[0]',
      'both Principal and NotPrincipal',
      'resource',
    ));
  it('an unknown principal type', () =>
    expectError(
      withStatement({ ...OK_STATEMENT, Principal: { User: 'bob' } }),
      'Statement[0].Principal.User',
      'unknown principal type',
      'resource',
    ));
  it('a Principal string other than "*"', () =>
    expectError(
      withStatement({ ...OK_STATEMENT, Principal: 'bob' }),
      'Statement[0].Principal',
      'must be "*" or an object',
      'resource',
    ));
  it('an AWS principal that is neither account, ARN nor "*"', () =>
    expectError(
      withStatement({ ...OK_STATEMENT, Principal: { AWS: ['123456789012', 'bob'] } }),
      'Statement[0].Principal.AWS[1]',
      'is not a principal',
      'resource',
    ));
  it('an empty principal map', () =>
    expectError(
      withStatement({ ...OK_STATEMENT, Principal: {} }),
      'Statement[0].Principal',
      'at least one principal',
      'resource',
    ));
  it('a Sid with punctuation', () =>
    expectError(withStatement({ ...OK_STATEMENT, Sid: 'read-only' }), 'Statement[0].Sid', 'letters'));
  it('a duplicate Sid points at the second statement', () =>
    expectError(
      {
        Version: '2012-10-17',
        Statement: [
          { ...OK_STATEMENT, Sid: 'A' },
          { ...OK_STATEMENT, Sid: 'A' },
        ],
      },
      'Statement[1].Sid',
      'duplicate Sid',
    ));
  it('an unknown condition operator', () =>
    expectError(
      {
        Version: '2012-10-17',
        Statement: [OK_STATEMENT, { ...OK_STATEMENT, Condition: { StringEqualz: { 'aws:username': 'x' } } }],
      },
      'Statement[1].Condition.StringEqualz',
      'unknown condition operator',
    ));
  it('a wrongly cased operator gets a hint', () =>
    expectError(
      withCondition({ stringequals: { 'aws:username': 'x' } }),
      'Statement[0].Condition.stringequals',
      'did you mean StringEquals',
    ));
  it('an unknown set operator', () =>
    expectError(
      withCondition({ 'ForSomeValues:StringEquals': { 'aws:TagKeys': 'x' } }),
      'Statement[0].Condition.ForSomeValues:StringEquals',
      'unknown set operator',
    ));
  it('Null with IfExists', () =>
    expectError(
      withCondition({ NullIfExists: { 'aws:TokenIssueTime': 'true' } }),
      'Statement[0].Condition.NullIfExists',
      'Null cannot',
    ));
  it('a Condition that is not an object', () =>
    expectError(withCondition(['x'] as unknown as object), 'Statement[0].Condition', 'must be an object'));
  it('an operator block that is not an object', () =>
    expectError(
      withCondition({ StringEquals: 'x' }),
      'Statement[0].Condition.StringEquals',
      'must be an object of condition keys',
    ));
  it('an empty operator block', () =>
    expectError(
      withCondition({ StringEquals: {} }),
      'Statement[0].Condition.StringEquals',
      'at least one condition key',
    ));
  it('a malformed condition key', () =>
    expectError(
      withCondition({ StringEquals: { username: 'x' } }),
      'Statement[0].Condition.StringEquals.username',
      'is not a condition key',
    ));
  it('an empty array of condition values', () =>
    expectError(
      withCondition({ StringEquals: { 'aws:username': [] } }),
      'Statement[0].Condition.StringEquals.aws:username',
      'empty array',
    ));
  it('an object as a condition value', () =>
    expectError(
      withCondition({ StringEquals: { 'aws:username': [{ a: 1 }] } }),
      'Statement[0].Condition.StringEquals.aws:username[0]',
      'strings, numbers or booleans',
    ));
  it('a non-number for a Numeric operator', () =>
    expectError(
      withCondition({ NumericLessThan: { 's3:max-keys': 'ten' } }),
      'Statement[0].Condition.NumericLessThan.s3:max-keys',
      'not a number',
    ));
  it('a policy variable with a Numeric operator', () =>
    expectError(
      withCondition({ NumericEquals: { 's3:max-keys': '${aws:username}' } }),
      'Statement[0].Condition.NumericEquals.s3:max-keys',
      'String and Arn',
    ));
  it('a bad date', () =>
    expectError(
      withCondition({ DateLessThan: { 'aws:CurrentTime': ['2020-01-01T00:00:00Z', 'next tuesday'] } }),
      'Statement[0].Condition.DateLessThan.aws:CurrentTime[1]',
      'ISO 8601',
    ));
  it('a bad CIDR', () =>
    expectError(
      withCondition({ IpAddress: { 'aws:SourceIp': '10.0.0.0/33' } }),
      'Statement[0].Condition.IpAddress.aws:SourceIp',
      'CIDR',
    ));
  it('a bad IPv6 address', () =>
    expectError(
      withCondition({ IpAddress: { 'aws:SourceIp': '2001:db8:::1' } }),
      'Statement[0].Condition.IpAddress.aws:SourceIp',
      'CIDR',
    ));
  it('a Bool value other than true/false', () =>
    expectError(
      withCondition({ Bool: { 'aws:SecureTransport': 'yes' } }),
      'Statement[0].Condition.Bool.aws:SecureTransport',
      'Bool takes',
    ));
  it('a BinaryEquals value that is not base64', () =>
    expectError(
      withCondition({ BinaryEquals: { 'x:blob': 'not base64!' } }),
      'Statement[0].Condition.BinaryEquals.x:blob',
      'base64',
    ));
  it('an Arn operator value that is not an ARN', () =>
    expectError(
      withCondition({ ArnLike: { 'aws:SourceArn': 'bucket' } }),
      'Statement[0].Condition.ArnLike.aws:SourceArn',
      'not an ARN',
    ));

  it('reports every problem of a document at once', () => {
    const errors = errorsOf({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Maybe', Action: [], Resource: 'x', Extra: 1 }],
    });
    expect(errors.map((e) => e.path).sort()).toEqual([
      'Statement[0].Action',
      'Statement[0].Effect',
      'Statement[0].Extra',
      'Statement[0].Resource',
    ]);
  });
});

describe('policy size quotas', () => {
  it('documents the IAM quotas', () => {
    expect(POLICY_SIZE_LIMITS).toMatchObject({
      userInline: 2048,
      groupInline: 5120,
      roleInline: 10240,
      managed: 6144,
    });
  });

  it('white space does not count toward the size', () => {
    expect(policySize('{ "a" :\n\t"b c" }')).toBe(10);
  });

  it('a document at the limit passes and one character more is refused', () => {
    const at = `{"Id":"${'x'.repeat(2048 - 9)}"}`;
    expect(policySize(at)).toBe(2048);
    expect(policySizeError(at, POLICY_SIZE_LIMITS.userInline)).toBeNull();
    expect(policySizeError(`${at} `, POLICY_SIZE_LIMITS.userInline)).toBeNull();
    expect(policySizeError(`{"Id":"${'x'.repeat(2048 - 8)}"}`, POLICY_SIZE_LIMITS.userInline)).toMatch(
      /2049 characters .* limit is 2048/,
    );
  });
});
