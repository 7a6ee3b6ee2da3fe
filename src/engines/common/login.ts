// Engine-neutral view of how a database user logs in: the kind of login (which auth method answers it) and
// the secret Gatehouse itself uses to log in to the backend as that user.
import type { InstanceSettings } from './instance.js';

/**
 * A stored password verifier: the mechanism it serves (`SCRAM-SHA-256` today; `caching_sha2_password`,
 * `mysql_native_password`, `client_ed25519` for MySQL/MariaDB) and its encoded text. Each auth method parses
 * the verifiers of the mechanisms it speaks and ignores the rest.
 */
export interface StoredVerifier {
  readonly mechanism: string;
  readonly verifier: string;
}

/** A password user: the verifiers valid now (current + those inside a rotation grace period). */
export interface PasswordLogin {
  readonly kind: 'password';
  readonly verifiers: readonly StoredVerifier[];
  /** The secret Gatehouse uses to log in to the backend as this user. */
  readonly backendSecret: string;
}

/**
 * An IAM database user: created with --auth iam, or a backend member of rds_iam (which takes precedence over
 * a password, as on RDS). `backendSecret` is null for an rds_iam member Gatehouse has not adopted yet.
 */
export interface IamLogin {
  readonly kind: 'iam';
  readonly backendSecret: string | null;
  /** Why it is an IAM user, for messages: `member of rds_iam`, or `created with --auth iam or granted rds_iam`. */
  readonly why: string;
}

export type Login = PasswordLogin | IamLogin;
export type LoginKind = Login['kind'];

export interface LoginDirectory {
  findLogin(instance: InstanceSettings, user: string, now: Date): Promise<Login | null>;
  /** Give an rds_iam member a Gatehouse-held backend secret (first IAM login); returns the secret. */
  adoptIamUser(instance: InstanceSettings, user: string): Promise<string>;
}
