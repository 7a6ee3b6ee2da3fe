// Policy variables (IAM "Variables and tags"): substitution in Resource and String/Arn condition values,
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables are written ${...} inside plain strings.
// principal tags, defaults, the ${*} ${?} ${$} escapes, missing values, and Version 2008 (no variables).
import { ACCOUNT, ALICE, allow, arn, BUCKET, date, deny, doc, ip, type PolicyCase, str } from './case.js';

const home = (user: string) => ({ action: 's3:GetObject', resource: `${BUCKET}/home/${user}/notes.txt` });
const HOME_POLICY = doc(allow('Home', 's3:GetObject', `${BUCKET}/home/\${aws:username}/*`));
const v2008 = (...statements: ReturnType<typeof allow>[]) => ({
  Version: '2008-10-17',
  Statement: statements,
});
const LIST = { action: 's3:ListBucket', resource: BUCKET };
/** A role session: it has no aws:username. */
const ROLE_SESSION = { arn: `arn:aws:sts::${ACCOUNT}:assumed-role/app/s1`, accountId: ACCOUNT };
/** Everything but the caller's own home folder, by NotResource. */
const notHome = (Sid: string, Effect: 'Allow' | 'Deny') => ({
  Sid,
  Effect,
  Action: 's3:GetObject',
  NotResource: `${BUCKET}/home/\${aws:username}/*`,
});

