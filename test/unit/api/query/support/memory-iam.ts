// A small in-memory IamService for the Query API tests: AWS-like results and refusals (NoSuchEntity,
// EntityAlreadyExists, DeleteConflict, LimitExceeded, MalformedPolicyDocument); keys live in SessionKeys.
import type { QueryIamService } from '../../../../../src/api/query/types.js';
import { GatehouseError } from '../../../../../src/core/errors.js';
import { newAccessKeyId, newSecretAccessKey } from '../../../../../src/core/ids.js';
import type {
  AccessKeyMetadata,
  Caller,
  IamGroup,
  IamRole,
  IamUser,
  ManagedPolicy,
  PolicyVersion,
  PrincipalKind,
  Tag,
} from '../../../../../src/iam/types.js';
import type { SessionKeys } from './session-keys.js';

export const ACCOUNT = '123456789012';
export const CREATED = '2025-01-02T03:04:05Z';

const noSuch = (reason: string) => new GatehouseError('GH_IAM_NO_SUCH_ENTITY', { reason });
const exists = (entity: string, name: string) => new GatehouseError('GH_IAM_ENTITY_EXISTS', { entity, name });
const conflict = (reason: string) => new GatehouseError('GH_IAM_DELETE_CONFLICT', { reason });

function checkDocument(doc: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(doc);
  } catch {
    throw new GatehouseError('GH_IAM_MALFORMED_POLICY', { reason: 'Syntax errors in policy.' });
  }
  if (typeof parsed !== 'object' || parsed === null || !('Statement' in parsed)) {
    throw new GatehouseError('GH_IAM_MALFORMED_POLICY', { reason: 'Missing required field Statement' });
  }
}

function id(prefix: string, n: number): string {
  return `${prefix}${String(n).padStart(17, '0')}`;
}

export class MemoryIam implements QueryIamService {
  readonly users = new Map<string, IamUser>();
  readonly groups = new Map<string, { group: IamGroup; members: Set<string> }>();
  readonly roles = new Map<string, IamRole>();
  /** `${kind}/${name}` -> policy name -> document (JSON text). */
  readonly inline = new Map<string, Map<string, string>>();
  readonly policies = new Map<string, { policy: ManagedPolicy; versions: PolicyVersion[] }>();
  readonly attached = new Map<string, Set<string>>();
  private readonly keyMeta = new Map<string, AccessKeyMetadata>();
  private seq = 0;

  constructor(private readonly keys: SessionKeys) {}

  private user(name: string): IamUser {
    const u = this.users.get(name);
    if (!u) throw noSuch(`The user with name ${name} cannot be found.`);
    return u;
  }

  private principal(kind: PrincipalKind, name: string): string {
    if (kind === 'User') this.user(name);
    else if (kind === 'Group' && !this.groups.has(name))
      throw noSuch(`The group with name ${name} cannot be found.`);
    else if (kind === 'Role') void this.getRoleSync(name);
    return `${kind}/${name}`;
  }

  private getRoleSync(name: string): IamRole {
    const r = this.roles.get(name);
    if (!r) throw noSuch(`The role with name ${name} cannot be found.`);
    return r;
  }

  private selfName(p: { UserName?: string }, caller: Caller): string {
    return p.UserName ?? caller.userName ?? '';
  }

  async createUser(p: { UserName: string; Path?: string; Tags?: Tag[] }): Promise<{ User: IamUser }> {
    if (this.users.has(p.UserName)) throw exists('User', p.UserName);
    const path = p.Path ?? '/';
    const User: IamUser = {
      Path: path,
      UserName: p.UserName,
      UserId: id('AIDA', ++this.seq),
      Arn: `arn:aws:iam::${ACCOUNT}:user${path}${p.UserName}`,
      CreateDate: CREATED,
      ...(p.Tags && p.Tags.length > 0 ? { Tags: p.Tags } : {}),
    };
    this.users.set(p.UserName, User);
    return { User };
  }

