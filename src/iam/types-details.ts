// Result shapes of ListEntitiesForPolicy and GetAccountAuthorizationDetails (IAM API Reference, 2010-05-08).
import type { IamGroup, IamRole, IamUser, ManagedPolicy, PolicyVersion, Tag } from './types-entities.js';

export interface PolicyEntities {
  PolicyGroups: { GroupName: string; GroupId: string }[];
  PolicyUsers: { UserName: string; UserId: string }[];
  PolicyRoles: { RoleName: string; RoleId: string }[];
}

/** GetAccountAuthorizationDetails Filter members (AWS EntityType). */
export type DetailFilter = 'User' | 'Role' | 'Group' | 'LocalManagedPolicy' | 'AWSManagedPolicy';

export interface InlinePolicyDetail {
  PolicyName: string;
  PolicyDocument: string; // URL-encoded JSON
}

export interface AttachedPolicy {
  PolicyName: string;
  PolicyArn: string;
}

export interface UserDetail extends Omit<IamUser, 'Tags'> {
  UserPolicyList: InlinePolicyDetail[];
  GroupList: string[];
  AttachedManagedPolicies: AttachedPolicy[];
  Tags: Tag[];
}

export interface GroupDetail extends IamGroup {
  GroupPolicyList: InlinePolicyDetail[];
  AttachedManagedPolicies: AttachedPolicy[];
}

export interface RoleDetail extends Omit<IamRole, 'Tags' | 'Description' | 'MaxSessionDuration'> {
  InstanceProfileList: never[];
  RolePolicyList: InlinePolicyDetail[];
  AttachedManagedPolicies: AttachedPolicy[];
  Tags: Tag[];
}

export interface ManagedPolicyDetail extends ManagedPolicy {
  PermissionsBoundaryUsageCount: number;
  PolicyVersionList: PolicyVersion[];
}

export interface AccountAuthorizationDetails {
  UserDetailList: UserDetail[];
  GroupDetailList: GroupDetail[];
  RoleDetailList: RoleDetail[];
  Policies: ManagedPolicyDetail[];
}
