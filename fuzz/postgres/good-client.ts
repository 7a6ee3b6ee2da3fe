// The good client: unmodified node-postgres logging in (SCRAM in plain and TLS, SCRAM-SHA-256-PLUS, an RDS IAM
// token minted by @aws-sdk/rds-signer) and running `select 1`. Every check must pass throughout a campaign.
import { Socket } from 'node:net';
import pg from 'pg';
import type { GoodClientResult } from '../target.js';

const TIMEOUT_MS = 15_000;
/**
 * The good client connects from another loopback address than the fuzzer (127.0.0.1), as a real client comes from
 * another host: per-source admission caps may rightly refuse the fuzzer's flood, but must not refuse it.
 */
export const GOOD_CLIENT_ADDRESS = '127.0.0.2';

function socketFrom(localAddress: string): () => Socket {
  return () => {
    const socket = new Socket();
    const connect = socket.connect.bind(socket) as (o: {
      port: number;
      host: string;
      localAddress: string;
    }) => Socket;
    socket.connect = ((port: number, host: string) =>
      connect({ port, host, localAddress })) as Socket['connect'];
    return socket;
  };
}

async function check(name: string, config: pg.ClientConfig): Promise<GoodClientResult> {
  const started = performance.now();
  const client = new pg.Client({
    ...config,
    stream: socketFrom(GOOD_CLIENT_ADDRESS),
    connectionTimeoutMillis: TIMEOUT_MS,
    query_timeout: TIMEOUT_MS,
  });
  client.on('error', () => {}); // a late socket error after end() must not crash the fuzzer
  try {
    await client.connect();
    const { rows } = await client.query('select 1 as one');
    if (rows[0]?.one !== 1) throw new Error(`select 1 returned ${JSON.stringify(rows)}`);
    return { name, ok: true, ms: performance.now() - started };
  } catch (e) {
    return { name, ok: false, ms: performance.now() - started, error: (e as Error).message };
  } finally {
    await client.end().catch(() => {});
  }
}

export interface PgGoodClientConfig {
  readonly host: string;
  readonly passwordPort: number;
  readonly iamPort: number;
  readonly user: string;
  readonly password: string;
  readonly iamUser: string;
  readonly database: string;
  mintToken(): Promise<string>;
}

export async function runPgGoodClients(c: PgGoodClientConfig): Promise<GoodClientResult[]> {
  const base = { host: c.host, database: c.database };
  const password = { ...base, port: c.passwordPort, user: c.user, password: c.password };
  const tls = { rejectUnauthorized: false };
  return [
    await check('password/plain', { ...password, ssl: false }),
    await check('password/tls', { ...password, ssl: tls }),
    await check('password/tls+channel-binding', { ...password, ssl: tls, enableChannelBinding: true }),
    await check('iam-token/tls', {
      ...base,
      port: c.iamPort,
      user: c.iamUser,
      password: await c.mintToken(),
      ssl: tls,
    }),
  ];
}
