// Numeric and Date condition operators (IAM "Condition operators" > Numeric, Date): ordering, boundaries,
// ISO 8601 and epoch-seconds values, missing keys.
import { allow, BUCKET, date, doc, num, type PolicyCase } from './case.js';

const LIST = { action: 's3:ListBucket', resource: BUCKET };
const listIf = (condition: Parameters<typeof allow>[3]) => [
  doc(allow('List', 's3:ListBucket', BUCKET, condition)),
];
const keys = (n: string) => ({ ...LIST, context: { 's3:max-keys': num(n) } });
const at = (iso: string) => ({ ...LIST, context: { 'aws:CurrentTime': date(iso) } });

export const numericDateCases: PolicyCase[] = [
  {
    name: 'NumericEquals matches the same number',
    identity: listIf({ NumericEquals: { 's3:max-keys': '10' } }),
    request: keys('10'),
    expect: 'allowed',
    sids: ['List'],
  },
  {
    name: 'NumericEquals compares numbers, not text (10 equals 10.0)',
    identity: listIf({ NumericEquals: { 's3:max-keys': '10' } }),
    request: keys('10.0'),
    expect: 'allowed',
    sids: ['List'],
  },
  {
    name: 'NumericEquals does not match a different number',
    identity: listIf({ NumericEquals: { 's3:max-keys': '10' } }),
    request: keys('11'),
    expect: 'implicitDeny',
  },
  {
    name: 'NumericNotEquals holds for a different number',
    identity: listIf({ NumericNotEquals: { 's3:max-keys': '10' } }),
    request: keys('11'),
    expect: 'allowed',
    sids: ['List'],
  },
  {
    name: 'NumericNotEquals fails for the same number',
    identity: listIf({ NumericNotEquals: { 's3:max-keys': '10' } }),
    request: keys('10'),
    expect: 'implicitDeny',
  },
  {
    name: 'NumericNotEquals on a missing key is true',
    identity: listIf({ NumericNotEquals: { 's3:max-keys': '10' } }),
    request: LIST,
    expect: 'allowed',
    sids: ['List'],
  },
  {
    name: 'NumericLessThan holds below the bound',
    identity: listIf({ NumericLessThan: { 's3:max-keys': '10' } }),
    request: keys('9'),
    expect: 'allowed',
    sids: ['List'],
  },
  {
    name: 'NumericLessThan fails at the bound',
    identity: listIf({ NumericLessThan: { 's3:max-keys': '10' } }),
    request: keys('10'),
    expect: 'implicitDeny',
  },
  {
    name: 'NumericLessThanEquals holds at the bound (AWS example s3:max-keys <= 10)',
    identity: listIf({ NumericLessThanEquals: { 's3:max-keys': '10' } }),
    request: keys('10'),
    expect: 'allowed',
    sids: ['List'],
  },
  {
    name: 'NumericLessThanEquals fails above the bound',
    identity: listIf({ NumericLessThanEquals: { 's3:max-keys': '10' } }),
    request: keys('1000'),
    expect: 'implicitDeny',
  },
  {
    name: 'NumericGreaterThan fails at the bound',
    identity: listIf({ NumericGreaterThan: { 's3:max-keys': '10' } }),
    request: keys('10'),
    expect: 'implicitDeny',
  },
  {
    name: 'NumericGreaterThan holds above the bound with decimals',
    identity: listIf({ NumericGreaterThan: { 's3:max-keys': '10.5' } }),
    request: keys('10.75'),
    expect: 'allowed',
    sids: ['List'],
  },
  {
    name: 'NumericGreaterThanEquals holds at the bound',
    identity: listIf({ NumericGreaterThanEquals: { 's3:max-keys': 10 } }),
    request: keys('10'),
    expect: 'allowed',
    sids: ['List'],
  },
  {
    name: 'NumericLessThan on a missing key is false',
    identity: listIf({ NumericLessThan: { 's3:max-keys': '10' } }),
    request: LIST,
    expect: 'implicitDeny',
  },
  {
    name: 'a numeric operator never matches a request value that is not a number',
    identity: listIf({ NumericLessThan: { 's3:max-keys': '10' } }),
    request: keys('ten'),
    expect: 'implicitDeny',
  },
  {
    name: 'NumericLessThan with several policy values matches if below any of them (OR)',
    identity: listIf({ NumericLessThan: { 's3:max-keys': ['5', '50'] } }),
    request: keys('20'),
    expect: 'allowed',
    sids: ['List'],
  },
  {
    name: 'DateGreaterThan holds after the date (ISO 8601)',
    identity: listIf({ DateGreaterThan: { 'aws:CurrentTime': '2020-04-01T00:00:01Z' } }),
    request: at('2024-01-01T00:00:00Z'),
    expect: 'allowed',
    sids: ['List'],
  },
  {
    name: 'DateGreaterThan fails before the date',
    identity: listIf({ DateGreaterThan: { 'aws:CurrentTime': '2020-04-01T00:00:01Z' } }),
    request: at('2020-04-01T00:00:00Z'),
    expect: 'implicitDeny',
  },
  {
    name: 'DateLessThan fails at the exact instant',
    identity: listIf({ DateLessThan: { 'aws:CurrentTime': '2020-06-30T23:59:59Z' } }),
    request: at('2020-06-30T23:59:59Z'),
    expect: 'implicitDeny',
  },
  {
    name: 'DateLessThanEquals holds at the exact instant',
    identity: listIf({ DateLessThanEquals: { 'aws:CurrentTime': '2020-06-30T23:59:59Z' } }),
    request: at('2020-06-30T23:59:59Z'),
    expect: 'allowed',
    sids: ['List'],
  },
  {
    name: 'a time window: DateGreaterThan and DateLessThan together (AWS example)',
    identity: listIf({
      DateGreaterThan: { 'aws:CurrentTime': '2020-04-01T00:00:00Z' },
      DateLessThan: { 'aws:CurrentTime': '2020-06-30T23:59:59Z' },
    }),
    request: at('2020-05-15T12:00:00Z'),
    expect: 'allowed',
    sids: ['List'],
  },
  {
    name: 'a time window refuses a time after it',
    identity: listIf({
      DateGreaterThan: { 'aws:CurrentTime': '2020-04-01T00:00:00Z' },
      DateLessThan: { 'aws:CurrentTime': '2020-06-30T23:59:59Z' },
    }),
    request: at('2020-07-01T00:00:00Z'),
    expect: 'implicitDeny',
  },
  {
    name: 'DateEquals compares instants across time zones',
    identity: listIf({ DateEquals: { 'aws:CurrentTime': '2021-01-01T02:00:00+02:00' } }),
    request: at('2021-01-01T00:00:00Z'),
    expect: 'allowed',
    sids: ['List'],
  },
  {
    name: 'DateNotEquals fails for the same instant',
    identity: listIf({ DateNotEquals: { 'aws:CurrentTime': '2021-01-01T00:00:00Z' } }),
    request: at('2021-01-01T00:00:00Z'),
    expect: 'implicitDeny',
  },
  {
    name: 'a policy date in epoch seconds compares with an ISO request time',
    identity: listIf({ DateGreaterThanEquals: { 'aws:CurrentTime': '1609459200' } }),
    request: at('2021-01-01T00:00:00Z'),
    expect: 'allowed',
    sids: ['List'],
  },
  {
    name: 'a request time in epoch seconds (aws:EpochTime) compares with an ISO policy date',
    identity: listIf({ DateLessThan: { 'aws:EpochTime': '2021-01-01T00:00:00Z' } }),
    request: { ...LIST, context: { 'aws:EpochTime': date('1609459199') } },
    expect: 'allowed',
    sids: ['List'],
  },
  {
    name: 'DateLessThan on a missing key (aws:TokenIssueTime for a long-term key) is false',
    identity: listIf({ DateLessThan: { 'aws:TokenIssueTime': '2030-01-01T00:00:00Z' } }),
    request: LIST,
    expect: 'implicitDeny',
  },
  {
    name: 'a date-only policy value means midnight UTC',
    identity: listIf({ DateGreaterThanEquals: { 'aws:CurrentTime': '2022-03-01' } }),
    request: at('2022-03-01T00:00:00Z'),
    expect: 'allowed',
    sids: ['List'],
  },
];
