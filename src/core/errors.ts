// The registry of stable error codes. Every refusal Gatehouse emits comes from here; docs/errors.md
// lists each code and a test keeps the two in step.
//
// The registry is engine-neutral: how a code travels on a database wire protocol (PostgreSQL's SQLSTATE, …)
// is each engine's own table (src/engines/postgres/error-wire.ts), which must map every code here to compile.
// The HTTP status and AWS-style code are the management API's.
import { CLIENT_TEXT_MAX, CLIENT_VALUE_MAX, clientText } from './client-text.js';

export interface ErrorSpec {
  /** HTTP status for the management API. */
  readonly http: number;
  /** AWS-style error code name for API responses. */
  readonly awsCode: string;
  /** Client-safe message template; `{name}` placeholders are filled from params. Names no engine. */
  readonly message: string;
  /** What it means for an operator (docs/errors.md). */
  readonly description: string;
}

export const ERRORS = {
  // --- client authentication (database wire protocol) ---
  GH_AUTH_FAILED: {
    http: 401,
    awsCode: 'AuthFailure',
    message: 'password authentication failed for user "{user}"',
    description:
      'Wrong password, unknown user, or a password past its rotation grace period. The client is never told which; the operator log and audit event carry the reason under the same request id.',
  },
  GH_AUTH_METHOD_MISMATCH: {
    http: 401,
    awsCode: 'AuthFailure',
    message: 'authentication method mismatch for user "{user}": {reason}',
    description:
      'The client answered with a different authentication method or SASL mechanism than the one the server asked for.',
  },
  GH_SCRAM_CHANNEL_BINDING: {
    http: 401,
    awsCode: 'AuthFailure',
    message: 'SCRAM channel binding check failed',
    description:
      'The client sent channel-binding data that does not match this TLS connection, or claimed the server does not support channel binding when it does (a downgrade attempt).',
  },
  GH_SSL_REQUIRED: {
    http: 403,
    awsCode: 'AccessDenied',
    message:
      'instance "{instance}" requires TLS: connect over TLS (verifying the server with the Gatehouse CA)',
    description: 'The instance has force_ssl set and the client sent its startup message in plaintext.',
  },
  GH_CLEARTEXT_REQUIRES_TLS: {
    http: 403,
    awsCode: 'AccessDenied',
    message:
      'user "{user}" logs in with a secret sent in cleartext, which is accepted only over TLS: connect over TLS; nothing was read',
    description:
      'A login method that sends its secret in cleartext was about to ask for it on a connection without TLS. The core refuses before the secret is asked for, whatever the method (methods such as IAM tokens refuse earlier with their own code).',
  },
  GH_NO_USER: {
    http: 400,
    awsCode: 'ValidationError',
    message: 'no database user name specified in the startup message',
    description:
      'The startup message named no database user (for PostgreSQL: the StartupMessage had no "user" parameter).',
  },
  // --- protocol ---
  GH_PROTOCOL_VIOLATION: {
    http: 400,
    awsCode: 'ValidationError',
    message: 'protocol violation: {reason}',
    description: 'The client sent a message that is malformed or not allowed at this point of the exchange.',
  },
  GH_PACKET_TOO_LARGE: {
    http: 400,
    awsCode: 'ValidationError',
    message: 'message too large: {size} bytes exceeds the {limit}-byte limit before authentication',
    description:
      'A pre-authentication message was larger than the cap (startup 10000 bytes, auth messages 65535 bytes).',
  },
  GH_STARTUP_TIMEOUT: {
    http: 408,
    awsCode: 'RequestTimeout',
    message: 'authentication timed out: the client did not complete the handshake within {seconds} seconds',
    description:
      'The pre-authentication deadline (listener.authTimeoutSeconds) expired, e.g. a slow-drip or stalled client.',
  },
  GH_UNENCRYPTED_AFTER_SSL: {
    http: 400,
    awsCode: 'ValidationError',
    message: 'received unencrypted data after SSL request',
    description:
      'Bytes arrived after the SSLRequest before the TLS handshake (buffer stuffing, CVE-2021-23214). The connection is closed.',
  },
  GH_UNSUPPORTED_PROTOCOL: {
    http: 400,
    awsCode: 'ValidationError',
    message: 'unsupported frontend protocol {major}.{minor}: server supports {supported}',
    description:
      'The client asked for a wire protocol version the engine does not speak (for PostgreSQL: a major version other than 3, e.g. the obsolete version 2).',
  },
  GH_TLS_HANDSHAKE_FAILED: {
    http: 400,
    awsCode: 'ValidationError',
    message: 'TLS handshake failed',
    description:
      "The client's TLS handshake failed (unsupported TLS version, malformed record, no common cipher). A client fault, logged at warn with OpenSSL's reason.",
  },
  GH_TLS_UNAVAILABLE: {
    http: 400,
    awsCode: 'ValidationError',
    message: 'TLS is not configured on this listener',
    description: 'The client tried direct TLS on a listener that has no certificate.',
  },
  // --- backend ---
  GH_BACKEND_UNREACHABLE: {
    http: 502,
    awsCode: 'ServiceUnavailable',
    message: 'could not connect to the backend of instance "{instance}"',
    description:
      'No connection to the backend database: TCP was refused, unroutable or not established within backend.connectTimeoutSeconds, or TLS to it failed. Check that it is running and that backend-url is right.',
  },
  GH_BACKEND_REFUSED: {
    http: 503,
    awsCode: 'ServiceUnavailable',
    message: 'the backend of instance "{instance}" refused the connection',
    description:
      'The backend answered but refused Gatehouse (for example its own authentication failed, it is starting up or out of connection slots). The operator log has the backend message.',
  },
  GH_SESSION_IDENTITY_FAILED: {
    http: 503,
    awsCode: 'ServiceUnavailable',
    message:
      'the database of instance "{instance}" could not record who is connected, so the session was not opened',
    description:
      "The instance's database has Gatehouse's session identity functions (gatehouse.session_principal(), used by row-level security and triggers) and the database user is a member of gatehouse_session, but recording this session's identity failed, so the login was refused rather than relayed without it (docs/audit.md, \"Identity in the database\"). The operator detail has the backend's error: for example a session started by a client setting that the claim cannot undo, the table unwritable, or the admin that installed the functions lacking a privilege. A read-only replica is not a failure: sessions there simply have no recorded identity.",
  },
  GH_BACKEND_TIMEOUT: {
    http: 504,
    awsCode: 'ServiceUnavailable',
    message: 'the backend of instance "{instance}" did not answer within {ms} ms',
    description:
      'The backend accepted the TCP connection but did not finish the start-up (SSLRequest answer, TLS, login) within backend.connectTimeoutSeconds: it is hung or overloaded, or what listens at backend-url is not a server of the engine the instance uses. Nothing refused: compare GH_BACKEND_UNREACHABLE and GH_BACKEND_REFUSED. The operator detail says how far it got.',
  },
  GH_SHUTTING_DOWN: {
    http: 503,
    awsCode: 'ServiceUnavailable',
    message: 'Gatehouse is shutting down',
    description:
      'The gateway is stopping (or handing over to its successor in a rolling restart): an open session is ended with this once it is idle, or at the end of the drain period (shutdown.drainSeconds, --drain-timeout). Clients should reconnect (to the successor, or another node).',
  },
  GH_TOO_MANY_CONNECTIONS: {
    http: 429,
    awsCode: 'Throttling',
    message: 'too many connections in authentication on this listener',
    description:
      'More clients are in the pre-authentication phase than listener.maxPendingConnections allows. The refusal is sent after the TLS handshake and the startup packet, so clients can show it, while fewer than listener.maxTlsRefusals refusals are under way; beyond that it is sent at once, before TLS (libpq then reports only "server sent an error response during SSL exchange").',
  },
  GH_TOO_MANY_CONNECTIONS_FROM_SOURCE: {
    http: 429,
    awsCode: 'Throttling',
    message:
      'too many connections in authentication from {source}: at most {limit} at once per client address',
    description:
      'One source address (an IPv6 address counts with its whole /64) has more connections in the pre-authentication phase than listener.maxPendingPerSource allows. Other addresses are unaffected.',
  },
  GH_INSTANCE_SESSION_LIMIT: {
    http: 429,
    awsCode: 'Throttling',
    message: 'too many sessions on instance "{instance}": this Gatehouse node allows {limit} at once',
    description:
      'The instance already has listener.maxSessionsPerInstance sessions on this node (relaying, or logging in to the backend). Refused before the backend is contacted, so the backend keeps its own connection slots.',
  },
  GH_INTERNAL: {
    http: 500,
    awsCode: 'InternalFailure',
    message: 'internal error',
    description: 'An unexpected error. The operator log has the stack under the request id.',
  },
  // --- IAM database authentication (database wire protocol) ---
  GH_IAM_AUTH_DISABLED: {
    http: 403,
    awsCode: 'NotAuthorized',
    message:
      'IAM database authentication is not enabled on instance "{instance}": enable it with gatehouse rds modify-db-instance --db-instance-identifier {instance} --enable-iam-database-authentication',
    description:
      'The user is an IAM database user (created with --auth iam, or a member of rds_iam) but the instance has IAM database authentication turned off. Refused before any password is asked for.',
  },
  GH_IAM_TLS_REQUIRED: {
    http: 403,
    awsCode: 'NotAuthorized',
    message:
      'user "{user}" authenticates with IAM auth tokens, which are accepted only over TLS: connect over TLS (verifying the server with the Gatehouse CA); the token was not read',
    description:
      'An IAM database user connected without TLS. Gatehouse refuses before asking for the password, so a token sent by a misconfigured client never crosses the network in the clear.',
  },
  GH_IAM_ONLY_USER: {
    http: 400,
    awsCode: 'InvalidToken',
    message:
      'user "{user}" is an IAM database user ({why}): its password must be an IAM auth token (gatehouse rds generate-db-auth-token or aws rds generate-db-auth-token), not a password',
    description:
      'An IAM-only user (created with --auth iam, or a member of rds_iam, which takes precedence over a password as on RDS) sent something that is not an auth token.',
  },
  GH_IAM_TOKEN_TOO_LARGE: {
    http: 400,
    awsCode: 'InvalidToken',
    message: 'IAM auth token is {size} bytes; the limit is {limit}',
    description:
      'The password message is larger than any RDS-format token can be (listener.maxIamTokenBytes). Nothing of it was parsed.',
  },
  GH_IAM_TOKEN_MALFORMED: {
    http: 400,
    awsCode: 'InvalidToken',
    message: 'IAM auth token is malformed: {reason}',
    description:
      'The token is not HOST:PORT/?Action=connect&DBUser=…&X-Amz-…, has a parameter missing, repeated, unknown or badly encoded, or was truncated (some drivers cut long passwords).',
  },
  GH_IAM_TOKEN_WRONG_ACTION: {
    http: 400,
    awsCode: 'InvalidToken',
    message: 'IAM auth token is for Action={action}; a database connection needs Action=connect',
    description: 'A presigned URL for something other than rds-db connect was offered as a token.',
  },
  GH_IAM_TOKEN_USER_MISMATCH: {
    http: 400,
    awsCode: 'InvalidToken',
    message:
      'IAM auth token was minted for DB user "{tokenUser}" but you connected as "{user}" (user names are case-sensitive)',
    description: 'The DBUser inside the token differs from the user in the start-up message.',
  },
  GH_IAM_TOKEN_BAD_SCOPE: {
    http: 400,
    awsCode: 'InvalidToken',
    message: 'IAM auth token has an invalid signing scope: {reason}',
    description:
      'X-Amz-Algorithm is not AWS4-HMAC-SHA256, the credential scope does not name service rds-db and aws4_request, its date differs from X-Amz-Date, or only host is not the signed header.',
  },
  GH_IAM_TOKEN_WRONG_REGION: {
    http: 400,
    awsCode: 'InvalidToken',
    message:
      'IAM auth token was signed for region {actual}, but this Gatehouse is in region {expected}: mint it with --region {expected}',
    description:
      "The credential scope names another region than the deployment's (fixed at init; see gatehouse rds describe-db-instances).",
  },
  GH_IAM_TOKEN_NOT_YET_VALID: {
    http: 400,
    awsCode: 'InvalidToken',
    message:
      'IAM auth token is dated {seconds} seconds in the future (signed at {signedAt}, server time {serverTime}): check the clock of the machine that minted it',
    description:
      'X-Amz-Date is more than 5 minutes ahead of the gateway clock. Told only once the signature has verified: a token with a bad signature gets GH_IAM_TOKEN_SIGNATURE_MISMATCH or GH_IAM_TOKEN_UNKNOWN_KEY.',
  },
  GH_IAM_TOKEN_EXPIRY_TOO_LONG: {
    http: 400,
    awsCode: 'InvalidToken',
    message: 'IAM auth token asks to be valid for {expires} seconds; auth tokens are valid for at most 900',
    description:
      'X-Amz-Expires is above 900 (RDS refuses these too). Mint tokens with the SDK signer, the AWS CLI or gatehouse rds generate-db-auth-token.',
  },
  GH_IAM_TOKEN_EXPIRED: {
    http: 400,
    awsCode: 'ExpiredToken',
    message:
      'IAM auth token expired {seconds} seconds ago (signed at {signedAt}, valid for {expires} seconds): mint a fresh token for each new connection',
    description:
      'The token is older than its X-Amz-Expires. Pools must call the token provider for every new connection (see createAuthTokenProvider). Told only once the signature has verified.',
  },
  GH_IAM_TOKEN_WRONG_HOST: {
    http: 400,
    awsCode: 'InvalidToken',
    message:
      'IAM auth token was signed for host {signedHost} but this endpoint is {endpoint}: mint it with the --hostname and --port you connect to, or add {signedHost} to the instance with --endpoint-aliases',
    description:
      "The token's signed host header is neither the instance's endpoint (listen address) nor one of its endpoint aliases.",
  },
  GH_IAM_TOKEN_UNKNOWN_KEY: {
    http: 400,
    awsCode: 'InvalidToken',
    message:
      'IAM auth token signature does not match: check the access key id and secret access key, region, host and port used to sign, and that the token was not altered',
    description:
      'No access key or STS session with that id (never issued here, or deleted with its user or role). AWS-issued keys cannot work: only Gatehouse holds the secrets of the keys it verifies. The client gets the same message as GH_IAM_TOKEN_SIGNATURE_MISMATCH, so it learns nothing of which keys exist; the operator detail names the key and, if the token was also out of its validity window, says so.',
  },
  GH_IAM_TOKEN_SIGNATURE_MISMATCH: {
    http: 400,
    awsCode: 'InvalidToken',
    message:
      'IAM auth token signature does not match: check the access key id and secret access key, region, host and port used to sign, and that the token was not altered',
    description:
      "The signature recomputed with the key secret (over the signed host as written, then lower-cased as botocore signs it) differs from X-Amz-Signature (compared in constant time). Any altered byte of a token ends here or earlier. Checked before the token's dates and the key's status, so a client without the secret learns neither; the operator detail has the key, its principal and status, and whether the token was also out of its validity window.",
  },
  GH_IAM_TOKEN_KEY_INACTIVE: {
    http: 400,
    awsCode: 'InvalidToken',
    message:
      'IAM auth token was signed with access key {accessKeyId}, which is inactive: activate it (gatehouse iam update-access-key --status Active) or use another key',
    description: 'The access key exists and the signature verifies, but the key was deactivated.',
  },
  GH_IAM_TOKEN_PRINCIPAL_GONE: {
    http: 400,
    awsCode: 'InvalidToken',
    message: 'the IAM principal that owns access key {accessKeyId} no longer exists',
    description:
      'The key row outlived its user or role (a deletion in progress on another node); refused as RDS does for a deleted user.',
  },
  GH_IAM_TOKEN_SESSION_INVALID: {
    http: 400,
    awsCode: 'InvalidToken',
    message: 'IAM auth token was signed with access key {accessKeyId} but {reason}',
    description:
      'Temporary (ASIA) credentials without X-Amz-Security-Token or with a session token that is not the one issued with them, or a long-term key with a session token.',
  },
  GH_IAM_TOKEN_SESSION_EXPIRED: {
    http: 400,
    awsCode: 'ExpiredToken',
    message:
      'IAM auth token was signed with temporary credentials {accessKeyId} that expired {seconds} seconds ago (at {expiredAt}): refresh the credentials, then mint a new token',
    description:
      'Temporary credentials must still be valid when the token is used (as on RDS); a token is valid for min(15 minutes, credential lifetime).',
  },
  GH_IAM_CONNECT_DENIED: {
    http: 403,
    awsCode: 'NotAuthorized',
    message:
      'User: {principal} is not authorized to perform: rds-db:connect on resource: {resource} because no identity-based policy allows the rds-db:connect action',
    description:
      'The principal authenticated but none of its policies (within its permissions boundary and session policy) allows rds-db:connect on the db-user ARN with this request context. Try gatehouse iam simulate-principal-policy.',
  },
  GH_IAM_CONNECT_EXPLICIT_DENY: {
    http: 403,
    awsCode: 'NotAuthorized',
    message:
      'User: {principal} is not authorized to perform: rds-db:connect on resource: {resource} with an explicit deny in {policyType}',
    description:
      'A Deny statement matched (for example an aws:SourceIp condition). The operator log names the policy and statement.',
  },
  GH_IAM_USER_NOT_ENABLED: {
    http: 401,
    awsCode: 'AuthFailure',
    message:
      'password authentication failed for user "{user}" (if the password was an IAM auth token: "{user}" is not an IAM database user on this instance; create it with --auth iam or GRANT rds_iam TO it)',
    description:
      'Password authentication failed on an instance with IAM database authentication enabled. Unknown users get the same answer, so it reveals nothing about which users exist.',
  },
  GH_IAM_SESSION_REVOKED: {
    http: 403,
    awsCode: 'NotAuthorized',
    message: 'terminating connection: IAM access of {principal} as DB user "{user}" was revoked ({reason})',
    description:
      'An open IAM-authenticated session was ended because its key was deactivated or deleted, its principal deleted, or the policy allowing rds-db:connect removed (instance setting TerminateRevokedIAMSessions, on by default).',
  },
  // --- management API ---
  GH_API_MISSING_AUTH: {
    http: 403,
    awsCode: 'MissingAuthenticationToken',
    message: 'request is not signed: sign it with AWS Signature Version 4 using a Gatehouse access key',
    description: 'The API request had no SigV4 Authorization header or X-Amz-Signature query parameter.',
  },
  GH_API_INVALID_KEY: {
    http: 403,
    awsCode: 'InvalidClientTokenId',
    message: 'the access key id {accessKeyId} is not valid',
    description: 'No active access key with that id exists.',
  },
  GH_API_SIGNATURE_MISMATCH: {
    http: 403,
    awsCode: 'SignatureDoesNotMatch',
    message:
      'the request signature we calculated does not match the signature you provided: check your secret access key and signing method',
    description: 'The SigV4 signature did not verify with the stored secret of that key.',
  },
  GH_API_REQUEST_EXPIRED: {
    http: 403,
    awsCode: 'RequestExpired',
    message:
      'request has expired: its signing time {signedAt} is more than 5 minutes from server time {serverTime}',
    description: 'The request signing date is outside the allowed clock skew.',
  },
  GH_API_VALIDATION: {
    http: 400,
    awsCode: 'ValidationError',
    message: '{reason}',
    description: 'A parameter of a management call was missing or invalid.',
  },
  GH_API_WRONG_REGION: {
    http: 403,
    awsCode: 'SignatureDoesNotMatch',
    message:
      'credential should be scoped to region "{expected}", not "{actual}": sign with --region {expected}',
    description: "The SigV4 credential scope names another region than the gateway's (fixed at init).",
  },
  GH_API_BODY_TOO_LARGE: {
    http: 413,
    awsCode: 'RequestEntityTooLarge',
    message: 'request body exceeds the {limit}-byte limit',
    description: 'Management API request bodies are capped (1 MiB).',
  },
  GH_API_UNKNOWN_ACTION: {
    http: 400,
    awsCode: 'InvalidAction',
    message: 'unknown action {action}',
    description: 'The API action is not implemented.',
  },
  GH_API_UNKNOWN_SERVICE: {
    http: 400,
    awsCode: 'UnknownService',
    message: "Gatehouse serves the {served} APIs here; this request was signed for the service '{service}'",
    description:
      'The SigV4 credential scope names a service Gatehouse does not serve at that address (e.g. ec2, s3 or lambda; the Query API at / serves iam, sts and rds, the JSON API under /v1/ is signed for gatehouse). Checked before the key and the signature, so it is never reported as SignatureDoesNotMatch.',
  },
  GH_RDS_INVALID_PARAMETER_VALUE: {
    http: 400,
    awsCode: 'InvalidParameterValue',
    message: '{reason}',
    description:
      'An RDS Query API parameter is missing, malformed or out of range, or is not one Gatehouse knows (docs/rds-api.md lists them).',
  },
  GH_RDS_UNSUPPORTED_PARAMETER: {
    http: 400,
    awsCode: 'InvalidParameterCombination',
    message: '{parameter} cannot be used with a Gatehouse DB instance: {reason}',
    description:
      'A standard RDS parameter that Gatehouse cannot honour and will not silently ignore, because ignoring it would mislead about credentials, encryption, the endpoint or protection (MasterUserPassword, Port, DeletionProtection, Tags, …; docs/rds-api.md).',
  },
  GH_INSTANCE_NOT_FOUND: {
    http: 404,
    awsCode: 'DBInstanceNotFound',
    message: 'DB instance {instance} not found',
    description: 'No instance with that identifier is registered.',
  },
  GH_INSTANCE_EXISTS: {
    http: 409,
    awsCode: 'DBInstanceAlreadyExists',
    message: 'DB instance {instance} already exists',
    description: 'An instance with that identifier is already registered.',
  },
  GH_DB_USER_NOT_FOUND: {
    http: 404,
    awsCode: 'DBUserNotFound',
    message: 'database user {user} not found on instance {instance}',
    description: 'No Gatehouse-managed database user with that name exists on the instance.',
  },
  GH_DB_USER_EXISTS: {
    http: 409,
    awsCode: 'DBUserAlreadyExists',
    message: 'database user {user} already exists on instance {instance}',
    description: 'The user is already managed by Gatehouse on that instance.',
  },
  GH_LISTEN_ADDRESS_IN_USE: {
    http: 409,
    awsCode: 'InvalidParameterCombination',
    message: 'listen address {address} is already used by instance {instance}',
    description: 'Two instances cannot share one listener address.',
  },
  GH_INSTANCE_PARAMETER_CONFLICT: {
    http: 400,
    awsCode: 'InvalidParameterCombination',
    message: '{reason}',
    description:
      'Two parameters of a CreateDBInstance or ModifyDBInstance say different things (Port and Listen, DBPortNumber and Listen), or no listener port could be chosen for an instance created without Port (docs/rds-api.md "Port, backend and DBName").',
  },
  GH_NO_DEFAULT_BACKEND: {
    http: 400,
    awsCode: 'InvalidParameterCombination',
    message: 'BackendUrl is required: {reason}',
    description:
      'CreateDBInstance without BackendUrl on a gateway with no default backend (config rds.defaultBackendUrl), or whose default backend is not of the requested engine.',
  },
  GH_BACKEND_PROVISION_FAILED: {
    http: 502,
    awsCode: 'ProvisioningFailed',
    message: 'could not provision the backend of instance {instance}: {reason}',
    description:
      'Gatehouse could not create, alter or drop a role on the backend with the instance admin connection.',
  },
  // --- start-up / configuration ---
  GH_CONFIG_INVALID: {
    http: 500,
    awsCode: 'InvalidConfiguration',
    message: 'invalid configuration: {reason}',
    description: 'The configuration file or environment failed validation; the message names the field.',
  },
  GH_MASTER_KEY_MISSING: {
    http: 500,
    awsCode: 'InvalidConfiguration',
    message: 'no master key: set GATEHOUSE_MASTER_KEY or masterKeyFile ({path} does not exist)',
    description: 'The store holds encrypted secrets but no master key was provided. Nothing was changed.',
  },
  GH_MASTER_KEY_WRONG: {
    http: 500,
    awsCode: 'InvalidConfiguration',
    message: 'the master key does not match this store (key id {keyId} expected, got {actualKeyId})',
    description: 'The master key given is not the one the store was initialised with. Nothing was changed.',
  },
  GH_MASTER_KEY_INVALID: {
    http: 500,
    awsCode: 'InvalidConfiguration',
    message: 'the master key must be 32 bytes, base64 or hex encoded ({reason})',
    description: 'GATEHOUSE_MASTER_KEY or the key file is malformed.',
  },
  GH_PORT_IN_USE: {
    http: 500,
    awsCode: 'InvalidConfiguration',
    message: 'port {port} on {host} is already in use: choose another with {flag}',
    description: 'A listener could not bind because the address is taken.',
  },
  GH_DATA_DIR_IN_USE: {
    http: 409,
    awsCode: 'InvalidConfiguration',
    message:
      'data directory {dataDir} is in use by a running Gatehouse (pid {pid}; {where}): stop it first (kill {pid}, or Ctrl-C where it runs) or choose another --data-dir',
    description:
      '`gatehouse up` found the data directory owned by a live Gatehouse process (recorded in up.json). It is checked before any port, and nothing was started or changed. A data dir whose Gatehouse is gone (killed) is not refused: its leftover embedded PostgreSQL is stopped and the data reused.',
  },
  GH_STORE_UNAVAILABLE: {
    http: 503,
    awsCode: 'ServiceUnavailable',
    message: 'cannot reach the state store: {reason}',
    description:
      'The PostgreSQL state store (store.url or the embedded PostgreSQL) is unreachable. At start-up the reason names the cause. While running (connection refused or terminated, the database not accepting connections, no answer to a connect or a query within 5 s), clients are told it is temporary and to retry; the log has one warn line when the outage starts and one info line with its duration when the store answers again.',
  },
  GH_AUDIT_UNAVAILABLE: {
    http: 503,
    awsCode: 'ServiceUnavailable',
    message: 'cannot record this login in the audit trail: this is temporary, retry in a few seconds',
    description:
      'The instance admits a login only once its "allowed" event is committed to the audit trail (fail closed, the default), and that write failed: the state store is unreachable or too slow. The log has the cause. Other logins are refused the same way until the store answers; the refusal itself is queued and written when the store is back. An operator can choose to admit logins anyway (`AuditFailOpen`, decision 48).',
  },
  GH_STORE_SCHEMA_TOO_NEW: {
    http: 500,
    awsCode: 'InvalidConfiguration',
    message:
      'the state store schema is at version {storeVersion} but this Gatehouse only knows up to version {codeVersion}: upgrade Gatehouse (downgrades are not supported)',
    description:
      'A newer Gatehouse migrated the store; an older one refuses to run against a schema it does not understand.',
  },
  GH_STORE_MIGRATION_FAILED: {
    http: 500,
    awsCode: 'InternalFailure',
    message: 'schema migration {version} ({name}) failed and was rolled back: {reason}',
    description:
      'A migration failed; its transaction was rolled back and nothing was recorded. Fix the cause (often permissions on the store database) and start again.',
  },
  GH_SECRET_UNSEALABLE: {
    http: 500,
    awsCode: 'InternalFailure',
    message: 'internal error',
    description:
      'A sealed secret failed authentication: wrong master key, a row moved to another context, or tampered data. The operator log has which secret.',
  },
  GH_CLI_NOT_RUNNING: {
    http: 503,
    awsCode: 'ServiceUnavailable',
    message: 'cannot reach the Gatehouse management API at {endpoint}: is `gatehouse up` (or serve) running?',
    description: 'The CLI could not connect to the management API.',
  },
  GH_CLI_NO_CREDENTIALS: {
    http: 403,
    awsCode: 'MissingAuthenticationToken',
    message: 'no credentials for profile "{profile}" in {path}',
    description:
      'The CLI found no access key: run `gatehouse up` once, or set GATEHOUSE_ACCESS_KEY_ID / GATEHOUSE_SECRET_ACCESS_KEY.',
  },
  GH_CLI_INVALID_QUERY: {
    http: 400,
    awsCode: 'ValidationError',
    message: 'invalid --query expression "{expression}": {reason}',
    description:
      'The JMESPath expression given with --query does not parse, or fails on the result (an unknown function, an argument of the wrong type). Nothing was sent when it does not parse.',
  },
  GH_CLI_INVALID_PARAMETER: {
    http: 400,
    awsCode: 'ValidationError',
    message: '{option}: {reason}',
    description:
      "A CLI-side parameter is unusable: --cli-input-json is not a JSON object of the command's parameters, a --starting-token is not one the CLI printed, or --no-paginate is combined with --max-items / --starting-token.",
  },
  // --- IAM and STS ---
  GH_IAM_NO_SUCH_ENTITY: {
    http: 404,
    awsCode: 'NoSuchEntity',
    message: '{reason}',
    description:
      'The IAM user, group, role, policy, policy version or access key named in the call does not exist.',
  },
  GH_IAM_ENTITY_EXISTS: {
    http: 409,
    awsCode: 'EntityAlreadyExists',
    message: '{entity} with name {name} already exists.',
    description:
      'IAM user, group, role and managed policy names are unique in the account, ignoring case (as in AWS).',
  },
  GH_IAM_DELETE_CONFLICT: {
    http: 409,
    awsCode: 'DeleteConflict',
    message: '{reason}',
    description:
      'The entity still has dependents (access keys, inline or attached policies, group members, policy versions or attachments); the message names what must go first.',
  },
  GH_IAM_LIMIT_EXCEEDED: {
    http: 409,
    awsCode: 'LimitExceeded',
    message: '{reason}',
    description:
      'An IAM quota was reached: 2 access keys per user, 10 groups per user, 10 managed policies attached per user, group or role, 5 versions per managed policy, 50 tags per principal, or a policy size (the inline policies of a user together 2048, of a group 5120, of a role 10240; managed 6144, trust 2048 characters not counting whitespace). Checked under a lock on the owning row, so concurrent calls cannot exceed it.',
  },
  GH_IAM_MALFORMED_POLICY: {
    http: 400,
    awsCode: 'MalformedPolicyDocument',
    message: '{reason}',
    description:
      'A policy document is not valid JSON or not a valid policy of its kind (identity or trust); the message gives the JSON path of each problem.',
  },
  GH_IAM_VALIDATION: {
    http: 400,
    awsCode: 'ValidationError',
    message: '{reason}',
    description:
      'An IAM parameter does not match its pattern or range (names, paths, tags, session durations).',
  },
  GH_IAM_INVALID_MARKER: {
    http: 400,
    awsCode: 'ValidationError',
    message: 'Invalid Marker: {reason}',
    description:
      'A list call was given a Marker that is not one this list returned (mistyped, truncated, or from another list action). Pass the Marker of the previous page unchanged, or omit it to start over.',
  },
  GH_IAM_INVALID_INPUT: {
    http: 400,
    awsCode: 'InvalidInput',
    message: '{reason}',
    description:
      'An IAM parameter is well-formed but not usable here (e.g. an ARN of the wrong kind, or changing an AWS-managed policy).',
  },
  GH_STS_ACCESS_DENIED: {
    http: 403,
    awsCode: 'AccessDenied',
    message: 'User: {caller} is not authorized to perform: sts:AssumeRole on resource: {role}',
    description:
      "AssumeRole was refused: the role's trust policy does not allow the caller, or the caller's identity policies (and permissions boundary) do not allow sts:AssumeRole on the role. The operator detail says which.",
  },
  GH_STS_EXPIRED_TOKEN: {
    http: 403,
    awsCode: 'ExpiredToken',
    message: 'The security token included in the request is expired',
    description:
      'The temporary credentials (ASIA key and session token) from AssumeRole are past their expiration; assume the role again.',
  },
  GH_STS_INVALID_TOKEN: {
    http: 403,
    awsCode: 'InvalidClientTokenId',
    message: 'The security token included in the request is invalid.',
    description:
      'A temporary access key was used without its session token, with a wrong one, or after its role was deleted or re-created.',
  },
  // --- API authorization ---
  GH_API_ACCESS_DENIED: {
    http: 403,
    awsCode: 'AccessDenied',
    message: 'User: {principal} is not authorized to perform: {action} on resource: {resource}',
    description:
      "The caller's policies do not allow the management action on that resource (no Allow, or an explicit Deny). The message has AWS's wording so tools that parse it keep working.",
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;
export type ErrorParams = Record<string, string | number>;

/** The `{name}` placeholders of a message template, as a union of names (never when it has none). */
type Placeholders<T extends string> = T extends `${string}{${infer Name}}${infer Rest}`
  ? Name | Placeholders<Rest>
  : never;

/** The parameter names of a code's message; for a union of codes, the names of all of them. */
export type ParamName<C extends ErrorCode> = Placeholders<(typeof ERRORS)[C]['message']>;

/** The parameters a code's message needs, e.g. `ParamsOf<'GH_AUTH_FAILED'>` is `{ user: string | number }`. */
export type ParamsOf<C extends ErrorCode> = { [K in ParamName<C>]: string | number };

/** Context given when a GatehouseError is made; it cannot be changed afterwards (see withRequestId). */
export interface GatehouseErrorOptions {
  /** Operator-only explanation; never sent to clients. */
  readonly detail?: string;
  readonly cause?: unknown;
  /** The request id the client is told, also in the operator log line and the audit event. */
  readonly requestId?: string;
  /** Who was involved, as far as known when refused (access key id, principal ARN): for audit events only. */
  readonly audit?: Readonly<Record<string, string>>;
}

/**
 * The arguments after the code: a code whose message has placeholders needs exactly those parameters; one
 * without may omit them (or pass `{}`).
 */
export type GatehouseErrorArgs<C extends ErrorCode> = [ParamName<C>] extends [never]
  ? [params?: Readonly<Record<string, never>>, options?: GatehouseErrorOptions]
  : [params: Readonly<ParamsOf<C>>, options?: GatehouseErrorOptions];

/** Parameters that hold a sentence the server composed, or an ARN: these get the longer cap. */
const LONG_PARAMS: ReadonlySet<string> = new Set(['reason', 'principal', 'resource', 'caller', 'role']);

/** Fills a template; every value goes through clientText, as any of them may come from a client. */
function render(template: string, params: Readonly<ErrorParams>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) return `{${name}}`;
    return clientText(String(value), LONG_PARAMS.has(name) ? CLIENT_TEXT_MAX : CLIENT_VALUE_MAX);
  });
}

