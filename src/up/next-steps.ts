// The "next steps" block `gatehouse up` prints: every command in it works when pasted.
import { DEMO_DATABASE, DEMO_INSTANCE, DEMO_TABLE, DEMO_USER } from './demo.js';

export interface NextStepsInput {
  readonly dataDir: string;
  readonly defaultDataDir: boolean;
  readonly host: string;
  readonly pgPort: number;
  readonly apiUrl: string;
  readonly caFile: string;
  readonly passwordFile: string;
  readonly logFile: string;
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`;
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
    '',
    'Connect as the demo user, password from the data directory, over verified TLS:',
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
