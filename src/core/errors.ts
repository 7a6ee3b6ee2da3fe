// The registry of stable error codes. Every refusal Gatehouse emits comes from here; docs/errors.md
// lists each code and a test keeps the two in step.
import { CLIENT_TEXT_MAX, CLIENT_VALUE_MAX, clientText } from './client-text.js';

export interface ErrorSpec {
  /** SQLSTATE sent to PostgreSQL clients. */
  readonly sqlstate: string;
  /** HTTP status for the management API. */
  readonly http: number;
  /** AWS-style error code name for API responses. */
  readonly awsCode: string;
  /** Client-safe message template; `{name}` placeholders are filled from params. */
  readonly message: string;
  /** What it means for an operator (docs/errors.md). */
  readonly description: string;
}

function spec(
  sqlstate: string,
  http: number,
  awsCode: string,
  message: string,
  description: string,
): ErrorSpec {
  return { sqlstate, http, awsCode, message, description };
}

export const ERRORS = {
  // --- client authentication (PostgreSQL wire) ---
  GH_AUTH_FAILED: spec(
    '28P01',
    401,
    'AuthFailure',
    'password authentication failed for user "{user}"',
    'Wrong password, unknown user, or a password past its rotation grace period. The client is never told which; the operator log and audit event carry the reason under the same request id.',
  ),
  GH_AUTH_METHOD_MISMATCH: spec(
    '28000',
    401,
    'AuthFailure',
    'authentication method mismatch for user "{user}": {reason}',
    'The client answered with a different authentication method or SASL mechanism than the one the server asked for.',
  ),
  GH_SCRAM_CHANNEL_BINDING: spec(
    '28000',
    401,
    'AuthFailure',
    'SCRAM channel binding check failed',
    'The client sent channel-binding data that does not match this TLS connection, or claimed the server does not support channel binding when it does (a downgrade attempt).',
  ),
  GH_SSL_REQUIRED: spec(
    '28000',
    403,
    'AccessDenied',
    'instance "{instance}" requires TLS: connect with sslmode=require (or verify-full with the Gatehouse CA)',
    'The instance has force_ssl set and the client sent its startup message in plaintext.',
  ),
  GH_NO_USER: spec(
    '28000',
    400,
    'ValidationError',
    'no PostgreSQL user name specified in startup packet',
    'The StartupMessage had no "user" parameter.',
  ),
  // --- protocol ---
  GH_PROTOCOL_VIOLATION: spec(
    '08P01',
    400,
    'ValidationError',
    'protocol violation: {reason}',
    'The client sent a message that is malformed or not allowed at this point of the exchange.',
  ),
  GH_PACKET_TOO_LARGE: spec(
    '08P01',
    400,
    'ValidationError',
    'message too large: {size} bytes exceeds the {limit}-byte limit before authentication',
    'A pre-authentication message was larger than the cap (startup 10000 bytes, auth messages 65535 bytes).',
  ),
  GH_STARTUP_TIMEOUT: spec(
    '08P01',
    408,
    'RequestTimeout',
    'authentication timed out: the client did not complete the handshake within {seconds} seconds',
    'The pre-authentication deadline (listener.authTimeoutSeconds) expired, e.g. a slow-drip or stalled client.',
  ),
  GH_UNENCRYPTED_AFTER_SSL: spec(
    '08P01',
    400,
    'ValidationError',
    'received unencrypted data after SSL request',
    'Bytes arrived after the SSLRequest before the TLS handshake (buffer stuffing, CVE-2021-23214). The connection is closed.',
  ),
  GH_UNSUPPORTED_PROTOCOL: spec(
    '0A000',
    400,
    'ValidationError',
    'unsupported frontend protocol {major}.{minor}: server supports 3.0 to 3.2',
    'The client asked for a protocol major version other than 3 (e.g. the obsolete version 2).',
  ),
  GH_TLS_HANDSHAKE_FAILED: spec(
    '08P01',
    400,
    'ValidationError',
    'TLS handshake failed',
    "The client's TLS handshake failed (unsupported TLS version, malformed record, no common cipher). A client fault, logged at warn with OpenSSL's reason.",
  ),
  GH_TLS_UNAVAILABLE: spec(
    '08P01',
    400,
    'ValidationError',
    'TLS is not configured on this listener',
    'The client tried direct TLS on a listener that has no certificate.',
  ),
  // --- backend ---
  GH_BACKEND_UNREACHABLE: spec(
    '08006',
    502,
    'ServiceUnavailable',
    'could not connect to the backend of instance "{instance}"',
    'No connection to the backend database: TCP was refused, unroutable or not established within backend.connectTimeoutSeconds, or TLS to it failed. Check that it is running and that backend-url is right.',
  ),
  GH_BACKEND_REFUSED: spec(
    '57P03',
    503,
    'ServiceUnavailable',
    'the backend of instance "{instance}" refused the connection',
    'The backend answered but refused Gatehouse (for example its own authentication failed, it is starting up or out of connection slots). The operator log has the backend message.',
  ),
  GH_BACKEND_TIMEOUT: spec(
    '08001',
    504,
    'ServiceUnavailable',
    'the backend of instance "{instance}" did not answer within {ms} ms',
    'The backend accepted the TCP connection but did not finish the start-up (SSLRequest answer, TLS, login) within backend.connectTimeoutSeconds: it is hung or overloaded, or what listens at backend-url is not PostgreSQL. Nothing refused: compare GH_BACKEND_UNREACHABLE and GH_BACKEND_REFUSED. The operator detail says how far it got.',
  ),
  GH_SHUTTING_DOWN: spec(
    '57P01',
    503,
    'ServiceUnavailable',
    'Gatehouse is shutting down',
    'The gateway is stopping; clients should reconnect to another node.',
  ),
  GH_TOO_MANY_CONNECTIONS: spec(
    '53300',
    429,
    'Throttling',
    'too many connections in authentication on this listener',
    'More clients are in the pre-authentication phase than listener.maxPendingConnections allows. The refusal is sent after the TLS handshake and the startup packet, so clients can show it, while fewer than listener.maxTlsRefusals refusals are under way; beyond that it is sent at once, before TLS (libpq then reports only "server sent an error response during SSL exchange").',
  ),
  GH_TOO_MANY_CONNECTIONS_FROM_SOURCE: spec(
    '53300',
    429,
    'Throttling',
    'too many connections in authentication from {source}: at most {limit} at once per client address',
    'One source address (an IPv6 address counts with its whole /64) has more connections in the pre-authentication phase than listener.maxPendingPerSource allows. Other addresses are unaffected.',
  ),
  GH_INSTANCE_SESSION_LIMIT: spec(
    '53300',
    429,
    'Throttling',
    'too many sessions on instance "{instance}": this Gatehouse node allows {limit} at once',
    'The instance already has listener.maxSessionsPerInstance sessions on this node (relaying, or logging in to the backend). Refused before the backend is contacted, so the backend keeps its own connection slots.',
  ),
  GH_INTERNAL: spec(
    'XX000',
    500,
    'InternalFailure',
    'internal error',
    'An unexpected error. The operator log has the stack under the request id.',
  ),
  // --- IAM database authentication (PostgreSQL wire) ---
  GH_IAM_AUTH_DISABLED: spec(
    '28000',
    403,
    'NotAuthorized',
    'IAM database authentication is not enabled on instance "{instance}": enable it with gatehouse rds modify-db-instance --db-instance-identifier {instance} --enable-iam-database-authentication',
    'The user is an IAM database user (created with --auth iam, or a member of rds_iam) but the instance has IAM database authentication turned off. Refused before any password is asked for.',
  ),
  GH_IAM_TLS_REQUIRED: spec(
    '28000',
    403,
    'NotAuthorized',
    'user "{user}" authenticates with IAM auth tokens, which are accepted only over TLS: connect with sslmode=verify-full (or require); the token was not read',
    'An IAM database user connected without TLS. Gatehouse refuses before asking for the password, so a token sent by a misconfigured client never crosses the network in the clear.',
  ),
  GH_IAM_ONLY_USER: spec(
    '28P01',
    400,
    'InvalidToken',
    'user "{user}" is an IAM database user ({why}): its password must be an IAM auth token (gatehouse rds generate-db-auth-token or aws rds generate-db-auth-token), not a password',
    'An IAM-only user (created with --auth iam, or a member of rds_iam, which takes precedence over a password as on RDS) sent something that is not an auth token.',
  ),
  GH_IAM_TOKEN_TOO_LARGE: spec(
    '28P01',
    400,
    'InvalidToken',
    'IAM auth token is {size} bytes; the limit is {limit}',
    'The password message is larger than any RDS-format token can be (listener.maxIamTokenBytes). Nothing of it was parsed.',
  ),
  GH_IAM_TOKEN_MALFORMED: spec(
    '28P01',
    400,
    'InvalidToken',
    'IAM auth token is malformed: {reason}',
    'The token is not HOST:PORT/?Action=connect&DBUser=…&X-Amz-…, has a parameter missing, repeated, unknown or badly encoded, or was truncated (some drivers cut long passwords).',
  ),
  GH_IAM_TOKEN_WRONG_ACTION: spec(
    '28P01',
    400,
    'InvalidToken',
    'IAM auth token is for Action={action}; a database connection needs Action=connect',
    'A presigned URL for something other than rds-db connect was offered as a token.',
  ),
  GH_IAM_TOKEN_USER_MISMATCH: spec(
    '28P01',
    400,
    'InvalidToken',
    'IAM auth token was minted for DB user "{tokenUser}" but you connected as "{user}" (user names are case-sensitive)',
    'The DBUser inside the token differs from the user in the start-up message.',
  ),
  GH_IAM_TOKEN_BAD_SCOPE: spec(
    '28P01',
    400,
    'InvalidToken',
    'IAM auth token has an invalid signing scope: {reason}',
    'X-Amz-Algorithm is not AWS4-HMAC-SHA256, the credential scope does not name service rds-db and aws4_request, its date differs from X-Amz-Date, or only host is not the signed header.',
  ),
  GH_IAM_TOKEN_WRONG_REGION: spec(
    '28P01',
    400,
    'InvalidToken',
    'IAM auth token was signed for region {actual}, but this Gatehouse is in region {expected}: mint it with --region {expected}',
    "The credential scope names another region than the deployment's (fixed at init; see gatehouse rds describe-db-instances).",
  ),
  GH_IAM_TOKEN_NOT_YET_VALID: spec(
    '28P01',
    400,
    'InvalidToken',
    'IAM auth token is dated {seconds} seconds in the future (signed at {signedAt}, server time {serverTime}): check the clock of the machine that minted it',
    'X-Amz-Date is more than 5 minutes ahead of the gateway clock. Told only once the signature has verified: a token with a bad signature gets GH_IAM_TOKEN_SIGNATURE_MISMATCH or GH_IAM_TOKEN_UNKNOWN_KEY.',
  ),
  GH_IAM_TOKEN_EXPIRY_TOO_LONG: spec(
    '28P01',
    400,
    'InvalidToken',
    'IAM auth token asks to be valid for {expires} seconds; auth tokens are valid for at most 900',
    'X-Amz-Expires is above 900 (RDS refuses these too). Mint tokens with the SDK signer, the AWS CLI or gatehouse rds generate-db-auth-token.',
  ),
  GH_IAM_TOKEN_EXPIRED: spec(
    '28P01',
    400,
    'ExpiredToken',
    'IAM auth token expired {seconds} seconds ago (signed at {signedAt}, valid for {expires} seconds): mint a fresh token for each new connection',
    'The token is older than its X-Amz-Expires. Pools must call the token provider for every new connection (see createAuthTokenProvider). Told only once the signature has verified.',
  ),
  GH_IAM_TOKEN_WRONG_HOST: spec(
    '28P01',
    400,
    'InvalidToken',
    'IAM auth token was signed for host {signedHost} but this endpoint is {endpoint}: mint it with the --hostname and --port you connect to, or add {signedHost} to the instance with --endpoint-aliases',
    "The token's signed host header is neither the instance's endpoint (listen address) nor one of its endpoint aliases.",
  ),
  GH_IAM_TOKEN_UNKNOWN_KEY: spec(
    '28P01',
    400,
    'InvalidToken',
    'IAM auth token signature does not match: check the access key id and secret access key, region, host and port used to sign, and that the token was not altered',
    'No access key or STS session with that id (never issued here, or deleted with its user or role). AWS-issued keys cannot work: only Gatehouse holds the secrets of the keys it verifies. The client gets the same message as GH_IAM_TOKEN_SIGNATURE_MISMATCH, so it learns nothing of which keys exist; the operator detail names the key and, if the token was also out of its validity window, says so.',
  ),
  GH_IAM_TOKEN_SIGNATURE_MISMATCH: spec(
    '28P01',
    400,
    'InvalidToken',
    'IAM auth token signature does not match: check the access key id and secret access key, region, host and port used to sign, and that the token was not altered',
    "The signature recomputed with the key secret (over the signed host as written, then lower-cased as botocore signs it) differs from X-Amz-Signature (compared in constant time). Any altered byte of a token ends here or earlier. Checked before the token's dates and the key's status, so a client without the secret learns neither; the operator detail has the key, its principal and status, and whether the token was also out of its validity window.",
  ),
  GH_IAM_TOKEN_KEY_INACTIVE: spec(
    '28P01',
    400,
    'InvalidToken',
    'IAM auth token was signed with access key {accessKeyId}, which is inactive: activate it (gatehouse iam update-access-key --status Active) or use another key',
    'The access key exists and the signature verifies, but the key was deactivated.',
  ),
  GH_IAM_TOKEN_PRINCIPAL_GONE: spec(
    '28P01',
    400,
    'InvalidToken',
    'the IAM principal that owns access key {accessKeyId} no longer exists',
    'The key row outlived its user or role (a deletion in progress on another node); refused as RDS does for a deleted user.',
  ),
  GH_IAM_TOKEN_SESSION_INVALID: spec(
    '28P01',
    400,
    'InvalidToken',
    'IAM auth token was signed with access key {accessKeyId} but {reason}',
    'Temporary (ASIA) credentials without X-Amz-Security-Token or with a session token that is not the one issued with them, or a long-term key with a session token.',
  ),
  GH_IAM_TOKEN_SESSION_EXPIRED: spec(
    '28P01',
    400,
    'ExpiredToken',
    'IAM auth token was signed with temporary credentials {accessKeyId} that expired {seconds} seconds ago (at {expiredAt}): refresh the credentials, then mint a new token',
    'Temporary credentials must still be valid when the token is used (as on RDS); a token is valid for min(15 minutes, credential lifetime).',
  ),
  GH_IAM_CONNECT_DENIED: spec(
    '28000',
    403,
    'NotAuthorized',
    'User: {principal} is not authorized to perform: rds-db:connect on resource: {resource} because no identity-based policy allows the rds-db:connect action',
    'The principal authenticated but none of its policies (within its permissions boundary and session policy) allows rds-db:connect on the db-user ARN with this request context. Try gatehouse iam simulate-principal-policy.',
  ),
  GH_IAM_CONNECT_EXPLICIT_DENY: spec(
    '28000',
    403,
    'NotAuthorized',
    'User: {principal} is not authorized to perform: rds-db:connect on resource: {resource} with an explicit deny in {policyType}',
    'A Deny statement matched (for example an aws:SourceIp condition). The operator log names the policy and statement.',
  ),
  GH_IAM_USER_NOT_ENABLED: spec(
    '28P01',
    401,
    'AuthFailure',
    'password authentication failed for user "{user}" (if the password was an IAM auth token: "{user}" is not an IAM database user on this instance; create it with --auth iam or GRANT rds_iam TO it)',
    'Password authentication failed on an instance with IAM database authentication enabled. Unknown users get the same answer, so it reveals nothing about which users exist.',
  ),
  GH_IAM_SESSION_REVOKED: spec(
    '57P01',
    403,
    'NotAuthorized',
    'terminating connection: IAM access of {principal} as DB user "{user}" was revoked ({reason})',
    'An open IAM-authenticated session was ended because its key was deactivated or deleted, its principal deleted, or the policy allowing rds-db:connect removed (instance setting TerminateRevokedIAMSessions, on by default).',
  ),
  // --- management API ---
  GH_API_MISSING_AUTH: spec(
    '28000',
    403,
    'MissingAuthenticationToken',
    'request is not signed: sign it with AWS Signature Version 4 using a Gatehouse access key',
    'The API request had no SigV4 Authorization header or X-Amz-Signature query parameter.',
  ),
  GH_API_INVALID_KEY: spec(
    '28000',
    403,
    'InvalidClientTokenId',
    'the access key id {accessKeyId} is not valid',
    'No active access key with that id exists.',
  ),
  GH_API_SIGNATURE_MISMATCH: spec(
    '28000',
    403,
    'SignatureDoesNotMatch',
    'the request signature we calculated does not match the signature you provided: check your secret access key and signing method',
    'The SigV4 signature did not verify with the stored secret of that key.',
  ),
  GH_API_REQUEST_EXPIRED: spec(
    '28000',
    403,
    'RequestExpired',
    'request has expired: its signing time {signedAt} is more than 5 minutes from server time {serverTime}',
    'The request signing date is outside the allowed clock skew.',
  ),
  GH_API_VALIDATION: spec(
    '22023',
    400,
    'ValidationError',
    '{reason}',
    'A parameter of a management call was missing or invalid.',
  ),
  GH_API_WRONG_REGION: spec(
    '28000',
    403,
    'SignatureDoesNotMatch',
    'credential should be scoped to region "{expected}", not "{actual}": sign with --region {expected}',
    "The SigV4 credential scope names another region than the gateway's (fixed at init).",
  ),
  GH_API_BODY_TOO_LARGE: spec(
    '54000',
    413,
    'RequestEntityTooLarge',
    'request body exceeds the {limit}-byte limit',
    'Management API request bodies are capped (1 MiB).',
  ),
  GH_API_UNKNOWN_ACTION: spec(
    '42883',
    400,
    'InvalidAction',
    'unknown action {action}',
    'The API action is not implemented.',
  ),
  GH_INSTANCE_NOT_FOUND: spec(
    '42704',
    404,
    'DBInstanceNotFound',
    'DB instance {instance} not found',
    'No instance with that identifier is registered.',
  ),
  GH_INSTANCE_EXISTS: spec(
    '42710',
    409,
    'DBInstanceAlreadyExists',
    'DB instance {instance} already exists',
    'An instance with that identifier is already registered.',
  ),
  GH_DB_USER_NOT_FOUND: spec(
    '42704',
    404,
    'DBUserNotFound',
    'database user {user} not found on instance {instance}',
    'No Gatehouse-managed database user with that name exists on the instance.',
  ),
  GH_DB_USER_EXISTS: spec(
    '42710',
    409,
    'DBUserAlreadyExists',
    'database user {user} already exists on instance {instance}',
    'The user is already managed by Gatehouse on that instance.',
  ),
  GH_LISTEN_ADDRESS_IN_USE: spec(
    '42710',
    409,
    'InvalidParameterCombination',
    'listen address {address} is already used by instance {instance}',
    'Two instances cannot share one listener address.',
  ),
  GH_BACKEND_PROVISION_FAILED: spec(
    '58000',
    502,
    'ProvisioningFailed',
    'could not provision the backend of instance {instance}: {reason}',
    'Gatehouse could not create, alter or drop a role on the backend with the instance admin connection.',
  ),
  // --- start-up / configuration ---
  GH_CONFIG_INVALID: spec(
    'F0000',
    500,
    'InvalidConfiguration',
    'invalid configuration: {reason}',
    'The configuration file or environment failed validation; the message names the field.',
  ),
  GH_MASTER_KEY_MISSING: spec(
    'F0000',
    500,
    'InvalidConfiguration',
    'no master key: set GATEHOUSE_MASTER_KEY or masterKeyFile ({path} does not exist)',
    'The store holds encrypted secrets but no master key was provided. Nothing was changed.',
  ),
  GH_MASTER_KEY_WRONG: spec(
    'F0000',
    500,
    'InvalidConfiguration',
    'the master key does not match this store (key id {keyId} expected, got {actualKeyId})',
    'The master key given is not the one the store was initialised with. Nothing was changed.',
  ),
  GH_MASTER_KEY_INVALID: spec(
    'F0000',
    500,
    'InvalidConfiguration',
    'the master key must be 32 bytes, base64 or hex encoded ({reason})',
    'GATEHOUSE_MASTER_KEY or the key file is malformed.',
  ),
  GH_PORT_IN_USE: spec(
    'F0000',
    500,
    'InvalidConfiguration',
    'port {port} on {host} is already in use: choose another with {flag}',
    'A listener could not bind because the address is taken.',
  ),
  GH_STORE_UNAVAILABLE: spec(
    '08006',
    503,
    'ServiceUnavailable',
    'cannot reach the state store: {reason}',
    'The PostgreSQL state store (store.url or the embedded PostgreSQL) is unreachable. At start-up the reason names the cause. While running (connection refused or terminated, the database not accepting connections, no answer to a connect or a query within 5 s), clients are told it is temporary and to retry; the log has one warn line when the outage starts and one info line with its duration when the store answers again.',
  ),
  GH_STORE_SCHEMA_TOO_NEW: spec(
    'F0000',
    500,
    'InvalidConfiguration',
    'the state store schema is at version {storeVersion} but this Gatehouse only knows up to version {codeVersion}: upgrade Gatehouse (downgrades are not supported)',
    'A newer Gatehouse migrated the store; an older one refuses to run against a schema it does not understand.',
  ),
  GH_STORE_MIGRATION_FAILED: spec(
    'XX000',
    500,
    'InternalFailure',
    'schema migration {version} ({name}) failed and was rolled back: {reason}',
    'A migration failed; its transaction was rolled back and nothing was recorded. Fix the cause (often permissions on the store database) and start again.',
  ),
  GH_SECRET_UNSEALABLE: spec(
    'XX000',
    500,
    'InternalFailure',
    'internal error',
    'A sealed secret failed authentication: wrong master key, a row moved to another context, or tampered data. The operator log has which secret.',
  ),
  GH_CLI_NOT_RUNNING: spec(
    '08006',
    503,
    'ServiceUnavailable',
    'cannot reach the Gatehouse management API at {endpoint}: is `gatehouse up` (or serve) running?',
    'The CLI could not connect to the management API.',
  ),
  GH_CLI_NO_CREDENTIALS: spec(
    '28000',
    403,
    'MissingAuthenticationToken',
    'no credentials for profile "{profile}" in {path}',
    'The CLI found no access key: run `gatehouse up` once, or set GATEHOUSE_ACCESS_KEY_ID / GATEHOUSE_SECRET_ACCESS_KEY.',
  ),
  // --- IAM and STS ---
  GH_IAM_NO_SUCH_ENTITY: spec(
    '42704',
    404,
    'NoSuchEntity',
    '{reason}',
    'The IAM user, group, role, policy, policy version or access key named in the call does not exist.',
  ),
  GH_IAM_ENTITY_EXISTS: spec(
    '42710',
    409,
    'EntityAlreadyExists',
    '{entity} with name {name} already exists.',
    'IAM user, group, role and managed policy names are unique in the account, ignoring case (as in AWS).',
  ),
  GH_IAM_DELETE_CONFLICT: spec(
    '2BP01',
    409,
    'DeleteConflict',
    '{reason}',
    'The entity still has dependents (access keys, inline or attached policies, group members, policy versions or attachments); the message names what must go first.',
  ),
  GH_IAM_LIMIT_EXCEEDED: spec(
    '54000',
    409,
    'LimitExceeded',
    '{reason}',
    'An IAM quota was reached: 2 access keys per user, 5 versions per managed policy, 50 tags per principal, or a policy size (user inline 2048, group inline 5120, role inline 10240, managed 6144, trust 2048 characters not counting whitespace).',
  ),
  GH_IAM_MALFORMED_POLICY: spec(
    '22023',
    400,
    'MalformedPolicyDocument',
    '{reason}',
    'A policy document is not valid JSON or not a valid policy of its kind (identity or trust); the message gives the JSON path of each problem.',
  ),
  GH_IAM_VALIDATION: spec(
    '22023',
    400,
    'ValidationError',
    '{reason}',
    'An IAM parameter does not match its pattern or range (names, paths, tags, session durations).',
  ),
  GH_IAM_INVALID_INPUT: spec(
    '22023',
    400,
    'InvalidInput',
    '{reason}',
    'An IAM parameter is well-formed but not usable here (e.g. an ARN of the wrong kind, or changing an AWS-managed policy).',
  ),
  GH_STS_ACCESS_DENIED: spec(
    '42501',
    403,
    'AccessDenied',
    'User: {caller} is not authorized to perform: sts:AssumeRole on resource: {role}',
    "AssumeRole was refused: the role's trust policy does not allow the caller, or the caller's identity policies (and permissions boundary) do not allow sts:AssumeRole on the role. The operator detail says which.",
  ),
  GH_STS_EXPIRED_TOKEN: spec(
    '28000',
    403,
    'ExpiredToken',
    'The security token included in the request is expired',
    'The temporary credentials (ASIA key and session token) from AssumeRole are past their expiration; assume the role again.',
  ),
  GH_STS_INVALID_TOKEN: spec(
    '28000',
    403,
    'InvalidClientTokenId',
    'The security token included in the request is invalid.',
    'A temporary access key was used without its session token, with a wrong one, or after its role was deleted or re-created.',
  ),
  // --- API authorization ---
  GH_API_ACCESS_DENIED: spec(
    '42501',
    403,
    'AccessDenied',
    'User: {principal} is not authorized to perform: {action} on resource: {resource}',
    "The caller's policies do not allow the management action on that resource (no Allow, or an explicit Deny). The message has AWS's wording so tools that parse it keep working.",
  ),
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;
export type ErrorParams = Record<string, string | number>;

/** Parameters that hold a sentence the server composed, or an ARN: these get the longer cap. */
const LONG_PARAMS: ReadonlySet<string> = new Set(['reason', 'principal', 'resource', 'caller', 'role']);

/** Fills a template; every value goes through clientText, as any of them may come from a client. */
function render(template: string, params: ErrorParams): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) return `{${name}}`;
    return clientText(String(value), LONG_PARAMS.has(name) ? CLIENT_TEXT_MAX : CLIENT_VALUE_MAX);
  });
}

