// Bool, BinaryEquals, IpAddress / NotIpAddress (IAM "Condition operators"), including the AWS examples
// for aws:SecureTransport, aws:MultiFactorAuthPresent and aws:SourceIp.
import { allow, BUCKET, bin, bool, deny, doc, ip, type PolicyCase } from './case.js';

const GET = { action: 's3:GetObject', resource: `${BUCKET}/a.txt` };
const getIf = (condition: Parameters<typeof allow>[3]) => [
  doc(allow('Get', 's3:GetObject', `${BUCKET}/*`, condition)),
];
const from = (addr: string) => ({ ...GET, context: { 'aws:SourceIp': ip(addr) } });

export const boolBinaryIpCases: PolicyCase[] = [
  {
    name: 'Bool true matches aws:SecureTransport true',
    identity: getIf({ Bool: { 'aws:SecureTransport': 'true' } }),
    request: { ...GET, context: { 'aws:SecureTransport': bool('true') } },
    expect: 'allowed',
    sids: ['Get'],
  },
  {
    name: 'Bool true does not match false',
    identity: getIf({ Bool: { 'aws:SecureTransport': 'true' } }),
    request: { ...GET, context: { 'aws:SecureTransport': bool('false') } },
    expect: 'implicitDeny',
  },
  {
    name: 'Bool accepts a JSON boolean as the policy value',
    identity: getIf({ Bool: { 'aws:SecureTransport': true } }),
    request: { ...GET, context: { 'aws:SecureTransport': bool('true') } },
    expect: 'allowed',
    sids: ['Get'],
  },
  {
    name: 'Deny with Bool aws:MultiFactorAuthPresent false does not apply when the key is missing (long-term keys; AWS example)',
    identity: [
      doc(
        allow('Get', 's3:GetObject', `${BUCKET}/*`),
        deny('NoMfa', '*', '*', { Bool: { 'aws:MultiFactorAuthPresent': 'false' } }),
      ),
    ],
    request: GET,
    expect: 'allowed',
    sids: ['Get'],
  },
  {
    name: 'Deny with BoolIfExists aws:MultiFactorAuthPresent false applies when the key is missing',
    identity: [
      doc(
        allow('Get', 's3:GetObject', `${BUCKET}/*`),
        deny('NoMfa', '*', '*', { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } }),
      ),
    ],
    request: GET,
    expect: 'explicitDeny',
    sids: ['NoMfa'],
  },
  {
    name: 'Deny with BoolIfExists aws:MultiFactorAuthPresent false does not apply with MFA',
    identity: [
      doc(
        allow('Get', 's3:GetObject', `${BUCKET}/*`),
        deny('NoMfa', '*', '*', { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } }),
      ),
    ],
    request: { ...GET, context: { 'aws:MultiFactorAuthPresent': bool('true') } },
    expect: 'allowed',
    sids: ['Get'],
  },
  {
    name: 'BinaryEquals matches the same bytes in base64',
    identity: getIf({ BinaryEquals: { 'custom:blob': 'QmluYXJ5VmFsdWVJbkJhc2U2NA==' } }),
    request: { ...GET, context: { 'custom:blob': bin('QmluYXJ5VmFsdWVJbkJhc2U2NA==') } },
    expect: 'allowed',
    sids: ['Get'],
  },
  {
    name: 'BinaryEquals does not match different bytes',
    identity: getIf({ BinaryEquals: { 'custom:blob': 'QmluYXJ5VmFsdWVJbkJhc2U2NA==' } }),
    request: { ...GET, context: { 'custom:blob': bin('T3RoZXI=') } },
    expect: 'implicitDeny',
  },
  {
    name: 'BinaryEquals on a missing key is false',
    identity: getIf({ BinaryEquals: { 'custom:blob': 'T3RoZXI=' } }),
    request: GET,
    expect: 'implicitDeny',
  },
  {
    name: 'IpAddress matches an address inside the IPv4 CIDR (AWS example 203.0.113.0/24)',
    identity: getIf({ IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } }),
    request: from('203.0.113.77'),
    expect: 'allowed',
    sids: ['Get'],
  },
  {
    name: 'IpAddress does not match an address outside the CIDR',
    identity: getIf({ IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } }),
    request: from('203.0.114.1'),
    expect: 'implicitDeny',
  },
  {
    name: 'IpAddress with a bare address is a /32',
    identity: getIf({ IpAddress: { 'aws:SourceIp': '192.0.2.10' } }),
    request: from('192.0.2.11'),
    expect: 'implicitDeny',
  },
  {
    name: 'IpAddress with a bare address matches that address',
    identity: getIf({ IpAddress: { 'aws:SourceIp': '192.0.2.10' } }),
    request: from('192.0.2.10'),
    expect: 'allowed',
    sids: ['Get'],
  },
  {
    name: 'IpAddress with several CIDRs matches any of them (OR)',
    identity: getIf({ IpAddress: { 'aws:SourceIp': ['192.0.2.0/24', '203.0.113.0/24'] } }),
    request: from('203.0.113.5'),
    expect: 'allowed',
    sids: ['Get'],
  },
  {
    name: 'IpAddress /0 matches every IPv4 address',
    identity: getIf({ IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } }),
    request: from('198.51.100.1'),
    expect: 'allowed',
    sids: ['Get'],
  },
  {
    name: 'IpAddress matches an IPv6 address inside the IPv6 CIDR (AWS example 2001:DB8:1234:5678::/64)',
    identity: getIf({ IpAddress: { 'aws:SourceIp': '2001:DB8:1234:5678::/64' } }),
    request: from('2001:db8:1234:5678:abcd::1'),
    expect: 'allowed',
    sids: ['Get'],
  },
  {
    name: 'IpAddress does not match an IPv6 address outside the CIDR',
    identity: getIf({ IpAddress: { 'aws:SourceIp': '2001:DB8:1234:5678::/64' } }),
    request: from('2001:db8:1234:5679::1'),
    expect: 'implicitDeny',
  },
  {
    name: 'an IPv4 CIDR does not match an IPv6 address',
    identity: getIf({ IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } }),
    request: from('2001:db8::1'),
    expect: 'implicitDeny',
  },
  {
    name: 'an IPv4-mapped IPv6 request address is compared as IPv4',
    identity: getIf({ IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } }),
    request: from('::ffff:203.0.113.9'),
    expect: 'allowed',
    sids: ['Get'],
  },
  {
    name: 'IpAddress on a missing aws:SourceIp is false',
    identity: getIf({ IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } }),
    request: GET,
    expect: 'implicitDeny',
  },
  {
    name: 'Deny with NotIpAddress refuses requests from outside the corporate range (AWS example)',
    identity: [
      doc(
        allow('Get', 's3:GetObject', `${BUCKET}/*`),
        deny('OffNetwork', '*', '*', {
          NotIpAddress: { 'aws:SourceIp': ['192.0.2.0/24', '203.0.113.0/24'] },
        }),
      ),
    ],
    request: from('198.51.100.4'),
    expect: 'explicitDeny',
    sids: ['OffNetwork'],
  },
  {
    name: 'Deny with NotIpAddress does not apply inside the range',
    identity: [
      doc(
        allow('Get', 's3:GetObject', `${BUCKET}/*`),
        deny('OffNetwork', '*', '*', {
          NotIpAddress: { 'aws:SourceIp': ['192.0.2.0/24', '203.0.113.0/24'] },
        }),
      ),
    ],
    request: from('192.0.2.200'),
    expect: 'allowed',
    sids: ['Get'],
  },
  {
    name: 'Deny with NotIpAddress applies when aws:SourceIp is missing (negated operator, key absent)',
    identity: [
      doc(
        allow('Get', 's3:GetObject', `${BUCKET}/*`),
        deny('OffNetwork', '*', '*', { NotIpAddress: { 'aws:SourceIp': '192.0.2.0/24' } }),
      ),
    ],
    request: GET,
    expect: 'explicitDeny',
    sids: ['OffNetwork'],
  },
];
