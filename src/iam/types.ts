// The IAM/STS service interface (AWS shapes: AWS parameter names in, AWS result members out).
// Implemented on the store by src/iam/service*.ts; called by the AWS Query API (src/api/query/) and tests.

export interface Tag {
  Key: string;
  Value: string;
}

export interface IamUser {
  Path: string;
  UserName: string;
  UserId: string; // AIDA + 17 upper-case letters/digits
  Arn: string;
  CreateDate: string; // ISO 8601
  Tags?: Tag[];
  PermissionsBoundary?: { PermissionsBoundaryType: 'Policy'; PermissionsBoundaryArn: string };
}

export interface IamGroup {
  Path: string;
  GroupName: string;
  GroupId: string; // AGPA…
  Arn: string;
  CreateDate: string;
}

export interface IamRole {
  Path: string;
  RoleName: string;
  RoleId: string; // AROA…
  Arn: string;
  CreateDate: string;
  AssumeRolePolicyDocument: string; // URL-encoded JSON, as AWS returns it
  Description?: string;
  MaxSessionDuration: number;
  Tags?: Tag[];
  PermissionsBoundary?: { PermissionsBoundaryType: 'Policy'; PermissionsBoundaryArn: string };
}

export interface AccessKeyMetadata {
  UserName: string;
  AccessKeyId: string;
  Status: 'Active' | 'Inactive';
  CreateDate: string;
}

export interface ManagedPolicy {
  PolicyName: string;
  PolicyId: string; // ANPA…
  Arn: string;
  Path: string;
  DefaultVersionId: string;
  AttachmentCount: number;
  IsAttachable: boolean;
  CreateDate: string;
  UpdateDate: string;
  Description?: string;
}

export interface PolicyVersion {
  Document: string; // URL-encoded JSON
  VersionId: string;
  IsDefaultVersion: boolean;
  CreateDate: string;
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
  listUsers(p: { PathPrefix?: string }): Promise<{ Users: IamUser[]; IsTruncated: false }>;
  deleteUser(p: { UserName: string }): Promise<void>;
  tagUser(p: { UserName: string; Tags: Tag[] }): Promise<void>;
  // access keys (UserName omitted = the caller's own user)
  createAccessKey(
    p: { UserName?: string },
    caller: Caller,
  ): Promise<{ AccessKey: AccessKeyMetadata & { SecretAccessKey: string } }>;
  listAccessKeys(
    p: { UserName?: string },
    caller: Caller,
  ): Promise<{ AccessKeyMetadata: AccessKeyMetadata[]; IsTruncated: false }>;
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
  ): Promise<{ PolicyNames: string[]; IsTruncated: false }>;
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
  ): Promise<{ AttachedPolicies: { PolicyName: string; PolicyArn: string }[]; IsTruncated: false }>;

  // --- additions beyond the first cut (same AWS names) ---
  untagUser(p: { UserName: string; TagKeys: string[] }): Promise<void>;
  listUserTags(p: { UserName: string }): Promise<{ Tags: Tag[]; IsTruncated: false }>;
  putUserPermissionsBoundary(p: { UserName: string; PermissionsBoundary: string }): Promise<void>;
  deleteUserPermissionsBoundary(p: { UserName: string }): Promise<void>;
  getGroup(p: { GroupName: string }): Promise<{ Group: IamGroup; Users: IamUser[]; IsTruncated: false }>;
  listGroups(p: { PathPrefix?: string }): Promise<{ Groups: IamGroup[]; IsTruncated: false }>;
  listGroupsForUser(p: { UserName: string }): Promise<{ Groups: IamGroup[]; IsTruncated: false }>;
  deleteGroup(p: { GroupName: string }): Promise<void>;
  listRoles(p: { PathPrefix?: string }): Promise<{ Roles: IamRole[]; IsTruncated: false }>;
  updateRole(p: { RoleName: string; Description?: string; MaxSessionDuration?: number }): Promise<void>;
  updateAssumeRolePolicy(p: { RoleName: string; PolicyDocument: string }): Promise<void>;
  tagRole(p: { RoleName: string; Tags: Tag[] }): Promise<void>;
  untagRole(p: { RoleName: string; TagKeys: string[] }): Promise<void>;
  listRoleTags(p: { RoleName: string }): Promise<{ Tags: Tag[]; IsTruncated: false }>;
  putRolePermissionsBoundary(p: { RoleName: string; PermissionsBoundary: string }): Promise<void>;
  deleteRolePermissionsBoundary(p: { RoleName: string }): Promise<void>;
  getPolicy(p: { PolicyArn: string }): Promise<{ Policy: ManagedPolicy }>;
  listPolicies(p: {
    Scope?: 'All' | 'AWS' | 'Local';
    OnlyAttached?: boolean;
    PathPrefix?: string;
  }): Promise<{ Policies: ManagedPolicy[]; IsTruncated: false }>;
  deletePolicy(p: { PolicyArn: string }): Promise<void>;
  getPolicyVersion(p: { PolicyArn: string; VersionId: string }): Promise<{ PolicyVersion: PolicyVersion }>;
  /** As in AWS, the listed versions carry no Document (GetPolicyVersion has it). */
  listPolicyVersions(p: {
    PolicyArn: string;
  }): Promise<{ Versions: Omit<PolicyVersion, 'Document'>[]; IsTruncated: false }>;
  deletePolicyVersion(p: { PolicyArn: string; VersionId: string }): Promise<void>;
  setDefaultPolicyVersion(p: { PolicyArn: string; VersionId: string }): Promise<void>;
}
