// Pure pieces of the Query API: AWS list/structure parameter decoding and the XML writer's escaping.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeParams, parseForm } from '../../../../src/api/query/params.js';
import { escapeXml, xmlElement } from '../../../../src/api/query/xml-writer.js';
import { GatehouseError } from '../../../../src/core/errors.js';

const decode = (form: string) => decodeParams(parseForm(form));

function refusal(f: () => unknown): GatehouseError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(GatehouseError);
    return e as GatehouseError;
  }
  throw new Error('expected a refusal');
}

describe('Query parameter decoding', () => {
  it('turns member.N lists and nested structures into arrays and objects, ordered by index', () => {
    const form = [
      'UserName=alice',
      'Tags.member.2.Key=b',
      'Tags.member.2.Value=2',
      'Tags.member.1.Key=a',
      'Tags.member.1.Value=1',
      'ContextEntries.member.1.ContextKeyName=aws%3ASourceIp',
      'ContextEntries.member.1.ContextKeyValues.member.1=10.0.0.1',
      'ContextEntries.member.1.ContextKeyValues.member.2=10.0.0.2',
      'ContextEntries.member.1.ContextKeyType=ipList',
      'ActionNames.member.1=rds-db%3Aconnect',
    ].join('&');
    expect(decode(form)).toEqual({
      UserName: 'alice',
      Tags: [
        { Key: 'a', Value: '1' },
        { Key: 'b', Value: '2' },
      ],
      ContextEntries: [
        {
          ContextKeyName: 'aws:SourceIp',
          ContextKeyValues: ['10.0.0.1', '10.0.0.2'],
          ContextKeyType: 'ipList',
        },
      ],
      ActionNames: ['rds-db:connect'],
    });
  });

  it('decodes form encoding: + is a space, %XX bytes are UTF-8', () => {
    expect(decode('Description=a+b%26c%C3%A9')).toEqual({ Description: 'a b&cé' });
  });

  it('an empty list travels as "Name=" and decodes to the empty string the schemas read as []', () => {
    expect(decode('Tags=')).toEqual({ Tags: '' });
  });

  it('refuses a list with a gap or not starting at 1', () => {
    expect(refusal(() => decode('ActionNames.member.1=a&ActionNames.member.3=c')).message).toContain(
      'from 1 to 2 without gaps',
    );
    expect(refusal(() => decode('ActionNames.member.0=a')).message).toContain('malformed parameter name');
  });

  it('refuses names that could reach object internals, and names with empty segments', () => {
    for (const name of ['__proto__.polluted', '__proto__', 'a..b', 'Tags.member.1.', '.x', 'a-b']) {
      expect(refusal(() => decode(`${encodeURIComponent(name)}=1`)).code).toBe('GH_API_VALIDATION');
    }
    // Other names of Object.prototype members are ordinary data: they become own properties only.
    const decoded = decode('constructor.prototype.polluted=1');
    expect(decoded).toEqual({ constructor: { prototype: { polluted: '1' } } });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('refuses a parameter that has both a value and members, and one given twice', () => {
    expect(refusal(() => decode('Tags=x&Tags.member.1.Key=a')).message).toContain('both a value and members');
    expect(refusal(() => decode('UserName=a&UserName=b')).message).toContain('more than once');
  });

  it('refuses lists longer than 1000 members', () => {
    const form = Array.from({ length: 1001 }, (_, i) => `ActionNames.member.${i + 1}=a`).join('&');
    expect(refusal(() => decode(form)).message).toContain('more than 1000 members');
  });

  it('any list of values survives encoding as member.N and decoding', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { minLength: 1, maxLength: 30 }), (values) => {
        const form = new URLSearchParams(
          values.map((v, i) => [`ResourceArns.member.${i + 1}`, v]),
        ).toString();
        expect(decode(form)).toEqual({ ResourceArns: values });
      }),
    );
  });
});

// biome-ignore lint/suspicious/noControlCharactersInRegex: the characters XML 1.0 forbids
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/gu;

/** Inverse of escapeXml for the entities it emits (what an XML parser does). */
function unescapeXml(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|apos|#xD);/g, (_, e: string) =>
    e === 'amp' ? '&' : e === 'lt' ? '<' : e === 'gt' ? '>' : e === 'quot' ? '"' : e === 'apos' ? "'" : '\r',
  );
}

describe('XML writer', () => {
  it('escaped text has no markup characters, every & starts an entity, and unescaping restores it', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const out = escapeXml(s);
        expect(out).not.toMatch(/[<>"'\r]/);
        expect(out).not.toMatch(/&(?!(amp|lt|gt|quot|apos|#xD);)/);
        const legal = s.replace(NOT_XML_CHAR, '\uFFFD');
        expect(unescapeXml(out)).toBe(legal);
      }),
    );
  });

  it('replaces characters XML 1.0 cannot hold (controls, lone surrogates, U+FFFE/U+FFFF) with U+FFFD', () => {
    expect(escapeXml('a\u0000b\u001Fc\uD800d\uFFFFe')).toBe('a\uFFFDb\uFFFDc\uFFFDd\uFFFDe');
    expect(escapeXml('tab\tnl\n😀')).toBe('tab\tnl\n😀');
  });

  it('writes lists as <member>, booleans as true/false, Dates as ISO 8601, and skips undefined members', () => {
    const xml = xmlElement(
      'R',
      {
        Names: ['a', 'b'],
        Ok: false,
        Count: 3,
        When: new Date('2025-01-02T03:04:05Z'),
        Gone: undefined,
        Empty: [],
      },
      { xmlns: 'urn:x&y' },
    );
    expect(xml).toBe(
      '<R xmlns="urn:x&amp;y"><Names><member>a</member><member>b</member></Names><Ok>false</Ok>' +
        '<Count>3</Count><When>2025-01-02T03:04:05.000Z</When><Empty></Empty></R>',
    );
  });

  it('refuses an element name that is not an XML name (a programming error, never client input)', () => {
    expect(() => xmlElement('a b', 'x')).toThrow(/invalid XML element name/);
  });
});
