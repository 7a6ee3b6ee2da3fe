// A strict JSON reader (RFC 8259) that refuses duplicate object keys: JSON.parse would silently keep
// the last one, dropping e.g. one of two `StringEquals` blocks of a Deny statement.

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export type JsonResult = { ok: true; value: JsonValue } | { ok: false; path: string; message: string };

class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
  }
}

const ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const MAX_DEPTH = 64;

/** Child path in the `Statement[1].Condition.StringEquals` notation used by validation errors. */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

class Reader {
  private pos = 0;
  constructor(private readonly text: string) {}

  fail(message: string, path: string): never {
    const before = this.text.slice(0, this.pos);
    const line = before.split('\n').length;
    const col = this.pos - before.lastIndexOf('\n');
    throw new JsonSyntaxError(`invalid JSON: ${message} at line ${line}, column ${col}`, path);
  }

  private ws(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      this.pos++;
    }
  }

  document(): JsonValue {
    const value = this.value('', 0);
    this.ws();
    if (this.pos !== this.text.length) this.fail('unexpected text after the document', '');
    return value;
  }

  private value(path: string, depth: number): JsonValue {
    if (depth > MAX_DEPTH) this.fail('nesting too deep', path);
    this.ws();
    const c = this.text[this.pos];
    if (c === '{') return this.object(path, depth);
    if (c === '[') return this.array(path, depth);
    if (c === '"') return this.string(path);
    if (c === 't' && this.text.startsWith('true', this.pos)) return this.word(4, true);
    if (c === 'f' && this.text.startsWith('false', this.pos)) return this.word(5, false);
    if (c === 'n' && this.text.startsWith('null', this.pos)) return this.word(4, null);
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.text);
    if (m) {
      this.pos += m[0].length;
      return Number(m[0]);
    }
    return this.fail(c === undefined ? 'unexpected end of input' : `unexpected character '${c}'`, path);
  }

  private word<T>(length: number, value: T): T {
    this.pos += length;
    return value;
  }

  private object(path: string, depth: number): JsonObject {
    this.pos++;
    const out: JsonObject = Object.create(null);
    this.ws();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.text[this.pos] !== '"') this.fail('expected a string key', path);
      const key = this.string(path);
      if (Object.hasOwn(out, key)) throw new JsonSyntaxError(`duplicate key "${key}"`, childPath(path, key));
      this.ws();
      if (this.text[this.pos] !== ':') this.fail("expected ':'", path);
      this.pos++;
      out[key] = this.value(childPath(path, key), depth + 1);
      this.ws();
      const c = this.text[this.pos++];
      if (c === '}') return out;
      if (c !== ',') this.fail("expected ',' or '}'", path);
    }
  }

  private array(path: string, depth: number): JsonValue[] {
    this.pos++;
    const out: JsonValue[] = [];
    this.ws();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value(childPath(path, out.length), depth + 1));
      this.ws();
      const c = this.text[this.pos++];
      if (c === ']') return out;
      if (c !== ',') this.fail("expected ',' or ']'", path);
    }
  }

  private string(path: string): string {
    const t = this.text;
    let i = ++this.pos;
    let out = '';
    let start = i;
    for (;;) {
      if (i >= t.length) {
        this.pos = i;
        this.fail('unterminated string', path);
      }
      const c = t.charCodeAt(i);
      if (c === 0x22) break;
      if (c < 0x20) {
        this.pos = i;
        this.fail('control character in string', path);
      }
      if (c === 0x5c) {
        out += t.slice(start, i);
        const e = t[i + 1] ?? '';
        if (e === 'u') {
          const hex = t.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
            this.pos = i;
            this.fail('bad \\u escape', path);
          }
          out += String.fromCharCode(Number.parseInt(hex, 16));
          i += 6;
        } else {
          const mapped = ESCAPES[e];
          if (mapped === undefined) {
            this.pos = i;
            this.fail('bad escape', path);
          }
          out += mapped;
          i += 2;
        }
        start = i;
        continue;
      }
      i++;
    }
    out += t.slice(start, i);
    this.pos = i + 1;
    return out;
  }
}

/** Parses JSON text; a syntax error or duplicate key comes back with the path where it happened. */
export function parseJson(text: string): JsonResult {
  try {
    return { ok: true, value: new Reader(text).document() };
  } catch (err) {
    if (err instanceof JsonSyntaxError) return { ok: false, path: err.path, message: err.message };
    throw err;
  }
}

export function isJsonObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
