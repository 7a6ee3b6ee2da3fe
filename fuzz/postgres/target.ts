// The PostgreSQL fuzz target: Gatehouse's three loopback listeners, the generator families and the good client.
import { Signer } from '@aws-sdk/rds-signer';
import type { FuzzTarget, Listener } from '../target.js';
import { createPostgresFamilies } from './families.js';
import { runPgGoodClients } from './good-client.js';

/** What the gateway child reports once it is serving (see gatehouse-child.mjs). */
export interface GatehouseInfo {
  readonly ports: { readonly password: number; readonly iam: number; readonly forceSsl: number };
  readonly passwordUser: string;
  readonly forceSslUser: string;
  readonly password: string;
  readonly iamUser: string;
  readonly database: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly startupDeadlineMs: number;
}

const HOST = '127.0.0.1';

export async function createPostgresTarget(info: GatehouseInfo): Promise<FuzzTarget> {
  const listener = (name: string, port: number): Listener => ({ name, host: HOST, port });
  const listeners = {
    password: listener('password', info.ports.password),
    iam: listener('iam', info.ports.iam),
    forceSsl: listener('force-ssl', info.ports.forceSsl),
  };
  const signer = new Signer({
    hostname: HOST,
    port: info.ports.iam,
    username: info.iamUser,
    region: info.region,
    credentials: info.credentials,
  });
  let token = await signer.getAuthToken();
  const families = await createPostgresFamilies({
    listeners,
    passwordUser: info.passwordUser,
    forceSslUser: info.forceSslUser,
    password: info.password,
    iamUser: info.iamUser,
    database: info.database,
    token: () => token,
    tls: true,
  });
  return {
    name: 'postgres',
    listeners: Object.values(listeners),
    families,
    startupDeadlineMs: info.startupDeadlineMs,
    goodClient: () =>
      runPgGoodClients({
        host: HOST,
        passwordPort: info.ports.password,
        iamPort: info.ports.iam,
        user: info.passwordUser,
        password: info.password,
        iamUser: info.iamUser,
        database: info.database,
        mintToken: () => signer.getAuthToken(),
      }),
    async refresh() {
      token = await signer.getAuthToken();
    },
  };
}