/**
 * A refusal with a stable code. `detail` is operator-only and never sent to clients. Immutable: the request
 * id and audit facts are given when it is made, or set on a copy with withRequestId.
 *
 * `C` only types the constructor's parameters (the instance has `code: ErrorCode`), so a
 * `GatehouseError<'GH_AUTH_FAILED'>` is a plain `GatehouseError`.
 */
export class GatehouseError<C extends ErrorCode = ErrorCode> extends Error {
  readonly code: ErrorCode;
  readonly params: Readonly<ErrorParams>;
  readonly detail: string | undefined;
  readonly requestId: string | undefined;
  /** Who was involved, as far as known when refused (access key id, principal ARN): for audit events only. */
  readonly audit: Readonly<Record<string, string>> | undefined;

  constructor(code: C, ...[params = {}, options = {}]: GatehouseErrorArgs<C>) {
    super(render(ERRORS[code].message, params), { cause: options.cause });
    this.name = 'GatehouseError';
    this.code = code;
    this.params = params;
    this.detail = options.detail;
    this.requestId = options.requestId;
    this.audit = options.audit;
  }

  get spec(): ErrorSpec {
    return ERRORS[this.code];
  }

  /**
   * Message for the client, with the request id appended when known. An engine may word it in its clients'
   * own terms (`wording`, a template with the same parameters); the parameters are escaped all the same.
   */
  clientMessage(wording?: string): string {
    const text = wording === undefined ? this.message : render(wording, this.params);
    return this.requestId ? `${text} (request id ${this.requestId})` : text;
  }