  async getUser(p: { UserName?: string }, caller: Caller): Promise<{ User: IamUser }> {
    return { User: this.user(this.selfName(p, caller)) };
  }

  async listUsers(p: { PathPrefix?: string }): Promise<{ Users: IamUser[]; IsTruncated: false }> {
    const Users = [...this.users.values()].filter((u) => u.Path.startsWith(p.PathPrefix ?? '/'));
    return { Users, IsTruncated: false };
  }

  async deleteUser(p: { UserName: string }): Promise<void> {
    this.user(p.UserName);
    if ([...this.keyMeta.values()].some((k) => k.UserName === p.UserName)) {
      throw conflict('Cannot delete entity, must delete access keys first.');
    }
    if ((this.inline.get(`User/${p.UserName}`)?.size ?? 0) > 0) {
      throw conflict('Cannot delete entity, must delete policies first.');
    }
    this.users.delete(p.UserName);
  }

  async tagUser(p: { UserName: string; Tags: Tag[] }): Promise<void> {
    const u = this.user(p.UserName);
    const tags = new Map((u.Tags ?? []).map((t) => [t.Key, t.Value]));
    for (const t of p.Tags) tags.set(t.Key, t.Value);
    this.users.set(p.UserName, { ...u, Tags: [...tags].map(([Key, Value]) => ({ Key, Value })) });
  }

  async createAccessKey(p: { UserName?: string }, caller: Caller) {
    const u = this.user(this.selfName(p, caller));
    if ([...this.keyMeta.values()].filter((k) => k.UserName === u.UserName).length >= 2) {
      throw new GatehouseError('GH_IAM_LIMIT_EXCEEDED', {
        reason: 'Cannot exceed quota for AccessKeysPerUser: 2',
      });
    }
    const meta: AccessKeyMetadata = {
      UserName: u.UserName,
      AccessKeyId: newAccessKeyId(),
      Status: 'Active',
      CreateDate: CREATED,
    };
    const SecretAccessKey = newSecretAccessKey();
    this.keyMeta.set(meta.AccessKeyId, meta);
    this.keys.add({
      accessKeyId: meta.AccessKeyId,
      secretAccessKey: SecretAccessKey,
      principalArn: u.Arn,
      userId: u.UserId,
    });
    return { AccessKey: { ...meta, SecretAccessKey } };
  }

  async listAccessKeys(p: { UserName?: string }, caller: Caller) {
    const name = this.user(this.selfName(p, caller)).UserName;
    const AccessKeyMetadata = [...this.keyMeta.values()].filter((k) => k.UserName === name);
    return { AccessKeyMetadata, IsTruncated: false as const };
  }

  private key(p: { UserName?: string; AccessKeyId: string }, caller: Caller): AccessKeyMetadata {
    const k = this.keyMeta.get(p.AccessKeyId);
    if (!k || k.UserName !== this.selfName(p, caller)) {
      throw noSuch(`The Access Key with id ${p.AccessKeyId} cannot be found.`);
    }
    return k;
  }

  async updateAccessKey(
    p: { UserName?: string; AccessKeyId: string; Status: 'Active' | 'Inactive' },
    caller: Caller,
  ): Promise<void> {
    const k = this.key(p, caller);
    this.keyMeta.set(k.AccessKeyId, { ...k, Status: p.Status });
    this.keys.update(k.AccessKeyId, { status: p.Status });
  }

  async deleteAccessKey(p: { UserName?: string; AccessKeyId: string }, caller: Caller): Promise<void> {
    const k = this.key(p, caller);
    this.keyMeta.delete(k.AccessKeyId);
    this.keys.records.delete(k.AccessKeyId);
  }

  async getAccessKeyLastUsed(p: { AccessKeyId: string }) {
    const k = this.keyMeta.get(p.AccessKeyId);
    if (!k) throw noSuch(`The Access Key with id ${p.AccessKeyId} cannot be found.`);
    return { UserName: k.UserName, AccessKeyLastUsed: { ServiceName: 'N/A', Region: 'N/A' } };
  }

