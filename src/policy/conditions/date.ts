// Date condition operators (DateEquals ... DateGreaterThanEquals): W3C/ISO 8601 date-times, or epoch
// seconds as AWS accepts for aws:EpochTime-style values; compared to the millisecond.
import type { OperatorFamilyImpl } from './matcher.js';
import { orderedMatcher } from './ordered.js';

const EPOCH = /^-?\d+(?:\.\d+)?$/;
const ISO = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?)?$/;

// One-entry memo: a request compares the same aws:CurrentTime against many statements.
let memoText: string | undefined;
let memoValue = Number.NaN;

/** Milliseconds since the epoch, NaN when the text is neither ISO 8601 nor epoch seconds. */
export function parseDate(text: string): number {
  if (text !== memoText) {
    memoValue = parseDateUncached(text);
    memoText = text;
  }
  return memoValue;
}

function parseDateUncached(text: string): number {
  if (EPOCH.test(text)) return Number(text) * 1000;
  const m = ISO.exec(text);
  if (!m) return Number.NaN;
  const [, day, time, zone] = m;
  if (time === undefined) return Date.parse(`${day}T00:00:00Z`);
  // A date-time without a zone is UTC in IAM; Date.parse would read it as local time.
  const offset = zone === undefined ? 'Z' : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
  return Date.parse(`${day}T${time}${offset}`);
}

export const dateFamily: OperatorFamilyImpl = {
  check(value) {
    if (value.includes('${')) return 'policy variables are supported only with String and Arn operators';
    return Number.isNaN(parseDate(value)) ? `"${value}" is not an ISO 8601 date or epoch seconds` : null;
  },
  compile(values, comparison) {
    return orderedMatcher(values.map(parseDate), comparison, parseDate);
  },
};
