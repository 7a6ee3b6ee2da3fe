// A small in-memory ControlPlane for API and CLI tests (the store-backed one is integration-tested elsewhere).
import { GatehouseError } from '../../../../src/core/errors.js';
import type {
  AccessKeyLookup,
  AccessKeyRecord,
  AuditEventView,
  AuditLookupInput,
  AuditLookupPage,
  ControlPlane,
  CreateDbUserInput,
  CreateInstanceInput,
  DbUserView,
  InstanceView,
  ModifyInstanceInput,
  PasswordResult,
  RotatePasswordInput,
  StatementClassSetting,
} from '../../../../src/core/types.js';

interface StoredUser {
  view: DbUserView;
  password: string;
}

export class MemoryControlPlane implements ControlPlane {
  readonly instances = new Map<string, InstanceView>();
  readonly users = new Map<string, StoredUser>();
  /** The last rotation request, to check what the API and CLI passed through. */
  lastRotation: RotatePasswordInput | undefined;
  /** The audit trail LookupEvents pages through (oldest first; Seq ascending); filters are not applied. */
  readonly auditEvents: AuditEventView[] = [];
  /** The last LookupEvents request, to check what the API and CLI passed through. */
  lastLookup: AuditLookupInput | undefined;
  /** Set to make the next call throw this (e.g. a plain Error, to test GH_INTERNAL). */
  failNext: unknown;

  private check(): void {
    if (this.failNext !== undefined) {
      const e = this.failNext;
      this.failNext = undefined;
      throw e;
    }
  }

  private instance(id: string): InstanceView {
    const found = this.instances.get(id);
    if (!found) throw new GatehouseError('GH_INSTANCE_NOT_FOUND', { instance: id });
    return found;
  }

  async createInstance(i: CreateInstanceInput): Promise<InstanceView> {
    this.check();
    if (this.instances.has(i.identifier))
      throw new GatehouseError('GH_INSTANCE_EXISTS', { instance: i.identifier });
    const [host = '', port = '0'] = (i.listen ?? `127.0.0.1:${i.port ?? 5432}`).split(':');
    const view: InstanceView = {
      DBInstanceIdentifier: i.identifier,
      Engine: i.engine,
      DbiResourceId: 'db-ABCDEFGHIJKLMNOPQRSTUVWXYZ',
      DBInstanceArn: `arn:aws:rds:us-east-1:123456789012:db:${i.identifier}`,
      Endpoint: { Address: host, Port: Number(port) },
      BackendUrl: (i.backendUrl ?? '').replace(/:[^:@/]*@/, '@'),
      ForceSsl: i.forceSsl ?? false,
      IAMDatabaseAuthenticationEnabled: i.enableIamDatabaseAuthentication ?? false,
      EndpointAliases: i.endpointAliases ?? [],
      TerminateRevokedIAMSessions: i.terminateRevokedIamSessions ?? true,
      AuditFailOpen: i.auditFailOpen ?? false,
      AuditStatements: (i.auditStatements ?? []) as StatementClassSetting[],
      AuditStatementLiterals: i.auditStatementLiterals ?? false,
      AuditResultDigest: i.auditResultDigest ?? false,
      InstanceCreateTime: '2025-01-01T00:00:00.000Z',
    };
    this.instances.set(i.identifier, view);
    return view;
  }

  async describeInstances(identifier?: string): Promise<InstanceView[]> {
    this.check();
    return identifier === undefined ? [...this.instances.values()] : [this.instance(identifier)];
  }

  async modifyInstance(i: ModifyInstanceInput): Promise<InstanceView> {
    this.check();
    const view = { ...this.instance(i.identifier) };
    if (i.backendUrl !== undefined) view.BackendUrl = i.backendUrl;
    if (i.forceSsl !== undefined) view.ForceSsl = i.forceSsl;
    if (i.enableIamDatabaseAuthentication !== undefined)
      view.IAMDatabaseAuthenticationEnabled = i.enableIamDatabaseAuthentication;
    if (i.endpointAliases !== undefined) view.EndpointAliases = i.endpointAliases;
    if (i.terminateRevokedIamSessions !== undefined)
      view.TerminateRevokedIAMSessions = i.terminateRevokedIamSessions;
    if (i.auditFailOpen !== undefined) view.AuditFailOpen = i.auditFailOpen;
    if (i.auditStatements !== undefined) view.AuditStatements = i.auditStatements as StatementClassSetting[];
    if (i.auditStatementLiterals !== undefined) view.AuditStatementLiterals = i.auditStatementLiterals;
    if (i.auditResultDigest !== undefined) view.AuditResultDigest = i.auditResultDigest;
    if (i.listen !== undefined) {
      const [host = '', port = '0'] = i.listen.split(':');
      view.Endpoint = { Address: host, Port: Number(port) };
    }
    this.instances.set(i.identifier, view);
    return view;
  }

