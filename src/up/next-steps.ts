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
    'The AWS CLI mints the same kind of token (use it in place of the npx command above):',
    '',
    `  AWS_SHARED_CREDENTIALS_FILE=${shellQuote(credentialsFile)} aws rds generate-db-auth-token ${endpoint} --region ${i.region}`,
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
    '',
    ...(i.credentialsFile === undefined ? [] : iamLines(i, dd, i.credentialsFile)),
    `${i.credentialsFile === undefined ? 'Connect' : 'Or connect'} as the password user ${DEMO_USER}, password from the data directory, over verified TLS:`,
    '',
    `  PGPASSWORD="$(cat ${shellQuote(i.passwordFile)})" psql "${conninfo}" -c 'select * from ${DEMO_TABLE}'`,
    '',
    'Manage users with the CLI (admin credentials are in the data directory):',
    '',
    `  npx gatehouse${dd} db list-users --db-instance-identifier ${DEMO_INSTANCE}`,
    `  npx gatehouse${dd} db create-user --db-instance-identifier ${DEMO_INSTANCE} --username alice --auth password`,
    '',
    'Ctrl-C stops everything; running `npx gatehouse up` again resumes with the same state.',
    '',
  ].join('\n');
}
