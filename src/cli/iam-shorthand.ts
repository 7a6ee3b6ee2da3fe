// AWS CLI shorthand syntax (`Key=a,Value=b`, `Values=a,b`, `[a,b]`, `{K=v}`, quoted values), parsed with
// the grammar of the AWS CLI's own parser (awscli/shorthand.py); shapes are applied afterwards (iam-params.ts).

export type ShorthandValue = string | ShorthandValue[] | { [key: string]: ShorthandValue };
export type ShorthandObject = { [key: string]: ShorthandValue };

export class ShorthandSyntaxError extends Error {
  override readonly name = 'ShorthandSyntaxError';
}

// Character classes of the AWS CLI grammar. A value cannot start with whitespace, a quote, `,`, `=`, `[` or
// `{`. After its first character a "first" value (right after `key=`) may hold `=` and `[`/`{`, but not
// `]`/`}`; a "second" value (later items of `key=a,b`) may not hold `=`: that is how `a,b=c` is told apart
// from `a,b`. `\,` is an escaped comma anywhere.
const START = '\\x21\\x23-\\x26\\x28-\\x2B\\x2D-\\x3C\\x3E-\\x5A\\x5C-\\x7A\\x7C-\\uFFFF';
const FIRST_FOLLOW = '\\s\\x21\\x23-\\x26\\x28-\\x2B\\x2D-\\x5C\\x5E-\\x7C\\x7E-\\uFFFF';
const SECOND_FOLLOW = '\\s\\x21\\x23-\\x26\\x28-\\x2B\\x2D-\\x3C\\x3E-\\uFFFF';
const FIRST_VALUE = new RegExp(`(?:\\\\,|[${START}])(?:\\\\,|[${FIRST_FOLLOW}])*`, 'y');
const SECOND_VALUE = new RegExp(`(?:\\\\,|[${START}])(?:\\\\,|[${SECOND_FOLLOW}])*`, 'y');
const SINGLE_QUOTED = /'(?:\\\\|\\'|[^'])*'/y;
const DOUBLE_QUOTED = /"(?:\\\\|\\"|[^"])*"/y;
const KEY = /[A-Za-z0-9_.#/:-]*/y;
/** Python's string.whitespace, which the AWS CLI skips around `=` and `,`. */
const WHITESPACE = ' \t\n\r\v\f';

class Parser {
  private i = 0;

  constructor(private readonly text: string) {}

  parse(): ShorthandObject {
    const params = emptyObject();
    for (;;) {
      const keyAt = this.i;
      const [key, value] = this.keyValue();
      if (Object.hasOwn(params, key)) {
        // Usually a `,` typed where a space (a new list item) was meant.
        this.fail(`Second instance of key "${key}" encountered`, keyAt);
      }
      params[key] = value;
      if (this.i >= this.text.length) return params;
      this.expect(',');
    }
  }

  private keyValue(): [string, ShorthandValue] {
    const key = this.match(KEY) ?? '';
    this.expect('=');
    return [key, this.values()];
  }

  private values(): ShorthandValue {
    if (this.i >= this.text.length) return '';
    const c = this.text[this.i];
    if (c === '[') return this.explicitList();
    if (c === '{') return this.hash();
    return this.csvValue();
  }

  /** `a` is a scalar; `a,b,c` a list, ended before an item followed by `=` (the next key). */
  private csvValue(): ShorthandValue {
    const first = this.firstValue();
    this.skipWhitespace();
    if (this.text[this.i] !== ',') return first;
    const items: string[] = [first];
    for (;;) {
      const commaAt = this.i;
      this.expect(',');
      const next = this.secondValue();
      this.skipWhitespace();
      if (next === null || (this.i < this.text.length && this.text[this.i] !== ',')) {
        if (next === null && this.i >= this.text.length) this.fail('Expected a value after ","', this.i);
        this.i = commaAt; // the comma separates key=value pairs, not list items
        break;
      }
      items.push(next);
      if (this.i >= this.text.length) break;
    }
    return items.length === 1 ? first : items;
  }

  private explicitList(): ShorthandValue[] {
    this.expect('[');
    const items: ShorthandValue[] = [];
    while (this.peek() !== ']') {
      items.push(this.explicitValue());
      this.skipWhitespace();
      if (this.peek() !== ']') this.expect(',');
    }
    this.i++;
    return items;
  }

  private hash(): ShorthandObject {
    this.expect('{');
    const entries = emptyObject();
    while (this.peek() !== '}') {
      const key = this.match(KEY) ?? '';
      this.expect('=');
      entries[key] = this.explicitValue();
      this.skipWhitespace();
      if (this.peek() !== '}') this.expect(',');
    }
    this.i++;
    return entries;
  }

  private explicitValue(): ShorthandValue {
    const c = this.peek();
    if (c === '[') return this.explicitList();
    if (c === '{') return this.hash();
    return this.firstValue();
  }

  private firstValue(): string {
    return this.quoted() ?? unescapeComma(this.match(FIRST_VALUE) ?? '');
  }

  private secondValue(): string | null {
    const quoted = this.quoted();
    if (quoted !== null) return quoted;
    const raw = this.match(SECOND_VALUE);
    return raw === null ? null : unescapeComma(raw);
  }

  /** A '…' or "…" value: backslash escapes only the quote and itself. */
  private quoted(): string | null {
    const q = this.text[this.i];
    if (q !== "'" && q !== '"') return null;
    const raw = this.match(q === "'" ? SINGLE_QUOTED : DOUBLE_QUOTED);
    if (raw === null) this.fail(`Expected a closing ${q}`, this.i);
    return raw.slice(1, -1).replaceAll(`\\${q}`, q).replaceAll('\\\\', '\\');
  }

  private match(re: RegExp): string | null {
    re.lastIndex = this.i;
    const m = re.exec(this.text);
    if (m === null) return null;
    this.i += m[0].length;
    return m[0];
  }

  private expect(char: string): void {
    this.skipWhitespace();
    const actual = this.i < this.text.length ? this.text[this.i] : 'EOF';
    if (actual !== char) this.fail(`Expected: '${char}', received: '${actual}'`, this.i);
    this.i++;
    this.skipWhitespace();
  }

  private peek(): string | undefined {
    if (this.i >= this.text.length) this.fail('Unexpected end of input', this.i);
    return this.text[this.i];
  }

  private skipWhitespace(): void {
    while (this.i < this.text.length && WHITESPACE.includes(this.text[this.i]!)) this.i++;
  }

  /** The AWS CLI's message layout: what was expected, the input, and a caret under the position. */
  private fail(what: string, at: number): never {
    const lineStart = this.text.lastIndexOf('\n', at - 1) + 1;
    throw new ShorthandSyntaxError(`${what} for input:\n${this.text}\n${' '.repeat(at - lineStart)}^`);
  }
}

/** No prototype: a key such as `__proto__` stays an ordinary (and then unknown) key. */
function emptyObject(): ShorthandObject {
  return Object.create(null) as ShorthandObject;
}

function unescapeComma(raw: string): string {
  return raw.replaceAll('\\,', ',').trimEnd();
}

/** Parse one shorthand value (`Key=a,Value=b`) into keys and string / list / nested values. */
export function parseShorthand(text: string): ShorthandObject {
  return new Parser(text).parse();
}
