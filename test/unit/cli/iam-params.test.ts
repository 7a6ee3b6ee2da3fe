import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  contextEntries,
  integerArg,
  ParameterError,
  readParamValue,
  stringList,
  tagList,
} from '../../../src/cli/iam-params.js';
import { type QueryStub, runAgainstStub, startQueryStub } from './support/iam-query-stub.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-iam-params-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('--tags', () => {
  it('takes one shorthand structure per argument', () => {
    expect(tagList(['Key=a,Value=1', 'Key=b,Value=two words'])).toEqual([
      { Key: 'a', Value: '1' },
      { Key: 'b', Value: 'two words' },
    ]);
  });

  it('takes a JSON array, JSON objects per argument, or a file:// holding either', () => {
    expect(tagList(['[{"Key":"a","Value":"1"}]'])).toEqual([{ Key: 'a', Value: '1' }]);
    expect(tagList(['{"Key":"a","Value":"1"}', 'Key=b,Value=2'])).toEqual([
      { Key: 'a', Value: '1' },
      { Key: 'b', Value: '2' },
    ]);
    expect(tagList([`file://${file('tags.json', ' [{"Key":"f","Value":"v"}]\n')}`])).toEqual([
      { Key: 'f', Value: 'v' },
    ]);
  });

  it.each([
    [
      ['Key=a,Valeu=1'],
      'Parameter validation failed: Unknown parameter in Tags[0]: "Valeu", must be one of: Key, Value',
    ],
    [
      ['Key=a,Value=1', 'Key=b'],
      'Parameter validation failed: Missing required parameter in Tags[1]: "Value"',
    ],
    [
      ['Key=a,Value=1,2'],
      'Parameter validation failed: Invalid type for parameter Tags[0].Value, value: ["1","2"], type: list, valid types: string',
    ],
    [
      ['[{"Key":"a","Value":1}]'],
      'Parameter validation failed: Invalid type for parameter Tags[0].Value, value: 1, type: number, valid types: string',
    ],
    [
      ['["Key=a"]'],
      'Parameter validation failed: Invalid type for parameter Tags[0], value: "Key=a", type: string, valid types: structure',
    ],
    [['Key'], "Error parsing parameter '--tags': Expected: '=', received: 'EOF' for input:\nKey\n   ^"],
  ])('%j is refused: %s', (values, message) => {
    expect(() => tagList(values)).toThrow(new ParameterError(message));
  });

  it('invalid JSON is refused with what was received', () => {
    expect(() => tagList(['[{"Key":'])).toThrow(
      /^Error parsing parameter '--tags': Invalid JSON: .*\nJSON received: \[\{"Key":$/,
    );
  });
});

describe('--context-entries', () => {
  it('one value for ContextKeyValues becomes a list, as the AWS CLI does for list members', () => {
    expect(
      contextEntries(['ContextKeyName=aws:SourceIp,ContextKeyValues=10.0.0.1,ContextKeyType=ip']),
    ).toEqual([{ ContextKeyName: 'aws:SourceIp', ContextKeyValues: ['10.0.0.1'], ContextKeyType: 'ip' }]);
  });

  it('several values, in shorthand, explicit list or JSON, stay a list; absent members stay absent', () => {
    expect(
      contextEntries([
        'ContextKeyName=aws:TagKeys,ContextKeyValues=a,b,ContextKeyType=stringList',
        'ContextKeyName=k,ContextKeyValues=[c,d]',
        '{"ContextKeyName":"j","ContextKeyValues":["e"]}',
      ]),
    ).toEqual([
      { ContextKeyName: 'aws:TagKeys', ContextKeyValues: ['a', 'b'], ContextKeyType: 'stringList' },
      { ContextKeyName: 'k', ContextKeyValues: ['c', 'd'] },
      { ContextKeyName: 'j', ContextKeyValues: ['e'] },
    ]);
  });

  it('a nested structure where strings are expected is refused', () => {
    expect(() => contextEntries(['ContextKeyName=k,ContextKeyValues=[{a=b}]'])).toThrow(
      /Invalid type for parameter ContextEntries\[0\]\.ContextKeyValues, .* valid types: list of strings$/,
    );
  });
});

