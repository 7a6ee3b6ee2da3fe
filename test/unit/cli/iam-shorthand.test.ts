import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseShorthand, ShorthandSyntaxError } from '../../../src/cli/iam-shorthand.js';

describe('AWS CLI shorthand syntax', () => {
  it('reads comma-separated key=value pairs', () => {
    expect(parseShorthand('Key=team,Value=db')).toEqual({ Key: 'team', Value: 'db' });
  });

  it('reads a comma list up to the item that is followed by = (the next key)', () => {
    expect(
      parseShorthand('ContextKeyName=aws:SourceIp,ContextKeyValues=10.0.0.1,10.0.0.2,ContextKeyType=ipList'),
    ).toEqual({
      ContextKeyName: 'aws:SourceIp',
      ContextKeyValues: ['10.0.0.1', '10.0.0.2'],
      ContextKeyType: 'ipList',
    });
  });

  it('reads a comma list that ends the input', () => {
    expect(parseShorthand('ContextKeyType=stringList,ContextKeyValues=a,b,c')).toEqual({
      ContextKeyType: 'stringList',
      ContextKeyValues: ['a', 'b', 'c'],
    });
  });

  it('a space does not start a new pair: the rest of the argument is the value', () => {
    expect(parseShorthand('Key=a Value=b')).toEqual({ Key: 'a Value=b' });
  });

  it('keeps = and : inside a value right after key=', () => {
    expect(parseShorthand('Value=a=b:c,Key=k')).toEqual({ Value: 'a=b:c', Key: 'k' });
  });

  it('keeps spaces inside a value but not around = and ,', () => {
    expect(parseShorthand('Key = team a , Value = b c ')).toEqual({ Key: 'team a', Value: 'b c' });
  });

  it('takes commas literally inside quotes and after a backslash', () => {
    expect(parseShorthand(`Key='a,b',Value="c,d"`)).toEqual({ Key: 'a,b', Value: 'c,d' });
    expect(parseShorthand('Key=a\\,b,Value=x')).toEqual({ Key: 'a,b', Value: 'x' });
  });

  it('unescapes only the quote character and backslash inside quotes', () => {
    expect(parseShorthand(`Key='it\\'s',Value="say \\"hi\\" \\\\ \\n"`)).toEqual({
      Key: "it's",
      Value: 'say "hi" \\ \\n',
    });
  });

  it('quoted items may follow in a comma list', () => {
    expect(parseShorthand(`Values=a,'b,c',"d"`)).toEqual({ Values: ['a', 'b,c', 'd'] });
  });

  it('an empty value is the empty string, at the end or before the next pair', () => {
    expect(parseShorthand('Key=a,Value=')).toEqual({ Key: 'a', Value: '' });
    expect(parseShorthand('Key=,Value=v')).toEqual({ Key: '', Value: 'v' });
  });

  it('reads explicit lists and nested structures', () => {
    expect(parseShorthand('A=[x, y],B={C=d,E=[f]},G=[]')).toEqual({
      A: ['x', 'y'],
      B: { C: 'd', E: ['f'] },
      G: [],
    });
  });

  it('a key named __proto__ is an ordinary key, not the prototype', () => {
    const parsed = parseShorthand('__proto__={polluted=yes}');
    expect(Object.keys(parsed)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it.each([
    ['Key', "Expected: '=', received: 'EOF' for input:\nKey\n   ^"],
    ['Key=a,', 'Expected a value after "," for input:\nKey=a,\n      ^'],
    ['Key=a,Key=b', 'Second instance of key "Key" encountered for input:\nKey=a,Key=b\n      ^'],
    ['Key=[a', 'Unexpected end of input for input:\nKey=[a\n      ^'],
    ["Key='a", "Expected a closing ' for input:\nKey='a\n    ^"],
    ['Key=[a]x', "Expected: ',', received: 'x' for input:\nKey=[a]x\n       ^"],
  ])('%j is refused with the position shown', (input, message) => {
    expect(() => parseShorthand(input)).toThrow(new ShorthandSyntaxError(message));
  });

  it('any plain keys and values round-trip through key=value,…', () => {
    const key = fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,8}$/);
    const value = fc.stringMatching(/^[A-Za-z0-9._:/@+-]([A-Za-z0-9._:/@+ -]{0,10}[A-Za-z0-9._:/@+-])?$/);
    fc.assert(
      fc.property(fc.dictionary(key, value, { minKeys: 1, maxKeys: 5 }), (pairs) => {
        const text = Object.entries(pairs)
          .map(([k, v]) => `${k}=${v}`)
          .join(',');
        expect({ ...parseShorthand(text) }).toEqual(pairs);
      }),
    );
  });

  it('any value survives when single-quoted with its quotes and backslashes escaped', () => {
    fc.assert(
      fc.property(fc.string(), (v) => {
        const quoted = `'${v.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
        expect(parseShorthand(`Value=${quoted}`)['Value']).toBe(v);
      }),
    );
  });
});
