// The IAM/STS service interface (AWS shapes: AWS parameter names in, AWS result members out).
// Implemented on the store by src/iam/service*.ts; called by the AWS Query API (src/api/query/) and tests.
import type { AccountAuthorizationDetails, DetailFilter, PolicyEntities } from './types-details.js';

import type {
  AccessKeyMetadata,
  IamGroup,
  IamRole,
  IamUser,
  ManagedPolicy,
  PolicyVersion,
  Tag,
} from './types-entities.js';

export type * from './types-entities.js';

/** The paging members every IAM list action takes (AWS: MaxItems 1–1000, default 100). */
export interface PageInput {
  Marker?: string;
  MaxItems?: number;
}

/** The paging members of every IAM list result; `Marker` only when `IsTruncated`. */
export interface PageOutput {
  IsTruncated: boolean;
  Marker?: string;
}

export type PrincipalKind = 'User' | 'Group' | 'Role';

/** Who is calling, as established by SigV4 (and STS session tokens). */
export interface Caller {
  readonly arn: string; // user ARN or arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION
  readonly accountId: string;
  readonly userId: string; // AIDA… for users; AROA…:session for assumed roles
  readonly accessKeyId: string;
  readonly userName?: string;
}

export interface IamService {
  // users
  createUser(p: {
    UserName: string;
    Path?: string;
    Tags?: Tag[];
    PermissionsBoundary?: string;
  }): Promise<{ User: IamUser }>;
  getUser(p: { UserName?: string }, caller: Caller): Promise<{ User: IamUser }>;
  listUsers(p: { PathPrefix?: string } & PageInput): Promise<{ Users: IamUser[] } & PageOutput>;
  /** NewUserName and/or NewPath: the ARN changes; keys, policies, tags and memberships stay with the user. */
  updateUser(p: { UserName: string; NewUserName?: string; NewPath?: string }): Promise<void>;
  deleteUser(p: { UserName: string }): Promise<void>;
  tagUser(p: { UserName: string; Tags: Tag[] }): Promise<void>;
  // access keys (UserName omitted = the caller's own user)
  createAccessKey(
    p: { UserName?: string },
    caller: Caller,
  ): Promise<{ AccessKey: AccessKeyMetadata & { SecretAccessKey: string } }>;
  listAccessKeys(
    p: { UserName?: string } & PageInput,
    caller: Caller,
  ): Promise<{ AccessKeyMetadata: AccessKeyMetadata[] } & PageOutput>;
  updateAccessKey(
    p: { UserName?: string; AccessKeyId: string; Status: 'Active' | 'Inactive' },
    caller: Caller,
  ): Promise<void>;
  deleteAccessKey(p: { UserName?: string; AccessKeyId: string }, caller: Caller): Promise<void>;
  /** When and for which service a key was last used (recorded at most once a minute per node). */
  getAccessKeyLastUsed(p: { AccessKeyId: string }): Promise<{
    UserName: string;
    AccessKeyLastUsed: { LastUsedDate?: string; ServiceName: string; Region: string };
  }>;
  // groups
  createGroup(p: { GroupName: string; Path?: string }): Promise<{ Group: IamGroup }>;
  addUserToGroup(p: { GroupName: string; UserName: string }): Promise<void>;
  removeUserFromGroup(p: { GroupName: string; UserName: string }): Promise<void>;
  // roles
  createRole(p: {
    RoleName: string;
    AssumeRolePolicyDocument: string;
    Path?: string;
    Description?: string;
    MaxSessionDuration?: number;
    Tags?: Tag[];
    PermissionsBoundary?: string;
  }): Promise<{ Role: IamRole }>;
  getRole(p: { RoleName: string }): Promise<{ Role: IamRole }>;
  deleteRole(p: { RoleName: string }): Promise<void>;
  // inline policies
  putPrincipalPolicy(
    kind: PrincipalKind,
    name: string,
    p: { PolicyName: string; PolicyDocument: string },
  ): Promise<void>;
  getPrincipalPolicy(
    kind: PrincipalKind,
    name: string,
    p: { PolicyName: string },
  ): Promise<{ PolicyName: string; PolicyDocument: string }>;
  deletePrincipalPolicy(kind: PrincipalKind, name: string, p: { PolicyName: string }): Promise<void>;
  listPrincipalPolicies(
    kind: PrincipalKind,
    name: string,
    p?: PageInput,
  ): Promise<{ PolicyNames: string[] } & PageOutput>;
  // managed policies
  createPolicy(p: {
    PolicyName: string;
    PolicyDocument: string;
    Path?: string;
    Description?: string;
  }): Promise<{ Policy: ManagedPolicy }>;
  createPolicyVersion(p: {
    PolicyArn: string;
    PolicyDocument: string;
    SetAsDefault?: boolean;
  }): Promise<{ PolicyVersion: PolicyVersion }>;
  attachPrincipalPolicy(kind: PrincipalKind, name: string, p: { PolicyArn: string }): Promise<void>;
  detachPrincipalPolicy(kind: PrincipalKind, name: string, p: { PolicyArn: string }): Promise<void>;
  listAttachedPrincipalPolicies(
    kind: PrincipalKind,
    name: string,
    p?: { PathPrefix?: string } & PageInput,
  ): Promise<{ AttachedPolicies: { PolicyName: string; PolicyArn: string }[] } & PageOutput>;

