// Set operators for multivalued keys, ...IfExists and Null (IAM "Single-valued vs. multivalued context
// keys" and "Condition operators" > IfExists, Null), with AWS's edge cases for missing and empty keys.
import { allow, deny, doc, num, type PolicyCase, str } from './case.js';

const TAG = { action: 'ec2:CreateTags', resource: 'arn:aws:ec2:us-east-1:123456789012:instance/i-0abc' };
const tagIf = (condition: Parameters<typeof allow>[3]) => [
  doc(allow('Tag', 'ec2:CreateTags', '*', condition)),
];
const tagKeys = (...keys: string[]) => ({ ...TAG, context: { 'aws:TagKeys': str(...keys) } });

export const setCases: PolicyCase[] = [
  {
    name: 'ForAnyValue:StringEquals holds when one request value is listed',
    identity: tagIf({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['env', 'owner'] } }),
    request: tagKeys('cost', 'env'),
    expect: 'allowed',
    sids: ['Tag'],
  },
  {
    name: 'ForAnyValue:StringEquals fails when no request value is listed',
    identity: tagIf({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['env', 'owner'] } }),
    request: tagKeys('cost', 'team'),
    expect: 'implicitDeny',
  },
  {
    name: 'ForAnyValue on a missing key is false',
    identity: tagIf({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['env'] } }),
    request: TAG,
    expect: 'implicitDeny',
  },
  {
    name: 'ForAnyValue on an empty value set is false',
    identity: tagIf({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['env'] } }),
    request: tagKeys(),
    expect: 'implicitDeny',
  },
  {
    name: 'ForAllValues:StringEquals holds when every request value is listed',
    identity: tagIf({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['env', 'owner', 'cost'] } }),
    request: tagKeys('env', 'cost'),
    expect: 'allowed',
    sids: ['Tag'],
  },
  {
    name: 'ForAllValues:StringEquals fails when one request value is not listed',
    identity: tagIf({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['env', 'owner'] } }),
    request: tagKeys('env', 'secret'),
    expect: 'implicitDeny',
  },
  {
    name: 'ForAllValues on a missing key is true (AWS warns this makes Allow permissive)',
    identity: tagIf({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['env'] } }),
    request: TAG,
    expect: 'allowed',
    sids: ['Tag'],
  },
  {
    name: 'ForAllValues on an empty value set is true',
    identity: tagIf({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['env'] } }),
    request: tagKeys(),
    expect: 'allowed',
    sids: ['Tag'],
  },
  {
    name: 'ForAllValues plus Null false closes the missing-key hole (AWS recommendation)',
    identity: tagIf({
      'ForAllValues:StringEquals': { 'aws:TagKeys': ['env'] },
      Null: { 'aws:TagKeys': 'false' },
    }),
    request: TAG,
    expect: 'implicitDeny',
  },
  {
    name: 'ForAllValues:StringLike checks each request value against the patterns',
    identity: tagIf({ 'ForAllValues:StringLike': { 'aws:TagKeys': ['app-*', 'env'] } }),
    request: tagKeys('app-name', 'env'),
    expect: 'allowed',
    sids: ['Tag'],
  },
  {
    name: 'ForAllValues:StringLike fails when one value matches no pattern',
    identity: tagIf({ 'ForAllValues:StringLike': { 'aws:TagKeys': ['app-*'] } }),
    request: tagKeys('app-name', 'env'),
    expect: 'implicitDeny',
  },
  {
    name: 'ForAnyValue:StringLike holds when any value matches a pattern',
    identity: tagIf({ 'ForAnyValue:StringLike': { 'aws:TagKeys': ['app-*'] } }),
    request: tagKeys('env', 'app-x'),
    expect: 'allowed',
    sids: ['Tag'],
  },
  {
    name: 'Deny with ForAnyValue:StringEquals refuses a request that sets a forbidden tag key',
    identity: [
      doc(
        allow('Tag', 'ec2:CreateTags'),
        deny('NoOwner', 'ec2:CreateTags', '*', { 'ForAnyValue:StringEquals': { 'aws:TagKeys': 'owner' } }),
      ),
    ],
    request: tagKeys('env', 'owner'),
    expect: 'explicitDeny',
    sids: ['NoOwner'],
  },
  {
    name: 'ForAllValues:StringNotEquals holds when no request value is listed',
    identity: tagIf({ 'ForAllValues:StringNotEquals': { 'aws:TagKeys': ['owner', 'secret'] } }),
    request: tagKeys('env', 'cost'),
    expect: 'allowed',
    sids: ['Tag'],
  },
  {
    name: 'ForAllValues:StringNotEquals fails when one request value is listed',
    identity: tagIf({ 'ForAllValues:StringNotEquals': { 'aws:TagKeys': ['owner', 'secret'] } }),
    request: tagKeys('env', 'owner'),
    expect: 'implicitDeny',
  },
  {
    name: 'ForAnyValue:StringNotEquals holds when at least one request value is not listed',
    identity: tagIf({ 'ForAnyValue:StringNotEquals': { 'aws:TagKeys': ['env'] } }),
    request: tagKeys('env', 'cost'),
    expect: 'allowed',
    sids: ['Tag'],
  },
  {
    name: 'ForAnyValue:StringNotEquals fails when every request value is listed',
    identity: tagIf({ 'ForAnyValue:StringNotEquals': { 'aws:TagKeys': ['env', 'cost'] } }),
    request: tagKeys('env', 'cost'),
    expect: 'implicitDeny',
  },
  {
    name: 'ForAnyValue:StringNotEquals on a missing key is false',
    identity: tagIf({ 'ForAnyValue:StringNotEquals': { 'aws:TagKeys': ['env'] } }),
    request: TAG,
    expect: 'implicitDeny',
  },
  {
    name: 'ForAllValues:StringNotLike on a missing key is true',
    identity: tagIf({ 'ForAllValues:StringNotLike': { 'aws:TagKeys': ['aws:*'] } }),
    request: TAG,
    expect: 'allowed',
    sids: ['Tag'],
  },
  {
    name: 'ForAnyValue:StringEqualsIfExists on a missing key is false: the set operator needs a value, IfExists or not (as AWS answers)',
    identity: tagIf({ 'ForAnyValue:StringEqualsIfExists': { 'aws:TagKeys': ['env'] } }),
    request: TAG,
    expect: 'implicitDeny',
  },
  {
    name: 'ForAnyValue:NumericLessThan works on multivalued numbers',
    identity: tagIf({ 'ForAnyValue:NumericLessThan': { 'custom:sizes': '10' } }),
    request: { ...TAG, context: { 'custom:sizes': num('50', '5') } },
    expect: 'allowed',
    sids: ['Tag'],
  },
  {
    name: 'multivalued key without a set operator: matches when any value matches (AWS docs ambiguous; they say to use a set operator)',
    identity: tagIf({ StringEquals: { 'aws:TagKeys': 'env' } }),
    request: tagKeys('cost', 'env'),
    expect: 'allowed',
    sids: ['Tag'],
  },
  {
    name: 'multivalued key without a set operator, negated: fails when any value equals (AWS docs ambiguous)',
    identity: tagIf({ StringNotEquals: { 'aws:TagKeys': 'env' } }),
    request: tagKeys('cost', 'env'),
    expect: 'implicitDeny',
  },
  {
    name: 'StringEqualsIfExists on a missing key is true',
    identity: tagIf({ StringEqualsIfExists: { 'ec2:InstanceType': ['t3.micro', 't3.small'] } }),
    request: TAG,
    expect: 'allowed',
    sids: ['Tag'],
  },
  {
    name: 'StringEqualsIfExists on a present key still compares (AWS example ec2:InstanceType)',
    identity: tagIf({ StringEqualsIfExists: { 'ec2:InstanceType': ['t3.micro', 't3.small'] } }),
    request: { ...TAG, context: { 'ec2:InstanceType': str('m5.24xlarge') } },
    expect: 'implicitDeny',
  },
  {
    name: 'StringNotEqualsIfExists on a present equal key fails',
    identity: tagIf({ StringNotEqualsIfExists: { 'ec2:InstanceType': 'm5.24xlarge' } }),
    request: { ...TAG, context: { 'ec2:InstanceType': str('m5.24xlarge') } },
    expect: 'implicitDeny',
  },
  {
    name: 'NumericLessThanIfExists on a missing key is true',
    identity: tagIf({ NumericLessThanIfExists: { 'custom:size': '10' } }),
    request: TAG,
    expect: 'allowed',
    sids: ['Tag'],
  },
  {
    name: 'NumericLessThanIfExists on a present key compares',
    identity: tagIf({ NumericLessThanIfExists: { 'custom:size': '10' } }),
    request: { ...TAG, context: { 'custom:size': num('11') } },
    expect: 'implicitDeny',
  },
  {
    name: 'Null true holds when the key is absent',
    identity: tagIf({ Null: { 'aws:TokenIssueTime': 'true' } }),
    request: TAG,
    expect: 'allowed',
    sids: ['Tag'],
  },
  {
    name: 'Null true fails when the key is present',
    identity: tagIf({ Null: { 'aws:TokenIssueTime': 'true' } }),
    request: { ...TAG, context: { 'aws:TokenIssueTime': str('2024-01-01T00:00:00Z') } },
    expect: 'implicitDeny',
  },
  {
    name: 'Null false holds when the key is present',
    identity: tagIf({ Null: { 'aws:ResourceTag/env': 'false' } }),
    request: { ...TAG, context: { 'aws:ResourceTag/env': str('prod') } },
    expect: 'allowed',
    sids: ['Tag'],
  },
  {
    name: 'Null false fails when the key is absent',
    identity: tagIf({ Null: { 'aws:ResourceTag/env': 'false' } }),
    request: TAG,
    expect: 'implicitDeny',
  },
  {
    name: 'Null treats an empty value set as absent',
    identity: tagIf({ Null: { 'aws:TagKeys': 'true' } }),
    request: tagKeys(),
    expect: 'allowed',
    sids: ['Tag'],
  },
  {
    name: 'Null accepts a JSON boolean',
    identity: tagIf({ Null: { 'aws:TokenIssueTime': true } }),
    request: TAG,
    expect: 'allowed',
    sids: ['Tag'],
  },
];
