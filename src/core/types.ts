// Shared shapes between the control plane (store-backed operations) and its callers (API, CLI, up).

/** The engines built into Gatehouse; the engines a node accepts come from its engine registry. */
export const DB_ENGINES = ['postgres'] as const;
/** An engine name, as registered (src/engines/registry.ts) and stored in an instance row. */
export type DbEngine = string;

/** `password`: a client password (SCRAM); `iam`: IAM auth tokens only (the backend role is in rds_iam). */
export const DB_USER_AUTH = ['password', 'iam'] as const;
export type DbUserAuth = (typeof DB_USER_AUTH)[number];

/**
 * pgaudit's statement classes (`pgaudit.log`), which `AuditStatements` names: statements of these classes become
 * `db.statement` audit events (docs/audit.md "Statement events"). `ALL` (as a setting only) means every class.
 */
export const STATEMENT_CLASSES = ['READ', 'WRITE', 'FUNCTION', 'ROLE', 'DDL', 'MISC'] as const;
export type StatementClass = (typeof STATEMENT_CLASSES)[number];
/** What `AuditStatements` may hold: the classes, or `ALL`. */
export const STATEMENT_CLASS_SETTINGS = [...STATEMENT_CLASSES, 'ALL'] as const;
export type StatementClassSetting = (typeof STATEMENT_CLASS_SETTINGS)[number];

/** What the API returns for an instance (mirrors RDS DescribeDBInstances field names). */
export interface InstanceView {
  DBInstanceIdentifier: string;
  Engine: DbEngine;
  DbiResourceId: string;
  DBInstanceArn: string;
  Endpoint: { Address: string; Port: number };
  /** Backend URL with any password removed. */
  BackendUrl: string;
  ForceSsl: boolean;
  IAMDatabaseAuthenticationEnabled: boolean;
  /** Further "host:port" names an IAM auth token may be signed for (hosts lower-case). */
  EndpointAliases: string[];
  /** Whether open IAM sessions end when the access that allowed them is revoked. */
  TerminateRevokedIAMSessions: boolean;
  AuditFailOpen: boolean;
  /** Statement classes recorded as `db.statement` events (pgaudit's names, or `ALL`); empty: none. */
  AuditStatements: StatementClassSetting[];
  /** Whether statement events keep literals (default false: constants replaced by `$n`). */
  AuditStatementLiterals: boolean;
  /** Whether statement events carry the SHA-256 digest of the rows sent to the client. */
  AuditResultDigest: boolean;
  InstanceCreateTime: string;
}

export interface DbUserView {
  DBInstanceIdentifier: string;
  Username: string;
  Auth: DbUserAuth;
  CreateTime: string;
  /** When the previous password stops working, during a rotation grace period (absent once it has passed). */
  PreviousPasswordValidUntil?: string;
  /** The `--grant`s applied on the backend at creation (canonical text); absent when none. */
  Grants?: string[];
}

export interface CreateInstanceInput {
  identifier: string;
  engine: DbEngine;
  /**
   * postgres://ADMIN[:PASSWORD]@HOST:PORT/DB — the admin connection used for provisioning. Omitted: the gateway's
   * default backend (config rds.defaultBackendUrl), refused when it has none.
   */
  backendUrl?: string;
  /** host:port the gateway listens on for this instance. Omitted: the default listen host and `port`. */
  listen?: string;
  /**
   * RDS's Port: the listener's port (Listen = default listen host:port). Omitted with `listen`: the engine's RDS
   * default port or the first free one above it (docs/rds-api.md "Port, backend and DBName").
   */
  port?: number;
  /** RDS's DBName: the database on the backend (created when missing); replaces the backend URL's database. */
  dbName?: string;
  forceSsl?: boolean;
  /** Default false, as on RDS. */
  enableIamDatabaseAuthentication?: boolean;
  /** "host:port" each; hosts compared case-insensitively. Default none. */
  endpointAliases?: string[];
  /** Default true. */
  terminateRevokedIamSessions?: boolean;
  /** Default false: a login is refused when its "allowed" audit event cannot be committed. */
  auditFailOpen?: boolean;
  /** Default none (no statement events). Case-insensitive; stored upper-case, de-duplicated. */
  auditStatements?: string[];
  /** Default false. */
  auditStatementLiterals?: boolean;
  /** Default false. */
  auditResultDigest?: boolean;
}

export interface ModifyInstanceInput {
  identifier: string;
  backendUrl?: string;
  listen?: string;
  /** RDS's DBPortNumber: move the listener to this port on its current host. */
  port?: number;
  forceSsl?: boolean;
  enableIamDatabaseAuthentication?: boolean;
  /** Replaces the aliases; an empty list clears them. */
  endpointAliases?: string[];
  terminateRevokedIamSessions?: boolean;
  auditFailOpen?: boolean;
  /** Replaces the classes; an empty list turns statement events off. */
  auditStatements?: string[];
  auditStatementLiterals?: boolean;
  auditResultDigest?: boolean;
}

