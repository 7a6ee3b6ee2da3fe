// IpAddress / NotIpAddress: the request address against IPv4 and IPv6 CIDR blocks (RFC 4632, RFC 4291
// section 2.3); a bare address is a /32 or /128. IPv4-mapped IPv6 request addresses (::ffff:a.b.c.d,
// RFC 4291 section 2.5.5.2) are compared as IPv4.
import type { OperatorFamilyImpl } from './matcher.js';

/** An address as 32-bit words: one for IPv4, four for IPv6. */
type Words = number[];

interface Cidr {
  words: Words;
  prefix: number;
}

const HEXTET = /^[0-9a-fA-F]{1,4}$/;

/** Dotted-quad IPv4 (1-3 decimal digits per octet, each at most 255) as a 32-bit number, or null. */
function parseV4(text: string): number | null {
  let n = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      if (++digits > 3) return null;
      octet = octet * 10 + (c - 0x30);
    } else if (c === 0x2e && digits > 0 && dots < 3) {
      if (octet > 255) return null;
      n = n * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else {
      return null;
    }
  }
  if (dots !== 3 || digits === 0 || octet > 255) return null;
  return n * 256 + octet;
}

function hextets(part: string): number[] | null {
  if (part === '') return [];
  const out: number[] = [];
  const groups = part.split(':');
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i] as string;
    if (i === groups.length - 1 && g.includes('.')) {
      const v4 = parseV4(g);
      if (v4 === null) return null;
      out.push(v4 >>> 16, v4 & 0xffff);
    } else if (HEXTET.test(g)) out.push(Number.parseInt(g, 16));
    else return null;
  }
  return out;
}

function parseV6(text: string): Words | null {
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = hextets(halves[0] as string);
  const tail = halves.length === 2 ? hextets(halves[1] as string) : [];
  if (head === null || tail === null) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const words: Words = [];
  for (let i = 0; i < 8; i += 2) words.push((((all[i] as number) << 16) | (all[i + 1] as number)) >>> 0);
  return words;
}

// One-entry memo: a request compares the same aws:SourceIp against many statements (result read-only).
let memoText: string | undefined;
let memoWords: Words | null = null;

/** Parses an address; IPv4-mapped IPv6 becomes IPv4. The result is shared: do not modify it. */
export function parseIp(text: string): Words | null {
  if (text !== memoText) {
    memoWords = parseIpUncached(text);
    memoText = text;
  }
  return memoWords;
}

function parseIpUncached(text: string): Words | null {
  const v4 = parseV4(text);
  if (v4 !== null) return [v4];
  if (!text.includes(':')) return null;
  const v6 = parseV6(text);
  if (v6 && v6[0] === 0 && v6[1] === 0 && v6[2] === 0xffff) return [v6[3] as number];
  return v6;
}

export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const words =
    parseV4(addr) !== null ? [parseV4(addr) as number] : addr.includes(':') ? parseV6(addr) : null;
  if (words === null) return null;
  const max = words.length * 32;
  if (slash < 0) return { words, prefix: max };
  const bits = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return null;
  return { words, prefix: Number(bits) };
}

export function cidrContains(cidr: Cidr, addr: Words): boolean {
  if (cidr.words.length !== addr.length) return false;
  for (let k = 0; k < addr.length; k++) {
    const bits = Math.min(32, cidr.prefix - 32 * k);
    if (bits <= 0) return true;
    const mask = bits === 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
    if ((((cidr.words[k] as number) ^ (addr[k] as number)) & mask) !== 0) return false;
  }
  return true;
}

export const ipFamily: OperatorFamilyImpl = {
  check(value) {
    return parseCidr(value) === null ? `"${value}" is not an IPv4 or IPv6 address or CIDR block` : null;
  },
  compile(values) {
    const blocks = values.map(parseCidr).filter((c): c is Cidr => c !== null);
    return (v) => {
      const addr = parseIp(v);
      if (addr === null) return false;
      for (const b of blocks) if (cidrContains(b, addr)) return true;
      return false;
    };
  },
};
