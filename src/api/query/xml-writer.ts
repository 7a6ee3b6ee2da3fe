// A tiny XML writer for AWS Query protocol responses: escaping, and AWS's value mapping (lists as <member>).

/**
 * A response value as the Query protocol serialises it: scalars, Dates (ISO 8601), arrays (<member> items)
 * and structures (one child per own property, in order; `undefined` properties are left out). `object`
 * rather than an index signature so the services' interfaces (IamUser, …) fit without casts.
 */
export type XmlValue = string | number | boolean | Date | null | undefined | readonly XmlValue[] | object;

// XML 1.0 §2.2 Char: these code points cannot appear in a document at all, not even as &#x…; references,
// so they become U+FFFD. With the u flag a surrogate range matches only unpaired (unencodable) halves.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching exactly the characters XML forbids
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/gu;

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  // XML §2.11 turns a literal CR into LF when parsing; a reference keeps it.
  '\r': '&#xD;',
};

/** Text safe in element content and in double- or single-quoted attribute values. */
export function escapeXml(text: string): string {
  return text.replace(NOT_XML_CHAR, '\uFFFD').replace(/[&<>"'\r]/g, (c) => ENTITIES[c] ?? c);
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function checkName(name: string): string {
  // Names come from code, never from requests; a bad one is a programming error, not client input.
  if (!NAME.test(name)) throw new Error(`invalid XML element name "${name}"`);
  return name;
}

function scalar(value: string | number | boolean | Date): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return escapeXml(String(value));
}

/**
 * A list whose items are not <member>s: services such as RDS name them in their model (`<DBInstances>` holds
 * `<DBInstance>` items, `Filters.Filter.N` on the way in).
 */
export class XmlList {
  constructor(
    readonly memberName: string,
    readonly items: readonly XmlValue[],
  ) {}

  /** What an audit event records of it: the items. */
  toJSON(): readonly XmlValue[] {
    return this.items;
  }
}

/** The content of an element holding `value`: lists become <member> children, structures named children. */
export function xmlContent(value: XmlValue): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map((v) => xmlElement('member', v)).join('');
  if (value instanceof XmlList) return value.items.map((v) => xmlElement(value.memberName, v)).join('');
  if (typeof value === 'object' && !(value instanceof Date)) {
    return Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([name, v]) => xmlElement(name, v))
      .join('');
  }
  return scalar(value as string | number | boolean | Date);
}

export function xmlElement(name: string, value: XmlValue, attributes: Record<string, string> = {}): string {
  const tag = checkName(name);
  const attrs = Object.entries(attributes)
    .map(([k, v]) => ` ${checkName(k)}="${escapeXml(v)}"`)
    .join('');
  return `<${tag}${attrs}>${xmlContent(value)}</${tag}>`;
}