  async deleteInstance(identifier: string): Promise<InstanceView> {
    this.check();
    const view = this.instance(identifier);
    this.instances.delete(identifier);
    return view;
  }

  async createDbUser(i: CreateDbUserInput): Promise<PasswordResult> {
    this.check();
    this.instance(i.instance);
    const key = `${i.instance}/${i.username}`;
    if (this.users.has(key))
      throw new GatehouseError('GH_DB_USER_EXISTS', { user: i.username, instance: i.instance });
    const view: DbUserView = {
      DBInstanceIdentifier: i.instance,
      Username: i.username,
      Auth: i.auth,
      CreateTime: '2025-01-01T00:00:00.000Z',
    };
    if (i.auth === 'iam') {
      this.users.set(key, { view, password: '' });
      return { user: view };
    }
    const password = i.password ?? 'generated-password-0123456789';
    this.users.set(key, { view, password });
    return i.password === undefined ? { user: view, generatedPassword: password } : { user: view };
  }

  async listDbUsers(instance: string): Promise<DbUserView[]> {
    this.check();
    this.instance(instance);
    return [...this.users.values()]
      .filter((u) => u.view.DBInstanceIdentifier === instance)
      .map((u) => u.view);
  }

  private user(instance: string, username: string): StoredUser {
    const found = this.users.get(`${instance}/${username}`);
    if (!found) throw new GatehouseError('GH_DB_USER_NOT_FOUND', { user: username, instance });
    return found;
  }

  async deleteDbUser(instance: string, username: string): Promise<DbUserView> {
    this.check();
    const found = this.user(instance, username);
    this.users.delete(`${instance}/${username}`);
    return found.view;
  }

  async rotatePassword(i: RotatePasswordInput): Promise<PasswordResult> {
    this.check();
    this.lastRotation = i;
    const found = this.user(i.instance, i.username);
    found.password = i.password ?? 'rotated-password-0123456789';
    if (i.graceSeconds > 0) {
      found.view = {
        ...found.view,
        PreviousPasswordValidUntil: new Date(Date.UTC(2025, 0, 1, 0, 0, i.graceSeconds)).toISOString(),
      };
    }
    return i.password === undefined
      ? { user: found.view, generatedPassword: found.password }
      : { user: found.view };
  }

  async lookupEvents(i: AuditLookupInput): Promise<AuditLookupPage> {
    this.check();
    this.lastLookup = i;
    const backward = i.direction === 'backward';
    const ordered = backward ? [...this.auditEvents].reverse() : [...this.auditEvents];
    const after = i.after;
    const rest =
      after === undefined
        ? ordered
        : ordered.filter((e) => (backward ? BigInt(e.Seq) < after : BigInt(e.Seq) > after));
    const events = rest.slice(0, i.limit);
    const last = events[events.length - 1];
    return { events, next: rest.length > i.limit && last ? BigInt(last.Seq) : null };
  }
}

export class MemoryKeys implements AccessKeyLookup {
  readonly records = new Map<string, AccessKeyRecord>();
  lookups = 0;

  add(
    record: Partial<AccessKeyRecord> & Pick<AccessKeyRecord, 'accessKeyId' | 'secretAccessKey'>,
  ): AccessKeyRecord {
    const full: AccessKeyRecord = {
      status: 'Active',
      principalArn: 'arn:aws:iam::123456789012:user/admin',
      ...record,
    };
    this.records.set(full.accessKeyId, full);
    return full;
  }

  async findAccessKey(accessKeyId: string): Promise<AccessKeyRecord | null> {
    this.lookups++;
    return this.records.get(accessKeyId) ?? null;
  }
}