  async createGroup(p: { GroupName: string; Path?: string }): Promise<{ Group: IamGroup }> {
    if (this.groups.has(p.GroupName)) throw exists('Group', p.GroupName);
    const path = p.Path ?? '/';
    const Group: IamGroup = {
      Path: path,
      GroupName: p.GroupName,
      GroupId: id('AGPA', ++this.seq),
      Arn: `arn:aws:iam::${ACCOUNT}:group${path}${p.GroupName}`,
      CreateDate: CREATED,
    };
    this.groups.set(p.GroupName, { group: Group, members: new Set() });
    return { Group };
  }

  async getGroup(p: { GroupName: string }) {
    const found = this.groups.get(p.GroupName);
    if (!found) throw noSuch(`The group with name ${p.GroupName} cannot be found.`);
    const Users = [...found.members].map((name) => this.user(name));
    return { Group: found.group, Users, IsTruncated: false as const };
  }

  async addUserToGroup(p: { GroupName: string; UserName: string }): Promise<void> {
    this.principal('Group', p.GroupName);
    this.user(p.UserName);
    this.groups.get(p.GroupName)?.members.add(p.UserName);
  }

  async removeUserFromGroup(p: { GroupName: string; UserName: string }): Promise<void> {
    this.principal('Group', p.GroupName);
    if (!this.groups.get(p.GroupName)?.members.delete(p.UserName)) {
      throw noSuch(`The user with name ${p.UserName} cannot be found.`);
    }
  }

  async createRole(p: {
    RoleName: string;
    AssumeRolePolicyDocument: string;
    Path?: string;
    Description?: string;
    MaxSessionDuration?: number;
    Tags?: Tag[];
  }): Promise<{ Role: IamRole }> {
    if (this.roles.has(p.RoleName)) throw exists('Role', p.RoleName);
    checkDocument(p.AssumeRolePolicyDocument);
    const path = p.Path ?? '/';
    const Role: IamRole = {
      Path: path,
      RoleName: p.RoleName,
      RoleId: id('AROA', ++this.seq),
      Arn: `arn:aws:iam::${ACCOUNT}:role${path}${p.RoleName}`,
      CreateDate: CREATED,
      AssumeRolePolicyDocument: encodeURIComponent(p.AssumeRolePolicyDocument),
      MaxSessionDuration: p.MaxSessionDuration ?? 3600,
      ...(p.Description !== undefined ? { Description: p.Description } : {}),
      ...(p.Tags && p.Tags.length > 0 ? { Tags: p.Tags } : {}),
    };
    this.roles.set(p.RoleName, Role);
    return { Role };
  }

  async getRole(p: { RoleName: string }): Promise<{ Role: IamRole }> {
    return { Role: this.getRoleSync(p.RoleName) };
  }

  async deleteRole(p: { RoleName: string }): Promise<void> {
    this.getRoleSync(p.RoleName);
    this.roles.delete(p.RoleName);
  }

  async putPrincipalPolicy(
    kind: PrincipalKind,
    name: string,
    p: { PolicyName: string; PolicyDocument: string },
  ) {
    const key = this.principal(kind, name);
    checkDocument(p.PolicyDocument);
    const map = this.inline.get(key) ?? new Map<string, string>();
    map.set(p.PolicyName, p.PolicyDocument);
    this.inline.set(key, map);
  }

  async getPrincipalPolicy(kind: PrincipalKind, name: string, p: { PolicyName: string }) {
    const doc = this.inline.get(this.principal(kind, name))?.get(p.PolicyName);
    if (doc === undefined)
      throw noSuch(`The ${kind.toLowerCase()} policy with name ${p.PolicyName} cannot be found.`);
    return { PolicyName: p.PolicyName, PolicyDocument: encodeURIComponent(doc) };
  }