describe('documents and lists', () => {
  it('file:// is read as text, fileb:// as bytes, anything else is the value itself', () => {
    const doc = '{"Version":"2012-10-17","Statement":[]}\n';
    expect(readParamValue(`file://${file('p.json', doc)}`, '--policy-document')).toBe(doc);
    expect(readParamValue(`fileb://${file('p.bin', Buffer.from(doc))}`, '--policy-document')).toBe(doc);
    expect(readParamValue('{"a":"file://x"}', '--policy-document')).toBe('{"a":"file://x"}');
  });

  it('a missing file names the parameter and the path', () => {
    expect(() => readParamValue('file:///nonexistent/p.json', '--policy-document')).toThrow(
      /^Error parsing parameter '--policy-document': Unable to load paramfile file:\/\/\/nonexistent\/p\.json: ENOENT/,
    );
  });

  it('a string list is the arguments, or one JSON array of strings', () => {
    expect(stringList(['a', 'b'], '--action-names')).toEqual(['a', 'b']);
    expect(stringList([' ["a","b"]'], '--action-names')).toEqual(['a', 'b']);
    expect(() => stringList(['[1]'], '--action-names')).toThrow('expected a JSON array of strings');
  });

  it('document lists read each file:// item', () => {
    const a = file('a.json', '{"a":1}');
    expect(stringList([`file://${a}`, '{"b":2}'], '--policy-input-list', true)).toEqual([
      '{"a":1}',
      '{"b":2}',
    ]);
  });

  it('integers are whole numbers only', () => {
    expect(integerArg('3600')).toBe(3600);
    expect(() => integerArg('1.5')).toThrow('expected a whole number');
    expect(() => integerArg('1h')).toThrow('expected a whole number');
  });
});

describe('bad parameters on the command line', () => {
  let stub: QueryStub;
  const caFile = join(dir, 'stub-ca.pem');
  const cli = (args: string[]) => runAgainstStub(stub, args, { dataDir: dir, caFile });

  beforeAll(async () => {
    stub = await startQueryStub();
    writeFileSync(caFile, stub.caPem);
  });
  afterAll(() => stub.close());
  beforeEach(() => stub.reset());

  it.each([
    [
      ['iam', 'create-user', '--user-name', 'a', '--tags', 'Key=a'],
      'gatehouse: Parameter validation failed: Missing required parameter in Tags[0]: "Value"\n',
    ],
    [
      [
        'iam',
        'put-user-policy',
        '--user-name',
        'a',
        '--policy-name',
        'p',
        '--policy-document',
        'file:///nonexistent',
      ],
      /^gatehouse: Error parsing parameter '--policy-document': Unable to load paramfile file:\/\/\/nonexistent: ENOENT/,
    ],
    [
      [
        'iam',
        'simulate-principal-policy',
        '--policy-source-arn',
        'a',
        '--action-names',
        'x',
        '--context-entries',
        'k',
      ],
      /^gatehouse: Error parsing parameter '--context-entries': Expected: '='/,
    ],
    [
      ['iam', 'update-access-key', '--access-key-id', 'A', '--status', 'Disabled'],
      /Allowed choices are Active, Inactive/,
    ],
    [
      ['iam', 'create-role', '--role-name', 'r'],
      /required option '--assume-role-policy-document <json>' not specified/,
    ],
    [
      [
        'iam',
        'create-role',
        '--role-name',
        'r',
        '--assume-role-policy-document',
        '{}',
        '--max-session-duration',
        'x',
      ],
      /expected a whole number/,
    ],
  ])('%j exits 1 without sending anything', async (args, stderr) => {
    const r = await cli(args);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    if (typeof stderr === 'string') expect(r.stderr).toBe(stderr);
    else expect(r.stderr).toMatch(stderr);
    expect(stub.requests).toHaveLength(0);
  });
});