  // --- additions beyond the first cut (same AWS names) ---
  untagUser(p: { UserName: string; TagKeys: string[] }): Promise<void>;
  listUserTags(p: { UserName: string } & PageInput): Promise<{ Tags: Tag[] } & PageOutput>;
  putUserPermissionsBoundary(p: { UserName: string; PermissionsBoundary: string }): Promise<void>;
  deleteUserPermissionsBoundary(p: { UserName: string }): Promise<void>;
  getGroup(p: { GroupName: string } & PageInput): Promise<{ Group: IamGroup; Users: IamUser[] } & PageOutput>;
  listGroups(p: { PathPrefix?: string } & PageInput): Promise<{ Groups: IamGroup[] } & PageOutput>;
  listGroupsForUser(p: { UserName: string } & PageInput): Promise<{ Groups: IamGroup[] } & PageOutput>;
  deleteGroup(p: { GroupName: string }): Promise<void>;
  updateGroup(p: { GroupName: string; NewGroupName?: string; NewPath?: string }): Promise<void>;
  listRoles(p: { PathPrefix?: string } & PageInput): Promise<{ Roles: IamRole[] } & PageOutput>;
  updateRole(p: { RoleName: string; Description?: string; MaxSessionDuration?: number }): Promise<void>;
  /** The older UpdateRoleDescription: sets the description and returns the role. */
  updateRoleDescription(p: { RoleName: string; Description: string }): Promise<{ Role: IamRole }>;
  updateAssumeRolePolicy(p: { RoleName: string; PolicyDocument: string }): Promise<void>;
  tagRole(p: { RoleName: string; Tags: Tag[] }): Promise<void>;
  untagRole(p: { RoleName: string; TagKeys: string[] }): Promise<void>;
  listRoleTags(p: { RoleName: string } & PageInput): Promise<{ Tags: Tag[] } & PageOutput>;
  putRolePermissionsBoundary(p: { RoleName: string; PermissionsBoundary: string }): Promise<void>;
  deleteRolePermissionsBoundary(p: { RoleName: string }): Promise<void>;
  getPolicy(p: { PolicyArn: string }): Promise<{ Policy: ManagedPolicy }>;
  listPolicies(
    p: {
      Scope?: 'All' | 'AWS' | 'Local';
      OnlyAttached?: boolean;
      PathPrefix?: string;
      PolicyUsageFilter?: 'PermissionsPolicy' | 'PermissionsBoundary';
    } & PageInput,
  ): Promise<{ Policies: ManagedPolicy[] } & PageOutput>;
  deletePolicy(p: { PolicyArn: string }): Promise<void>;
  getPolicyVersion(p: { PolicyArn: string; VersionId: string }): Promise<{ PolicyVersion: PolicyVersion }>;
  /** As in AWS, the listed versions carry no Document (GetPolicyVersion has it). */
  listPolicyVersions(
    p: { PolicyArn: string } & PageInput,
  ): Promise<{ Versions: Omit<PolicyVersion, 'Document'>[] } & PageOutput>;
  deletePolicyVersion(p: { PolicyArn: string; VersionId: string }): Promise<void>;
  setDefaultPolicyVersion(p: { PolicyArn: string; VersionId: string }): Promise<void>;
  listEntitiesForPolicy(
    p: {
      PolicyArn: string;
      EntityFilter?: string;
      PathPrefix?: string;
      PolicyUsageFilter?: 'PermissionsPolicy' | 'PermissionsBoundary';
    } & PageInput,
  ): Promise<PolicyEntities & PageOutput>;
  getAccountAuthorizationDetails(
    p: { Filter?: DetailFilter[] } & PageInput,
  ): Promise<AccountAuthorizationDetails & PageOutput>;
}