/** A refusal with a stable code. `detail` is operator-only and never sent to clients. */
export class GatehouseError extends Error {
  readonly code: ErrorCode;
  readonly params: ErrorParams;
  readonly detail: string | undefined;
  requestId: string | undefined;
  /** Who was involved, as far as known when refused (access key id, principal ARN): for audit events only. */
  audit: Readonly<Record<string, string>> | undefined;

  constructor(code: ErrorCode, params: ErrorParams = {}, options: { detail?: string; cause?: unknown } = {}) {
    super(render(ERRORS[code].message, params), { cause: options.cause });
    this.name = 'GatehouseError';
    this.code = code;
    this.params = params;
    this.detail = options.detail;
  }

  get spec(): ErrorSpec {
    return ERRORS[this.code];
  }

  /** Message for the client, with the request id appended when known. */
  clientMessage(): string {
    return this.requestId ? `${this.message} (request id ${this.requestId})` : this.message;
  }
}

export function isGatehouseError(e: unknown): e is GatehouseError {
  return e instanceof GatehouseError;
}

/** Wrap any thrown value as a GatehouseError (GH_INTERNAL unless it already is one). */
export function toGatehouseError(e: unknown): GatehouseError {
  if (e instanceof GatehouseError) return e;
  return new GatehouseError(
    'GH_INTERNAL',
    {},
    { detail: e instanceof Error ? e.message : String(e), cause: e },
  );
}