export interface CreateDbUserInput {
  instance: string;
  username: string;
  auth: DbUserAuth;
  /** Auth `password` only (refused with `iam`). Omitted: a password is generated and returned once. */
  password?: string;
  /** PRIVILEGES:OBJECT each (src/provisioning/grants.ts), applied as GRANTs on the backend and recorded. */
  grants?: readonly string[];
}

export interface RotatePasswordInput {
  instance: string;
  username: string;
  password?: string;
  /** How long the previous password keeps working (0 = not at all). */
  graceSeconds: number;
}

export interface PasswordResult {
  user: DbUserView;
  /** Present only when Gatehouse generated the password; shown once. */
  generatedPassword?: string;
}

/**
 * What LookupEvents filters on: every field given must match (AND). `principal` is the IAM principal's ARN,
 * `username` the database user (connection events) or the IAM user / role session name (management calls),
 * `resource` the instance, `outcome` e.g. `success` / `failure` / `abandoned` (the trail's outcome column).
 */
export interface AuditLookupFilter {
  readonly eventName?: string;
  readonly username?: string;
  readonly principal?: string;
  readonly accessKeyId?: string;
  readonly resource?: string;
  readonly sourceIp?: string;
  readonly outcome?: string;
  readonly requestId?: string;
  /** A UUID (the trail's event id). */
  readonly eventId?: string;
  readonly startTime?: Date;
  readonly endTime?: Date;
}

export interface AuditLookupInput {
  readonly filter: AuditLookupFilter;
  /** `backward`: newest first (CloudTrail's order); `forward`: oldest first (tail, export). */
  readonly direction: 'backward' | 'forward';
  /** Continue after this seq (exclusive), from the previous page's cursor. */
  readonly after?: bigint;
  readonly limit: number;
}

/** One event as LookupEvents answers it (CloudTrail's Event shape, plus the trail's sequence number). */
export interface AuditEventView {
  EventId: string;
  EventName: string;
  EventTime: string;
  EventSource: string;
  Username?: string;
  AccessKeyId?: string;
  Resources: { ResourceType: string; ResourceName: string }[];
  /** The stored event, as a JSON string (as CloudTrail does). */
  CloudTrailEvent: string;
  /** The event's position in the hash chain (decimal). */
  Seq: string;
}

export interface AuditLookupPage {
  readonly events: AuditEventView[];
  /** Where the next page starts (exclusive); null when there is none. */
  readonly next: bigint | null;
}

/** Store-backed management operations; the API authorises and then calls these. */
export interface ControlPlane {
  createInstance(input: CreateInstanceInput): Promise<InstanceView>;
  describeInstances(identifier?: string): Promise<InstanceView[]>;
  modifyInstance(input: ModifyInstanceInput): Promise<InstanceView>;
  deleteInstance(identifier: string): Promise<InstanceView>;
  createDbUser(input: CreateDbUserInput): Promise<PasswordResult>;
  listDbUsers(instance: string): Promise<DbUserView[]>;
  deleteDbUser(instance: string, username: string): Promise<DbUserView>;
  rotatePassword(input: RotatePasswordInput): Promise<PasswordResult>;
  /** One page of the audit trail (CloudTrail's LookupEvents): events matching every filter given. */
  lookupEvents(input: AuditLookupInput): Promise<AuditLookupPage>;
}

/** An access key as the API's signature check needs it. */
export interface AccessKeyRecord {
  accessKeyId: string;
  secretAccessKey: string;
  status: 'Active' | 'Inactive';
  /** ARN of the owning principal, e.g. arn:aws:iam::123456789012:user/admin */
  principalArn: string;
  /** IAM unique id of the principal: AIDA… for a user key, AROA…:session for an STS session key. */
  userId?: string;
  /**
   * Temporary (ASIA) keys only: SHA-256 of the session token the request must carry
   * (X-Amz-Security-Token), and when the credentials expire. See src/iam/credential-lookup.ts checkSessionToken.
   */
  sessionTokenHash?: Buffer;
  expiresAt?: Date;
  /** Temporary keys only: when the credentials were issued (aws:TokenIssueTime). */
  issuedAt?: Date;
}

export interface AccessKeyLookup {
  findAccessKey(accessKeyId: string): Promise<AccessKeyRecord | null>;
  /** Record a successful use (time and signing service), as IAM's access-key "last used". */
  recordUse?(accessKeyId: string, service: string, at: Date): void;
}
