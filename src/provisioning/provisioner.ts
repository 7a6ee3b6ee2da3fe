// What the control plane does to a backend, engine-neutral: each engine's provisioner speaks its own admin
// protocol and SQL (PostgreSQL: src/provisioning/postgres/). The control plane picks one by the instance's engine.
import type { BackendEndpoint } from '../core/backend-tls.js';
import type { Grant } from './grants.js';

/** Where and as whom Gatehouse reaches an instance's backend for provisioning (parsed from its backend URL). */
export interface BackendTarget extends BackendEndpoint {
  readonly database: string;
  readonly adminUser: string;
  readonly adminPassword: string | undefined;
}

/** A backend role as adoption needs to judge it. */
export interface BackendRole {
  readonly canLogin: boolean;
  readonly superuser: boolean;
}

/**
 * One admin connection to a backend. Failures of the operations are the backend's own errors (the caller turns
 * them into GH_BACKEND_PROVISION_FAILED); `close` never throws what matters.
 */
export interface AdminSession {
  /**
   * Run `fn` in one backend transaction (a savepoint when one is open): every change the session's operations make
   * inside is undone when `fn` throws. Absent on engines that cannot, whose changes are then not undone.
   */
  transaction?<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * Create the login role with `secret` as its password, or adopt an existing role by giving it LOGIN and that
   * password. `secret` is the plaintext backend secret; the provisioner decides what the backend is sent
   * (PostgreSQL: its SCRAM verifier only).
   */
  upsertLoginRole(username: string, secret: string): Promise<'created' | 'adopted'>;
  /** Remove login; drop the role when it owns nothing, otherwise leave it unable to log in. */
  retireLoginRole(username: string): Promise<'dropped' | 'disabled' | 'absent'>;
  /**
   * What keeps a role retireLoginRole only 'disabled' from being dropped: objects it owns, and privileges it still
   * holds (descriptions, for messages).
   */
  roleDependencies?(username: string): Promise<{ owns: string[]; privileges: string[] }>;
  /** Replace the role's password with `secret` (as upsertLoginRole, only for an existing role). */
  setLoginSecret(username: string, secret: string): Promise<void>;
  /** The role, or null when it does not exist. */
  findRole(username: string): Promise<BackendRole | null>;
  /** Create the IAM role (`iamRole`) unless it exists; safe against concurrent creation. */
  ensureIamRole(): Promise<void>;
  /** Make the role a member of the IAM role (a no-op when it is one). */
  grantIam(username: string): Promise<void>;
  /** Login roles that are members of the IAM role, i.e. IAM users (empty when the IAM role does not exist). */
  listIamLoginRoles(): Promise<Set<string>>;
  /**
   * Install (or update) what lets the backend know who is really connected, unforgeably (PostgreSQL: the
   * `gatehouse` schema's session identity functions); idempotent.
   */
  installSessionIdentity(roles?: readonly string[]): Promise<void>;
  /** Let the role's sessions carry a session identity; false when it is not installed. */
  grantSessionIdentity(username: string): Promise<boolean>;
  /**
   * GRANT the user's `--grant`s (all or none; inside `transaction` when called there); absent on engines that
   * cannot, which then refuse them. A grant the engine will not give (a reserved schema, found on the backend) is a
   * GrantRefusedError.
   */
  applyGrants?(username: string, grants: readonly Grant[]): Promise<void>;
  /** REVOKE them again (before the role is retired); objects dropped meanwhile are skipped. */
  revokeGrants?(username: string, grants: readonly Grant[]): Promise<void>;
  /**
   * Create the database unless it exists (RDS's DBName), owned by the admin; safe against concurrent creation.
   * Absent on engines that cannot, which then refuse DBName.
   */
  ensureDatabase?(name: string): Promise<'created' | 'exists'>;
  close(): Promise<void>;
}

export interface BackendProvisioner {
  /** The engine name it serves (an instance's `engine`). */
  readonly engine: string;
  /** The backend role whose members log in with IAM auth tokens (`rds_iam` on RDS), for messages. */
  readonly iamRole: string;
  /** Parse an instance's backend URL in the engine's scheme; throws GH_API_VALIDATION naming what is wrong. */
  parseBackendUrl(text: string): BackendTarget;
  /** The backend URL with its password removed: what is stored in plain text and shown to users. */
  redactBackendUrl(text: string): string;
  /** Why `username` may not be a Gatehouse database user on this engine (reserved names), or null. */
  checkRoleName(username: string, adminUser: string): string | null;
  /** Open an admin session; a failure to connect or log in is GH_BACKEND_PROVISION_FAILED. */
  connect(
    instance: string,
    target: BackendTarget,
    options?: { readonly connectTimeoutMs?: number },
  ): Promise<AdminSession>;
  /**
   * Prove a new or changed backend works before it is stored: the admin login succeeds and, with IAM database
   * authentication on, the IAM role exists (created if missing). Failures are GH_BACKEND_PROVISION_FAILED.
   */
  checkBackend(
    instance: string,
    target: BackendTarget,
    options: { readonly iamAuth: boolean },
  ): Promise<void>;
}
