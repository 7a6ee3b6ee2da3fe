// The "next steps" block `gatehouse up` prints: every command in it works when pasted.
import { DEMO_DATABASE, DEMO_IAM_USER, DEMO_INSTANCE, DEMO_TABLE, DEMO_USER } from './demo.js';

export interface NextStepsInput {
  readonly dataDir: string;
  readonly defaultDataDir: boolean;
  readonly host: string;
  readonly pgPort: number;
  readonly apiUrl: string;
  readonly caFile: string;
  /** <data-dir>/credentials when it holds the admin key (profile default); without it no IAM lines are printed. */
  readonly credentialsFile?: string;
  /** <data-dir>/config (region, ca_bundle, endpoint_url of profile default), written with the credentials. */
  readonly awsConfigFile?: string;
  /** The backend admin of the demo instance: the embedded PostgreSQL's superuser, its password file. */
  readonly storeAdmin: { readonly user: string; readonly address: string; readonly passwordFile: string };
  /** The gateway's region, which tokens are signed for. */
  readonly region: string;
  readonly passwordFile: string;
  readonly logFile: string;
  readonly limits: {
    /** The gateway's own session limit for the demo instance (listener.maxSessionsPerInstance). */
    readonly sessionsPerInstance: number;
    readonly pendingPerSource: number;
    readonly pendingTotal: number;
    /** The embedded PostgreSQL: its address and what it reports for max_connections and shared_buffers. */
    readonly storeAddress: string;
    readonly maxConnections: number;
    readonly sharedBuffers: string;
  };
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`;
}

function iamLines(i: NextStepsInput, dd: string, credentialsFile: string): string[] {
  const endpoint = `--hostname ${shellQuote(i.host)} --port ${i.pgPort} --username ${DEMO_IAM_USER}`;
  const conninfo = `host=${i.host} port=${i.pgPort} dbname=${DEMO_DATABASE} user=${DEMO_IAM_USER} sslmode=verify-full sslrootcert=${i.caFile}`;
  return [
    'Connect with a 15-minute IAM auth token (as Amazon RDS does), signed with the admin key in the data directory:',
    '',
    `  PGPASSWORD="$(npx gatehouse${dd} rds generate-db-auth-token ${endpoint})" psql "${conninfo}" -c 'select * from ${DEMO_TABLE}'`,
    '',
    ...(i.awsConfigFile === undefined ? [] : awsCliLines(i, i.awsConfigFile, credentialsFile, endpoint)),
  ];
}

/**
 * The AWS CLI with the data dir's config and credentials: region and CA bundle come from the config file. Its
 * endpoint_url is read by AWS CLI 2.13+ / 1.29+ only, so the management API commands keep --endpoint-url.
 */
function awsCliLines(
  i: NextStepsInput,
  configFile: string,
  credentialsFile: string,
  endpoint: string,
): string[] {
  return [
    `The AWS CLI works with Gatehouse in a shell where these two lines were run (${i.region}, the CA of the data directory):`,
    '',
    `  export AWS_CONFIG_FILE=${shellQuote(configFile)}`,
    `  export AWS_SHARED_CREDENTIALS_FILE=${shellQuote(credentialsFile)}`,
    '',
    'It mints the same kind of token, and manages IAM users and policies through the management API:',
    '',
    `  aws rds generate-db-auth-token ${endpoint}`,
    `  aws iam list-users --endpoint-url ${i.apiUrl}`,
    '',
  ];
}

/** How a new user gets access: a grant at creation, or a GRANT by hand as the backend admin. */
function accessLines(i: NextStepsInput, dd: string): string[] {
  const a = i.storeAdmin;
  const [host, port] = [
    a.address.slice(0, a.address.lastIndexOf(':')),
    a.address.slice(a.address.lastIndexOf(':') + 1),
  ];
  return [
    `Give a new user access with --grant (PRIVILEGES:OBJECT, repeatable; e.g. select,insert:${DEMO_TABLE} or all:schema.public):`,
    '',
    `  npx gatehouse${dd} db create-user --db-instance-identifier ${DEMO_INSTANCE} --username alice --auth password --grant select:${DEMO_TABLE}`,
    `  npx gatehouse${dd} db list-users --db-instance-identifier ${DEMO_INSTANCE}`,
    '',
    `Gatehouse provisions roles and GRANTs on the demo database as the backend admin "${a.user}" (the superuser of the`,
    `embedded PostgreSQL at ${a.address}; password in ${a.passwordFile}). To GRANT by hand:`,
    '',
    `  PGPASSWORD="$(cat ${shellQuote(a.passwordFile)})" psql "host=${host} port=${port} dbname=${DEMO_DATABASE} user=${a.user}" -c 'grant select on ${DEMO_TABLE} to alice'`,
    '',
  ];
}

export function nextSteps(i: NextStepsInput): string {
  const dd = i.defaultDataDir ? '' : ` --data-dir ${shellQuote(i.dataDir)}`;
  const conninfo = `host=${i.host} port=${i.pgPort} dbname=${DEMO_DATABASE} user=${DEMO_USER} sslmode=verify-full sslrootcert=${i.caFile}`;
  return [
    '',
    'Gatehouse is up.',
    '',
    `  PostgreSQL endpoint   ${i.host}:${i.pgPort}   (instance "${DEMO_INSTANCE}", database "${DEMO_DATABASE}")`,
    `  Management API        ${i.apiUrl}`,
    `  Data directory        ${i.dataDir}`,
    `  CA certificate        ${i.caFile}`,
    `  Log                   ${i.logFile}`,
    `  Limits                ${i.limits.sessionsPerInstance} sessions at once on "${DEMO_INSTANCE}", ${i.limits.pendingPerSource} logins in progress per client address (${i.limits.pendingTotal} in all)`,
    `  Embedded PostgreSQL   ${i.limits.storeAddress}, max_connections ${i.limits.maxConnections}, shared_buffers ${i.limits.sharedBuffers}`,
    `  Backend admin         user "${i.storeAdmin.user}", password in ${i.storeAdmin.passwordFile}`,
    '',
    ...(i.credentialsFile === undefined ? [] : iamLines(i, dd, i.credentialsFile)),
    `${i.credentialsFile === undefined ? 'Connect' : 'Or connect'} as the password user ${DEMO_USER}, password from the data directory, over verified TLS:`,
    '',
    `  PGPASSWORD="$(cat ${shellQuote(i.passwordFile)})" psql "${conninfo}" -c 'select * from ${DEMO_TABLE}'`,
    '',
    ...accessLines(i, dd),
    `Ctrl-C stops everything; running \`npx gatehouse${dd} up\` again resumes with the same state.`,
    '',
  ].join('\n');
}