  async deletePrincipalPolicy(kind: PrincipalKind, name: string, p: { PolicyName: string }) {
    if (!this.inline.get(this.principal(kind, name))?.delete(p.PolicyName)) {
      throw noSuch(`The ${kind.toLowerCase()} policy with name ${p.PolicyName} cannot be found.`);
    }
  }

  async listPrincipalPolicies(kind: PrincipalKind, name: string) {
    const PolicyNames = [...(this.inline.get(this.principal(kind, name))?.keys() ?? [])];
    return { PolicyNames, IsTruncated: false as const };
  }

  async createPolicy(p: { PolicyName: string; PolicyDocument: string; Path?: string; Description?: string }) {
    const path = p.Path ?? '/';
    const arn = `arn:aws:iam::${ACCOUNT}:policy${path}${p.PolicyName}`;
    if (this.policies.has(arn)) throw exists('Policy', p.PolicyName);
    checkDocument(p.PolicyDocument);
    const Policy: ManagedPolicy = {
      PolicyName: p.PolicyName,
      PolicyId: id('ANPA', ++this.seq),
      Arn: arn,
      Path: path,
      DefaultVersionId: 'v1',
      AttachmentCount: 0,
      IsAttachable: true,
      CreateDate: CREATED,
      UpdateDate: CREATED,
      ...(p.Description !== undefined ? { Description: p.Description } : {}),
    };
    const v1 = {
      Document: encodeURIComponent(p.PolicyDocument),
      VersionId: 'v1',
      IsDefaultVersion: true,
      CreateDate: CREATED,
    };
    this.policies.set(arn, { policy: Policy, versions: [v1] });
    return { Policy };
  }

  private managed(arn: string) {
    const found = this.policies.get(arn);
    if (!found) throw noSuch(`Policy ${arn} does not exist or is not attachable.`);
    return found;
  }

  async createPolicyVersion(p: { PolicyArn: string; PolicyDocument: string; SetAsDefault?: boolean }) {
    const found = this.managed(p.PolicyArn);
    checkDocument(p.PolicyDocument);
    if (found.versions.length >= 5) {
      throw new GatehouseError('GH_IAM_LIMIT_EXCEEDED', {
        reason: 'A managed policy can have up to 5 versions.',
      });
    }
    const VersionId = `v${found.versions.length + 1}`;
    if (p.SetAsDefault) for (const v of found.versions) v.IsDefaultVersion = false;
    const PolicyVersion = {
      Document: encodeURIComponent(p.PolicyDocument),
      VersionId,
      IsDefaultVersion: p.SetAsDefault === true,
      CreateDate: CREATED,
    };
    found.versions.push(PolicyVersion);
    if (p.SetAsDefault) found.policy = { ...found.policy, DefaultVersionId: VersionId };
    return { PolicyVersion };
  }

  async attachPrincipalPolicy(kind: PrincipalKind, name: string, p: { PolicyArn: string }) {
    const key = this.principal(kind, name);
    this.managed(p.PolicyArn);
    const set = this.attached.get(key) ?? new Set<string>();
    set.add(p.PolicyArn);
    this.attached.set(key, set);
  }

  async detachPrincipalPolicy(kind: PrincipalKind, name: string, p: { PolicyArn: string }) {
    if (!this.attached.get(this.principal(kind, name))?.delete(p.PolicyArn)) {
      throw noSuch(`Policy ${p.PolicyArn} was not found.`);
    }
  }

  async listAttachedPrincipalPolicies(kind: PrincipalKind, name: string) {
    const arns = [...(this.attached.get(this.principal(kind, name)) ?? [])];
    const AttachedPolicies = arns.map((PolicyArn) => ({
      PolicyArn,
      PolicyName: this.managed(PolicyArn).policy.PolicyName,
    }));
    return { AttachedPolicies, IsTruncated: false as const };
  }
}
