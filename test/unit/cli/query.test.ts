// --query (JMESPath, @jmespath-community/jmespath) and how its results print: bare scalars and tab-separated
// lists in text output, as the AWS CLI prints them.
import { describe, expect, it } from 'vitest';
import { formatOutput } from '../../../src/cli/output.js';
import { applyQuery, checkQuery } from '../../../src/cli/query.js';
import { GatehouseError } from '../../../src/core/errors.js';

const USERS = {
  Users: [
    { UserName: 'alice', UserId: 'AIDA1', Path: '/' },
    { UserName: 'bob', UserId: 'AIDA2', Path: '/eng/' },
  ],
};

function errorOf(f: () => unknown): GatehouseError {
  try {
    f();
  } catch (e) {
    if (e instanceof GatehouseError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('--query', () => {
  it('narrows a result with the full JMESPath language', () => {
    expect(applyQuery({ Account: '123456789012', Arn: 'x' }, 'Account')).toBe('123456789012');
    expect(applyQuery(USERS, 'Users[].UserName')).toEqual(['alice', 'bob']);
    expect(applyQuery(USERS, "Users[?Path=='/eng/'].UserName | [0]")).toBe('bob');
    expect(applyQuery(USERS, 'sort_by(Users, &UserName)[-1].UserId')).toBe('AIDA2');
    expect(applyQuery(USERS, '{n: length(Users)}')).toEqual({ n: 2 });
    expect(applyQuery(USERS, 'Missing')).toBeNull();
  });

  it('without an expression the result is unchanged', () => {
    expect(applyQuery(USERS, undefined)).toBe(USERS);
  });

  it('an expression that does not parse is GH_CLI_INVALID_QUERY naming it and the parser’s message', () => {
    const e = errorOf(() => checkQuery('Users[.'));
    expect(e.code).toBe('GH_CLI_INVALID_QUERY');
    expect(e.message).toMatch(/^invalid --query expression "Users\[\.": Syntax error: .+/);
  });

  it('a function error found while searching is GH_CLI_INVALID_QUERY too', () => {
    expect(() => checkQuery('nope(Users)')).not.toThrow();
    const e = errorOf(() => applyQuery(USERS, 'nope(Users)'));
    expect(e.code).toBe('GH_CLI_INVALID_QUERY');
    expect(e.message).toContain('Unknown function: nope()');
  });
});

describe('text output of query results (awscli/text.py)', () => {
  const text = (v: unknown) => formatOutput(v, 'text', 'T');

  it('a scalar is printed bare, null as None', () => {
    expect(text(applyQuery({ Account: '123456789012' }, 'Account'))).toBe('123456789012\n');
    expect(text(applyQuery({ On: true }, 'On'))).toBe('True\n');
    expect(text(applyQuery({}, 'Missing'))).toBe('None\n');
  });

  it('a list of scalars is one tab-separated line', () => {
    expect(text(applyQuery(USERS, 'Users[].UserName'))).toBe('alice\tbob\n');
  });

  it('a list of lists is one line per inner list', () => {
    expect(text(applyQuery(USERS, 'Users[].[UserName, UserId]'))).toBe('alice\tAIDA1\nbob\tAIDA2\n');
  });

  it('a list of objects shares one set of columns, a missing member an empty cell', () => {
    expect(text([{ A: '1', B: '2' }, { B: '3' }])).toBe('1\t2\n\t3\n');
  });

  it('json output of a scalar is the JSON value', () => {
    expect(formatOutput(applyQuery({ Account: '123456789012' }, 'Account'), 'json', 'T')).toBe(
      '"123456789012"\n',
    );
  });
});
