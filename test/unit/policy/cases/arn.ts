// ARN condition operators and per-part ARN matching (IAM "Condition operators" > ARN: each of the six
// colon-delimited parts is checked separately; * and ? allowed; case-sensitive).
import { ACCOUNT, allow, arn, doc, type PolicyCase } from './case.js';

const TOPIC = `arn:aws:sns:us-east-1:${ACCOUNT}:alerts`;
const PUBLISH = { action: 'sns:Publish', resource: TOPIC };
const pubIf = (condition: Parameters<typeof allow>[3]) => [
  doc(allow('Pub', 'sns:Publish', TOPIC, condition)),
];
const source = (v: string) => ({ ...PUBLISH, context: { 'aws:SourceArn': arn(v) } });

export const arnCases: PolicyCase[] = [
  {
    name: 'ArnEquals matches the identical ARN',
    identity: pubIf({ ArnEquals: { 'aws:SourceArn': `arn:aws:s3:::logs` } }),
    request: source('arn:aws:s3:::logs'),
    expect: 'allowed',
    sids: ['Pub'],
  },
  {
    name: 'ArnEquals does not match another ARN',
    identity: pubIf({ ArnEquals: { 'aws:SourceArn': `arn:aws:s3:::logs` } }),
    request: source('arn:aws:s3:::other'),
    expect: 'implicitDeny',
  },
  {
    name: 'ArnLike with * in region and resource parts',
    identity: pubIf({ ArnLike: { 'aws:SourceArn': `arn:aws:cloudtrail:*:${ACCOUNT}:trail/*` } }),
    request: source(`arn:aws:cloudtrail:eu-west-1:${ACCOUNT}:trail/main`),
    expect: 'allowed',
    sids: ['Pub'],
  },
  {
    name: 'ArnLike requires the account part to match',
    identity: pubIf({ ArnLike: { 'aws:SourceArn': `arn:aws:cloudtrail:*:${ACCOUNT}:trail/*` } }),
    request: source('arn:aws:cloudtrail:eu-west-1:999999999999:trail/main'),
    expect: 'implicitDeny',
  },
  {
    name: 'ArnLike ? matches one character within a part',
    identity: pubIf({ ArnLike: { 'aws:SourceArn': 'arn:aws:s3:::logs-?' } }),
    request: source('arn:aws:s3:::logs-7'),
    expect: 'allowed',
    sids: ['Pub'],
  },
  {
    name: 'ArnEquals also accepts wildcards (IAM documents ArnEquals and ArnLike together)',
    identity: pubIf({ ArnEquals: { 'aws:SourceArn': 'arn:aws:s3:::logs-*' } }),
    request: source('arn:aws:s3:::logs-2024'),
    expect: 'allowed',
    sids: ['Pub'],
  },
  {
    name: 'a * in the account part does not span a colon: parts are compared separately',
    identity: pubIf({ ArnLike: { 'aws:SourceArn': 'arn:aws:iam::*:role/admin' } }),
    request: source('arn:aws:iam::123456789012:extra:role/admin'),
    expect: 'implicitDeny',
  },
  {
    name: 'ArnLike is case-sensitive',
    identity: pubIf({ ArnLike: { 'aws:SourceArn': 'arn:aws:s3:::Logs' } }),
    request: source('arn:aws:s3:::logs'),
    expect: 'implicitDeny',
  },
  {
    name: 'ArnLike does not match a value that is not an ARN',
    identity: pubIf({ ArnLike: { 'aws:SourceArn': 'arn:aws:s3:::*' } }),
    request: source('logs'),
    expect: 'implicitDeny',
  },
  {
    name: 'ArnLike on a missing aws:SourceArn is false',
    identity: pubIf({ ArnLike: { 'aws:SourceArn': 'arn:aws:s3:::*' } }),
    request: PUBLISH,
    expect: 'implicitDeny',
  },
  {
    name: 'ArnNotLike holds for an ARN outside the pattern',
    identity: pubIf({ ArnNotLike: { 'aws:SourceArn': 'arn:aws:s3:::secret-*' } }),
    request: source('arn:aws:s3:::public'),
    expect: 'allowed',
    sids: ['Pub'],
  },
  {
    name: 'ArnNotLike fails for an ARN inside the pattern',
    identity: pubIf({ ArnNotLike: { 'aws:SourceArn': 'arn:aws:s3:::secret-*' } }),
    request: source('arn:aws:s3:::secret-1'),
    expect: 'implicitDeny',
  },
  {
    name: 'ArnNotEquals on a missing key is true (AWS: negated ARN operators match absent keys)',
    identity: pubIf({ ArnNotEquals: { 'aws:SourceArn': 'arn:aws:s3:::x' } }),
    request: PUBLISH,
    expect: 'allowed',
    sids: ['Pub'],
  },
  {
    name: 'ArnLike with aws:PrincipalArn and a role path wildcard',
    identity: pubIf({ ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${ACCOUNT}:user/*` } }),
    request: PUBLISH,
    expect: 'allowed',
    sids: ['Pub'],
  },
  {
    name: 'the resource part keeps its colons: arn:aws:rds:*:*:db:* matches a db ARN',
    identity: pubIf({ ArnLike: { 'aws:SourceArn': 'arn:aws:rds:*:*:db:*' } }),
    request: source(`arn:aws:rds:us-east-1:${ACCOUNT}:db:orders`),
    expect: 'allowed',
    sids: ['Pub'],
  },
];
