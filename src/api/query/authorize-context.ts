// The global condition keys a Query call offers to the policy seam (IAM "AWS global condition context keys").

import { awsSourceIp, isoSeconds } from '../../core/request-facts.js';
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
    'aws:SourceIp': awsSourceIp(facts.sourceIp),
    'aws:SecureTransport': facts.secure ? 'true' : 'false',
    'aws:CurrentTime': isoSeconds(facts.now),
    'aws:EpochTime': String(Math.floor(facts.now.getTime() / 1000)),
    'aws:RequestedRegion': facts.region,
    'aws:PrincipalAccount': caller.accountId,
    'aws:PrincipalType': principalType(caller.arn),
    'aws:userid': caller.userId,
    ...(caller.userName !== undefined ? { 'aws:username': caller.userName } : {}),
  };
}
