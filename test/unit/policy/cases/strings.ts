// String condition operators (IAM "Condition operators" > String): case rules, wildcards, OR/AND logic.
import { allow, BUCKET, deny, doc, type PolicyCase, str } from './case.js';

const GET = { action: 's3:GetObject', resource: `${BUCKET}/report.csv` };
const onlyIf = (condition: Parameters<typeof allow>[3]) => [
  doc(allow('Read', 's3:GetObject', `${BUCKET}/*`, condition)),
];

export const stringCases: PolicyCase[] = [
  {
    name: 'StringEquals matches an identical request value',
    identity: onlyIf({ StringEquals: { 'aws:PrincipalTag/team': 'payments' } }),
    request: GET,
    expect: 'allowed',
    sids: ['Read'],
  },
  {
    name: 'StringEquals is case-sensitive in the value',
    identity: onlyIf({ StringEquals: { 's3:prefix': 'Home/' } }),
    request: { ...GET, context: { 's3:prefix': str('home/') } },
    expect: 'implicitDeny',
  },
  {
    name: 'StringEquals with several values matches any one of them (OR)',
    identity: onlyIf({ StringEquals: { 'aws:RequestedRegion': ['eu-west-1', 'us-east-1'] } }),
    request: { ...GET, context: { 'aws:RequestedRegion': str('us-east-1') } },
    expect: 'allowed',
    sids: ['Read'],
  },
  {
    name: 'StringEquals with several values and none equal does not match',
    identity: onlyIf({ StringEquals: { 'aws:RequestedRegion': ['eu-west-1', 'us-east-1'] } }),
    request: { ...GET, context: { 'aws:RequestedRegion': str('ap-south-1') } },
    expect: 'implicitDeny',
  },
  {
    name: 'two keys under one operator must both match (AND)',
    identity: onlyIf({ StringEquals: { 'aws:RequestedRegion': 'us-east-1', 's3:prefix': 'home/' } }),
    request: { ...GET, context: { 'aws:RequestedRegion': str('us-east-1'), 's3:prefix': str('other/') } },
    expect: 'implicitDeny',
  },
  {
    name: 'two keys under one operator both matching allow',
    identity: onlyIf({ StringEquals: { 'aws:RequestedRegion': 'us-east-1', 's3:prefix': 'home/' } }),
    request: { ...GET, context: { 'aws:RequestedRegion': str('us-east-1'), 's3:prefix': str('home/') } },
    expect: 'allowed',
    sids: ['Read'],
  },
  {
    name: 'two operators must both hold (AND)',
    identity: onlyIf({
      StringEquals: { 'aws:RequestedRegion': 'us-east-1' },
      StringLike: { 's3:prefix': 'home/*' },
    }),
    request: { ...GET, context: { 'aws:RequestedRegion': str('us-east-1'), 's3:prefix': str('tmp/x') } },
    expect: 'implicitDeny',
  },
  {
    name: 'StringEquals on a key missing from the request is false',
    identity: onlyIf({ StringEquals: { 'aws:ResourceTag/owner': 'alice' } }),
    request: GET,
    expect: 'implicitDeny',
  },
  {
    name: 'StringNotEquals matches a different value',
    identity: onlyIf({ StringNotEquals: { 'aws:RequestedRegion': 'eu-west-1' } }),
    request: { ...GET, context: { 'aws:RequestedRegion': str('us-east-1') } },
    expect: 'allowed',
    sids: ['Read'],
  },
  {
    name: 'StringNotEquals with several values is a NOR: equal to one of them fails',
    identity: onlyIf({ StringNotEquals: { 'aws:RequestedRegion': ['eu-west-1', 'us-east-1'] } }),
    request: { ...GET, context: { 'aws:RequestedRegion': str('us-east-1') } },
    expect: 'implicitDeny',
  },
  {
    name: 'StringNotEquals on a missing key is true (negated operators match absent keys)',
    identity: onlyIf({ StringNotEquals: { 'aws:ResourceTag/env': 'prod' } }),
    request: GET,
    expect: 'allowed',
    sids: ['Read'],
  },
  {
    name: 'a Deny with StringNotEquals on a missing key applies',
    identity: [
      doc(
        allow('Read', 's3:GetObject', `${BUCKET}/*`),
        deny('OutsideRegion', '*', '*', { StringNotEquals: { 'aws:RequestedRegion': 'us-east-1' } }),
      ),
    ],
    request: GET,
    expect: 'explicitDeny',
    sids: ['OutsideRegion'],
  },
  {
    name: 'StringEqualsIgnoreCase matches regardless of case',
    identity: onlyIf({ StringEqualsIgnoreCase: { 'aws:PrincipalTag/team': 'PAYMENTS' } }),
    request: GET,
    expect: 'allowed',
    sids: ['Read'],
  },
  {
    name: 'StringEqualsIgnoreCase still needs the same letters',
    identity: onlyIf({ StringEqualsIgnoreCase: { 'aws:PrincipalTag/team': 'PAYMENT' } }),
    request: GET,
    expect: 'implicitDeny',
  },
  {
    name: 'StringNotEqualsIgnoreCase fails for a value equal ignoring case',
    identity: onlyIf({ StringNotEqualsIgnoreCase: { 'aws:PrincipalTag/team': 'Payments' } }),
    request: GET,
    expect: 'implicitDeny',
  },
  {
    name: 'StringNotEqualsIgnoreCase holds for a different value',
    identity: onlyIf({ StringNotEqualsIgnoreCase: { 'aws:PrincipalTag/team': 'Billing' } }),
    request: GET,
    expect: 'allowed',
    sids: ['Read'],
  },
  {
    name: 'StringLike * matches any run of characters including slashes',
    identity: onlyIf({ StringLike: { 's3:prefix': 'home/*' } }),
    request: { ...GET, context: { 's3:prefix': str('home/alice/docs/') } },
    expect: 'allowed',
    sids: ['Read'],
  },
  {
    name: 'StringLike ? matches exactly one character',
    identity: onlyIf({ StringLike: { 's3:prefix': 'log-20??' } }),
    request: { ...GET, context: { 's3:prefix': str('log-2024') } },
    expect: 'allowed',
    sids: ['Read'],
  },
  {
    name: 'StringLike ? does not match zero characters',
    identity: onlyIf({ StringLike: { 's3:prefix': 'log-20??' } }),
    request: { ...GET, context: { 's3:prefix': str('log-202') } },
    expect: 'implicitDeny',
  },
  {
    name: 'StringLike without a wildcard is a whole-string match, not a substring match',
    identity: onlyIf({ StringLike: { 's3:prefix': 'home' } }),
    request: { ...GET, context: { 's3:prefix': str('home/alice') } },
    expect: 'implicitDeny',
  },
  {
    name: 'StringLike is case-sensitive',
    identity: onlyIf({ StringLike: { 's3:prefix': 'Home/*' } }),
    request: { ...GET, context: { 's3:prefix': str('home/alice') } },
    expect: 'implicitDeny',
  },
  {
    name: 'StringNotLike fails when the value matches the pattern',
    identity: onlyIf({ StringNotLike: { 's3:prefix': 'secret/*' } }),
    request: { ...GET, context: { 's3:prefix': str('secret/keys') } },
    expect: 'implicitDeny',
  },
  {
    name: 'StringNotLike holds when the value does not match',
    identity: onlyIf({ StringNotLike: { 's3:prefix': 'secret/*' } }),
    request: { ...GET, context: { 's3:prefix': str('public/x') } },
    expect: 'allowed',
    sids: ['Read'],
  },
  {
    name: 'condition key names are case-insensitive (policy aws:PRINCIPALTAG/TEAM, request tag team)',
    identity: onlyIf({ StringEquals: { 'AWS:PRINCIPALTAG/TEAM': 'payments' } }),
    request: GET,
    expect: 'allowed',
    sids: ['Read'],
  },
  {
    name: 'condition key names are case-insensitive in the request context too',
    identity: onlyIf({ StringEquals: { 'aws:RequestedRegion': 'us-east-1' } }),
    request: { ...GET, context: { 'AWS:REQUESTEDREGION': str('us-east-1') } },
    expect: 'allowed',
    sids: ['Read'],
  },
  {
    name: 'a JSON number as a StringEquals value compares as its decimal text',
    identity: onlyIf({ StringEquals: { 'aws:PrincipalTag/CostCenter': 4711 } }),
    request: GET,
    expect: 'allowed',
    sids: ['Read'],
  },
];