export const variableCases: PolicyCase[] = [
  {
    name: '${aws:username} in Resource resolves to the caller (AWS home-folder example)',
    identity: [HOME_POLICY],
    request: home('alice'),
    expect: 'allowed',
    sids: ['Home'],
  },
  {
    name: "${aws:username} in Resource does not reach another user's folder",
    identity: [HOME_POLICY],
    request: home('bob'),
    expect: 'implicitDeny',
  },
  {
    name: 'a Resource variable with no value (no aws:username: a role session) does not match',
    identity: [HOME_POLICY],
    request: {
      ...home('alice'),
      principal: { arn: `arn:aws:sts::${ACCOUNT}:assumed-role/app/s1`, accountId: ACCOUNT },
    },
    expect: 'implicitDeny',
  },
  {
    name: '${aws:username} in a StringLike condition on s3:prefix (AWS example)',
    identity: [
      doc(
        allow('List', 's3:ListBucket', BUCKET, {
          StringLike: { 's3:prefix': ['', 'home/', 'home/${aws:username}/*'] },
        }),
      ),
    ],
    request: { ...LIST, context: { 's3:prefix': str('home/alice/docs') } },
    expect: 'allowed',
    sids: ['List'],
  },
  {
    name: 'a StringLike condition with ${aws:username} refuses another prefix',
    identity: [
      doc(
        allow('List', 's3:ListBucket', BUCKET, { StringLike: { 's3:prefix': ['home/${aws:username}/*'] } }),
      ),
    ],
    request: { ...LIST, context: { 's3:prefix': str('home/bob/docs') } },
    expect: 'implicitDeny',
  },
  {
    name: '${aws:userid} resolves to the unique id',
    identity: [doc(allow('Id', 's3:GetObject', `${BUCKET}/\${aws:userid}/*`))],
    request: { action: 's3:GetObject', resource: `${BUCKET}/${ALICE.userid}/x` },
    expect: 'allowed',
    sids: ['Id'],
  },
  {
    name: '${aws:PrincipalTag/team} resolves to the principal tag',
    identity: [doc(allow('Team', 's3:GetObject', `${BUCKET}/teams/\${aws:PrincipalTag/team}/*`))],
    request: { action: 's3:GetObject', resource: `${BUCKET}/teams/payments/q1.csv` },
    expect: 'allowed',
    sids: ['Team'],
  },
  {
    name: 'a principal-tag variable for a tag the principal lacks does not match',
    identity: [doc(allow('Team', 's3:GetObject', `${BUCKET}/teams/\${aws:PrincipalTag/project}/*`))],
    request: { action: 's3:GetObject', resource: `${BUCKET}/teams/payments/q1.csv` },
    expect: 'implicitDeny',
  },
  {
    name: "a default value is used when the variable has none: ${aws:PrincipalTag/project, 'shared'}",
    identity: [
      doc(allow('Team', 's3:GetObject', `${BUCKET}/teams/\${aws:PrincipalTag/project, 'shared'}/*`)),
    ],
    request: { action: 's3:GetObject', resource: `${BUCKET}/teams/shared/readme` },
    expect: 'allowed',
    sids: ['Team'],
  },
  {
    name: 'a default value is ignored when the variable has a value',
    identity: [doc(allow('Team', 's3:GetObject', `${BUCKET}/teams/\${aws:PrincipalTag/team, 'shared'}/*`))],
    request: { action: 's3:GetObject', resource: `${BUCKET}/teams/shared/readme` },
    expect: 'implicitDeny',
  },
  {
    name: 'variable key names are case-insensitive: ${AWS:UserName}',
    identity: [doc(allow('Home', 's3:GetObject', `${BUCKET}/home/\${AWS:UserName}/*`))],
    request: home('alice'),
    expect: 'allowed',
    sids: ['Home'],
  },
  {
    name: '${*} is a literal asterisk, not a wildcard',
    identity: [doc(allow('Star', 's3:GetObject', `${BUCKET}/literal-\${*}`))],
    request: { action: 's3:GetObject', resource: `${BUCKET}/literal-anything` },
    expect: 'implicitDeny',
  },
  {
    name: '${*} matches an object whose name has a real asterisk',
    identity: [doc(allow('Star', 's3:GetObject', `${BUCKET}/literal-\${*}`))],
    request: { action: 's3:GetObject', resource: `${BUCKET}/literal-*` },
    expect: 'allowed',
    sids: ['Star'],
  },
  {
    name: '${?} is a literal question mark in StringLike',
    identity: [doc(allow('Q', 's3:ListBucket', BUCKET, { StringLike: { 's3:prefix': 'what${?}' } }))],
    request: { ...LIST, context: { 's3:prefix': str('whatX') } },
    expect: 'implicitDeny',
  },
  {
    name: '${$} is a literal dollar sign',
    identity: [doc(allow('D', 's3:ListBucket', BUCKET, { StringEquals: { 's3:prefix': 'cost${$}' } }))],
    request: { ...LIST, context: { 's3:prefix': str('cost$') } },
    expect: 'allowed',
    sids: ['D'],
  },
  {
    name: 'any context key can be a variable: ${aws:SourceIp} in StringEquals',
    identity: [
      doc(allow('Ip', 's3:ListBucket', BUCKET, { StringEquals: { 'custom:clientIp': '${aws:SourceIp}' } })),
    ],
    request: { ...LIST, context: { 'aws:SourceIp': ip('192.0.2.1'), 'custom:clientIp': str('192.0.2.1') } },
    expect: 'allowed',
    sids: ['Ip'],
  },
  {
    name: '${aws:CurrentTime} as a variable in StringLike',
    identity: [
      doc(allow('Day', 's3:ListBucket', BUCKET, { StringLike: { 's3:prefix': 'logs/${aws:CurrentTime}' } })),
    ],
    request: {
      ...LIST,
      context: {
        'aws:CurrentTime': date('2024-05-01T00:00:00Z'),
        's3:prefix': str('logs/2024-05-01T00:00:00Z'),
      },
    },
    expect: 'allowed',
    sids: ['Day'],
  },
  {
    name: 'a variable in an ArnLike value (${aws:PrincipalAccount})',
    identity: [
      doc(
        allow('Own', 'sns:Publish', '*', {
          ArnLike: { 'aws:SourceArn': 'arn:aws:s3:::*-${aws:PrincipalAccount}' },
        }),
      ),
    ],
    request: {
      action: 'sns:Publish',
      resource: `arn:aws:sns:us-east-1:${ACCOUNT}:t`,
      context: { 'aws:SourceArn': arn(`arn:aws:s3:::logs-${ACCOUNT}`) },
    },
    expect: 'allowed',
    sids: ['Own'],
  },
  {
    name: 'a multivalued key cannot be a variable: it never matches (AWS)',
    identity: [doc(allow('Multi', 's3:GetObject', `${BUCKET}/\${aws:TagKeys}/*`))],
    request: {
      action: 's3:GetObject',
      resource: `${BUCKET}/env/x`,
      context: { 'aws:TagKeys': str('env', 'cost') },
    },
    expect: 'implicitDeny',
  },
  {
    name: 'a substituted value is literal: a tag value * is no wildcard (AWS docs silent; literal is the safe reading)',
    identity: [doc(allow('Team', 's3:GetObject', `${BUCKET}/teams/\${aws:PrincipalTag/team}`))],
    request: {
      action: 's3:GetObject',
      resource: `${BUCKET}/teams/payments-archive`,
      principal: { ...ALICE, tags: { team: 'payments*' } },
    },
    expect: 'implicitDeny',
  },
  {
    name: 'an Allow whose StringNotEquals value cannot be resolved does not apply (it must not grant; decisions.md)',
    identity: [
      doc(
        allow('N', 's3:ListBucket', BUCKET, {
          StringNotEquals: { 's3:prefix': '${aws:PrincipalTag/project}' },
        }),
      ),
    ],
    request: { ...LIST, context: { 's3:prefix': str('x') } },
    expect: 'implicitDeny',
  },
  {
    name: 'an Allow whose StringNotLike has one unresolvable value among resolvable ones does not apply either',
    identity: [
      doc(
        allow('N', 's3:ListBucket', BUCKET, {
          StringNotLike: { 's3:prefix': ['secret/*', '${aws:PrincipalTag/project}/*'] },
        }),
      ),
    ],
    request: { ...LIST, context: { 's3:prefix': str('public/x') } },
    expect: 'implicitDeny',
  },
  {
    name: 'a Deny whose StringNotEquals value cannot be resolved applies (a null is "not equal"; a Deny never loosens)',
    identity: [
      doc(
        allow('All', 's3:ListBucket', BUCKET),
        deny('D', 's3:ListBucket', BUCKET, {
          StringNotEquals: { 's3:prefix': '${aws:PrincipalTag/project}' },
        }),
      ),
    ],
    request: { ...LIST, context: { 's3:prefix': str('x') } },
    expect: 'explicitDeny',
    sids: ['D'],
  },
  {
    name: 'an Allow with NotResource naming ${aws:username} does not apply to a caller without one (role session)',
    identity: [doc(notHome('NR', 'Allow'))],
    request: { ...home('bob'), principal: ROLE_SESSION },
    expect: 'implicitDeny',
  },
  {
    name: "an Allow with NotResource naming ${aws:username} still applies outside the caller's own folder when it resolves",
    identity: [doc(notHome('NR', 'Allow'))],
    request: home('bob'),
    expect: 'allowed',
    sids: ['NR'],
  },
  {
    name: 'a Deny with NotResource naming ${aws:username} applies to a caller without one (fails closed)',
    identity: [doc(allow('All', 's3:GetObject'), notHome('DNR', 'Deny'))],
    request: { ...home('alice'), principal: ROLE_SESSION },
    expect: 'explicitDeny',
    sids: ['DNR'],
  },
  {
    name: 'Version 2008-10-17: ${aws:username} is literal text in Resource',
    identity: [v2008(allow('Old', 's3:GetObject', `${BUCKET}/home/\${aws:username}/*`))],
    request: home('alice'),
    expect: 'implicitDeny',
  },
  {
    name: 'Version 2008-10-17: a resource literally named ${aws:username} matches',
    identity: [v2008(allow('Old', 's3:GetObject', `${BUCKET}/home/\${aws:username}/*`))],
    request: { action: 's3:GetObject', resource: `${BUCKET}/home/\${aws:username}/x` },
    expect: 'allowed',
    sids: ['Old'],
  },
  {
    name: 'no Version element means 2008-10-17: variables stay literal in conditions',
    identity: [
      {
        Statement: [
          allow('NoV', 's3:ListBucket', BUCKET, { StringEquals: { 's3:prefix': '${aws:username}' } }),
        ],
      },
    ],
    request: { ...LIST, context: { 's3:prefix': str('alice') } },
    expect: 'implicitDeny',
  },
];
