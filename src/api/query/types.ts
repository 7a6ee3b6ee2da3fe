// What the AWS Query API (IAM + STS) needs injected: the services, the policy seam and the simulator.
import type { Caller, IamService, Tag } from '../../iam/types.js';
import type { VerifiedCaller } from '../sigv4-verify.js';

export type { Caller, IamService, Tag } from '../../iam/types.js';

/**
 * The IamService the Query API calls. The picked part is what every implementation has (the in-memory test
 * service implements only it); the rest is optional there, and an action whose method is absent answers
 * InvalidAction (see actions-iam-call.ts). The store-backed service implements all of it.
 */
export type QueryIamService = Partial<IamService> &
  Pick<
    IamService,
    | 'createUser'
    | 'getUser'
    | 'listUsers'
    | 'deleteUser'
    | 'tagUser'
    | 'createAccessKey'
    | 'listAccessKeys'
    | 'updateAccessKey'
    | 'deleteAccessKey'
    | 'getAccessKeyLastUsed'
    | 'createGroup'
    | 'getGroup'
    | 'addUserToGroup'
    | 'removeUserFromGroup'
    | 'createRole'
    | 'getRole'
    | 'deleteRole'
    | 'putPrincipalPolicy'
    | 'getPrincipalPolicy'
    | 'deletePrincipalPolicy'
    | 'listPrincipalPolicies'
    | 'createPolicy'
    | 'createPolicyVersion'
    | 'attachPrincipalPolicy'
    | 'detachPrincipalPolicy'
    | 'listAttachedPrincipalPolicies'
  >;

/** sts:AssumeRole parameters (AWS member names). */
export interface AssumeRoleInput {
  RoleArn: string;
  RoleSessionName: string;
  DurationSeconds?: number;
  Policy?: string;
  PolicyArns?: { arn: string }[];
  Tags?: Tag[];
  TransitiveTagKeys?: string[];
  ExternalId?: string;
  SourceIdentity?: string;
}

export interface AssumeRoleOutput {
  Credentials: {
    AccessKeyId: string;
    SecretAccessKey: string;
    SessionToken: string;
    Expiration: string | Date;
  };
  AssumedRoleUser: { AssumedRoleId: string; Arn: string };
  PackedPolicySize?: number;
  SourceIdentity?: string;
}

export interface CallerIdentity {
  UserId: string;
  Account: string;
  Arn: string;
}

/** The STS half; the role's trust policy is checked inside assumeRole (AWS evaluates it at STS, not IAM). */
export interface StsService {
  assumeRole(p: AssumeRoleInput, caller: Caller): Promise<AssumeRoleOutput>;
  getCallerIdentity(caller: Caller): Promise<CallerIdentity>;
}

/** iam:Simulate* context entry (AWS ContextEntry). */
export interface ContextEntry {
  ContextKeyName: string;
  ContextKeyValues: string[];
  ContextKeyType: string;
}

export interface SimulateInput {
  /** SimulatePrincipalPolicy: the user, group or role whose policies are evaluated. */
  policySourceArn?: string;
  /** SimulateCustomPolicy (and extra policies for SimulatePrincipalPolicy): policy documents as JSON text. */
  policyInputList?: string[];
  actionNames: string[];
  resourceArns?: string[];
  contextEntries: ContextEntry[];
}

export interface StatementPosition {
  Line: number;
  Column: number;
}

export interface MatchedStatement {
  SourcePolicyId: string;
  SourcePolicyType?: string;
  StartPosition?: StatementPosition;
  EndPosition?: StatementPosition;
}

export type EvalDecision = 'allowed' | 'explicitDeny' | 'implicitDeny';

export interface EvaluationResult {
  EvalActionName: string;
  EvalResourceName: string;
  EvalDecision: EvalDecision;
  MatchedStatements: MatchedStatement[];
  MissingContextValues: string[];
}

/** Policy simulation (iam:SimulatePrincipalPolicy / SimulateCustomPolicy), implemented by the policy layer. */
export type Simulate = (input: SimulateInput, caller: Caller) => Promise<EvaluationResult[]>;

/**
 * Request facts a policy condition may test: global keys (`aws:SourceIp`, `aws:CurrentTime`,
 * `aws:SecureTransport`, `aws:PrincipalArn`, …) and the action's own (`iam:PolicyARN`, `aws:RequestTag/K`).
 */
export type AuthorizeContext = Readonly<Record<string, string | readonly string[]>>;

/**
 * Policy seam for every Query action but sts:GetCallerIdentity (which AWS never denies). Return false to
 * refuse (the API answers 403 AccessDenied "User: ARN is not authorized to perform: ACTION on resource:
 * ARN"); throwing a GatehouseError also refuses, with that error.
 */
export type QueryAuthorize = (
  caller: Caller,
  action: string,
  resourceArn: string,
  context: AuthorizeContext,
) => Promise<boolean> | boolean;

/** Maps a verified key to the Caller the services see (default: derived via IamService lookups). */
export type ResolveCaller = (verified: VerifiedCaller, iam: QueryIamService) => Promise<Caller>;

/** `startApiServer({ …, query })`: enables `POST /` and `GET /` (AWS Query protocol, IAM and STS). */
export interface QueryApiOptions {
  iam: QueryIamService;
  sts: StsService;
  simulate: Simulate;
  authorize: QueryAuthorize;
  resolveCaller?: ResolveCaller;
}
