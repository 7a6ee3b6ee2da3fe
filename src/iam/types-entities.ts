// IAM entities as the API returns them (AWS member names): users, groups, roles, keys, managed policies, versions.

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