  /** A copy with the request id set: same code, params, detail, cause, audit and stack. */
  withRequestId(requestId: string): GatehouseError {
    return this.copy({ requestId });
  }

  /** A copy with the audit facts set: same code, params, detail, cause, request id and stack. */
  withAudit(audit: Readonly<Record<string, string>>): GatehouseError {
    return this.copy({ audit });
  }

  private copy(context: Pick<GatehouseErrorOptions, 'requestId' | 'audit'>): GatehouseError {
    const options: GatehouseErrorOptions = {
      detail: this.detail,
      cause: this.cause,
      requestId: this.requestId,
      audit: this.audit,
      ...context,
    };
    // The params were checked against the code when this error was made.
    const copy = new (GatehouseError as unknown as UncheckedConstructor)(this.code, this.params, options);
    // The stack of the original says where the refusal was raised; the copy's would say where it was copied.
    if (this.stack !== undefined) copy.stack = this.stack;
    return copy;
  }
}

type UncheckedConstructor = new (
  code: ErrorCode,
  params: Readonly<ErrorParams>,
  options: GatehouseErrorOptions,
) => GatehouseError;

export function isGatehouseError(e: unknown): e is GatehouseError {
  return e instanceof GatehouseError;
}

/** The state store is away (an outage the store's pool logs once, so callers log it at debug level only). */
export function isStoreOutage(e: unknown): e is GatehouseError<'GH_STORE_UNAVAILABLE'> {
  return e instanceof GatehouseError && e.code === 'GH_STORE_UNAVAILABLE';
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
