// RDS IAM database authentication policies as the RDS User Guide writes them ("Creating and using an IAM
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables are written ${...} inside plain strings.
// policy for IAM database access"): rds-db:connect on dbuser ARNs, with aws:SourceIp conditions.
import { ACCOUNT, allow, deny, doc, ip, type PolicyCase } from './case.js';

const DBI = 'db-ABCDEFGHIJKL01234';
const DBUSER = (user: string, region = 'us-east-1', dbi = DBI) =>
  `arn:aws:rds-db:${region}:${ACCOUNT}:dbuser:${dbi}/${user}`;
const JANE = {
  arn: `arn:aws:iam::${ACCOUNT}:user/jane`,
  accountId: ACCOUNT,
  username: 'jane',
  userid: 'AIDAJANEEXAMPLE00001',
};
const connect = (dbUser: string, extra: object = {}) => ({
  action: 'rds-db:connect',
  resource: DBUSER(dbUser),
  principal: JANE,
  ...extra,
});
const one = (resource: Parameters<typeof allow>[2], condition?: Parameters<typeof allow>[3]) => [
  doc(allow('Connect', 'rds-db:connect', resource, condition)),
];
const VAR_POLICY = one('arn:aws:rds-db:*:*:dbuser:*/${aws:username}');

export const rdsCases: PolicyCase[] = [
  {
    name: 'RDS: connect as the one database user named in the policy',
    identity: one(DBUSER('jane')),
    request: connect('jane'),
    expect: 'allowed',
    sids: ['Connect'],
  },
  {
    name: 'RDS: another database user on the same instance is refused',
    identity: one(DBUSER('jane')),
    request: connect('admin'),
    expect: 'implicitDeny',
  },
  {
    name: 'RDS: dbuser:<DbiResourceId>/* covers every database user of the instance',
    identity: one(DBUSER('*')),
    request: connect('reporting'),
    expect: 'allowed',
    sids: ['Connect'],
  },
  {
    name: 'RDS: dbuser:*/jane covers jane on every instance',
    identity: one(`arn:aws:rds-db:us-east-1:${ACCOUNT}:dbuser:*/jane`),
    request: connect('jane'),
    expect: 'allowed',
    sids: ['Connect'],
  },
  {
    name: 'RDS: dbuser:*/jane does not admit another database user (advisory GH-SA-2026-001)',
    identity: one(`arn:aws:rds-db:us-east-1:${ACCOUNT}:dbuser:*/jane`),
    request: connect('bob'),
    expect: 'implicitDeny',
  },
  {
    name: 'RDS: dbuser:*/${aws:username} admits only the database user named like the caller',
    identity: one(`arn:aws:rds-db:us-east-1:${ACCOUNT}:dbuser:*/\${aws:username}`),
    request: connect('admin'),
    expect: 'implicitDeny',
  },
  {
    name: "RDS: dbuser:*/${aws:username} admits the caller's own name",
    identity: one(`arn:aws:rds-db:us-east-1:${ACCOUNT}:dbuser:*/\${aws:username}`),
    request: connect('jane'),
    expect: 'allowed',
    sids: ['Connect'],
  },
  {
    name: 'RDS: ? in the name stands for one character only (app_us? admits app_user, not app_users)',
    identity: one(`arn:aws:rds-db:us-east-1:${ACCOUNT}:dbuser:${DBI}/app_use?`),
    request: connect('app_users'),
    expect: 'implicitDeny',
  },
  {
    name: 'RDS: ? in the name admits the one-character variant',
    identity: one(`arn:aws:rds-db:us-east-1:${ACCOUNT}:dbuser:${DBI}/app_use?`),
    request: connect('app_user'),
    expect: 'allowed',
    sids: ['Connect'],
  },
  {
    name: 'RDS: another instance is refused',
    identity: one(DBUSER('jane')),
    request: { ...connect('jane'), resource: DBUSER('jane', 'us-east-1', 'db-ZZZZZZZZZZZZZZZZZ') },
    expect: 'implicitDeny',
  },
  {
    name: 'RDS: another region is refused',
    identity: one(DBUSER('jane')),
    request: { ...connect('jane'), resource: DBUSER('jane', 'eu-west-1') },
    expect: 'implicitDeny',
  },
  {
    name: 'RDS: a cluster resource id works the same way',
    identity: one(`arn:aws:rds-db:us-east-1:${ACCOUNT}:dbuser:cluster-ABCDEFGHIJKL01234/jane`),
    request: {
      ...connect('jane'),
      resource: `arn:aws:rds-db:us-east-1:${ACCOUNT}:dbuser:cluster-ABCDEFGHIJKL01234/jane`,
    },
    expect: 'allowed',
    sids: ['Connect'],
  },
  {
    name: 'RDS: dbuser:*/${aws:username} lets jane connect as jane',
    identity: VAR_POLICY,
    request: connect('jane'),
    expect: 'allowed',
    sids: ['Connect'],
  },
  {
    name: 'RDS: dbuser:*/${aws:username} does not let jane connect as admin',
    identity: VAR_POLICY,
    request: connect('admin'),
    expect: 'implicitDeny',
  },
  {
    name: 'RDS: dbuser:*/${aws:username} refuses a role session (no aws:username)',
    identity: VAR_POLICY,
    request: {
      ...connect('jane'),
      principal: { arn: `arn:aws:sts::${ACCOUNT}:assumed-role/app/jane`, accountId: ACCOUNT },
    },
    expect: 'implicitDeny',
  },
  {
    name: 'RDS: database user names are case-sensitive (Jane is not jane)',
    identity: one(DBUSER('Jane')),
    request: connect('jane'),
    expect: 'implicitDeny',
  },
  {
    name: 'RDS: the action is case-insensitive (RDS-DB:Connect)',
    identity: one(DBUSER('jane')),
    request: { ...connect('jane'), action: 'RDS-DB:Connect' },
    expect: 'allowed',
    sids: ['Connect'],
  },
  {
    name: 'RDS: rds-db:* covers rds-db:connect',
    identity: [doc(allow('All', 'rds-db:*', DBUSER('*')))],
    request: connect('jane'),
    expect: 'allowed',
    sids: ['All'],
  },
  {
    name: 'RDS: rds:* (the RDS API) does not cover rds-db:connect',
    identity: [doc(allow('Api', 'rds:*', '*'))],
    request: connect('jane'),
    expect: 'implicitDeny',
  },
  {
    name: 'RDS: aws:SourceIp inside the allowed range',
    identity: one(DBUSER('jane'), { IpAddress: { 'aws:SourceIp': '192.0.2.0/24' } }),
    request: connect('jane', { context: { 'aws:SourceIp': ip('192.0.2.33') } }),
    expect: 'allowed',
    sids: ['Connect'],
  },
  {
    name: 'RDS: aws:SourceIp outside the allowed range',
    identity: one(DBUSER('jane'), { IpAddress: { 'aws:SourceIp': '192.0.2.0/24' } }),
    request: connect('jane', { context: { 'aws:SourceIp': ip('198.51.100.7') } }),
    expect: 'implicitDeny',
  },
  {
    name: 'RDS: Deny rds-db:connect as admin overrides the instance-wide Allow',
    identity: [
      doc(
        allow('Connect', 'rds-db:connect', DBUSER('*')),
        deny('NoAdmin', 'rds-db:connect', DBUSER('admin')),
      ),
    ],
    request: connect('admin'),
    expect: 'explicitDeny',
    sids: ['NoAdmin'],
  },
  {
    name: 'RDS: Deny with NotIpAddress refuses connections from outside the office',
    identity: [
      doc(
        allow('Connect', 'rds-db:connect', DBUSER('*')),
        deny('Office', 'rds-db:connect', '*', {
          NotIpAddress: { 'aws:SourceIp': ['192.0.2.0/24', '2001:db8::/32'] },
        }),
      ),
    ],
    request: connect('jane', { context: { 'aws:SourceIp': ip('203.0.113.1') } }),
    expect: 'explicitDeny',
    sids: ['Office'],
  },
  {
    name: 'RDS: Deny with NotIpAddress lets an IPv6 office address through',
    identity: [
      doc(
        allow('Connect', 'rds-db:connect', DBUSER('*')),
        deny('Office', 'rds-db:connect', '*', {
          NotIpAddress: { 'aws:SourceIp': ['192.0.2.0/24', '2001:db8::/32'] },
        }),
      ),
    ],
    request: connect('jane', { context: { 'aws:SourceIp': ip('2001:db8:1::5') } }),
    expect: 'allowed',
    sids: ['Connect'],
  },
  {
    name: 'RDS: a policy with several resources (two instances, AWS example shape)',
    identity: one([DBUSER('jane'), DBUSER('jane', 'us-east-1', 'db-ZZZZZZZZZZZZZZZZZ')]),
    request: { ...connect('jane'), resource: DBUSER('jane', 'us-east-1', 'db-ZZZZZZZZZZZZZZZZZ') },
    expect: 'allowed',
    sids: ['Connect'],
  },
];
