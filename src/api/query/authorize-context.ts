// The global condition keys a Query call offers to the policy seam (IAM "AWS global condition context keys").
import type { Caller } from '../../iam/types.js';
import type { AuthorizeContext } from './types.js';

export interface RequestFacts {
  sourceIp: string;
  secure: boolean;
  now: Date;
  /** Region of the credential scope. */
  region: string;
}

function principalType(arn: string): string {
  if (arn.includes(':assumed-role/')) return 'AssumedRole';
  if (arn.endsWith(':root')) return 'Account';
  return 'User';
}

export function globalConditions(caller: Caller, facts: RequestFacts): AuthorizeContext {
  return {
    // node reports IPv4 peers on dual-stack sockets as ::ffff:a.b.c.d; policies name a.b.c.d.
    'aws:SourceIp': facts.sourceIp.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, ''),
    'aws:SecureTransport': facts.secure ? 'true' : 'false',
    'aws:CurrentTime': facts.now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    'aws:EpochTime': String(Math.floor(facts.now.getTime() / 1000)),
    'aws:RequestedRegion': facts.region,
    'aws:PrincipalAccount': caller.accountId,
    'aws:PrincipalType': principalType(caller.arn),
    'aws:userid': caller.userId,
    ...(caller.userName !== undefined ? { 'aws:username': caller.userName } : {}),
  };
}
