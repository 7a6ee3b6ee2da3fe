// Real-store harness for the IAM tests: one embedded PostgreSQL per test file, a migrated database per harness.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { expect } from 'vitest';
import type { Account } from '../../../src/core/account.js';
import { ManualClock } from '../../../src/core/clock.js';
import { GatehouseError } from '../../../src/core/errors.js';
import { createSecretBox, type SecretBox } from '../../../src/core/secret-box.js';
import { createIamService } from '../../../src/iam/service.js';
import type { Caller, IamService } from '../../../src/iam/types.js';
import { migrate } from '../../../src/store/migrate.js';
import { openStore, type Store } from '../../../src/store/pool.js';
import { startEmbeddedPostgres, type TestPostgres } from '../../support/embedded-pg.js';

export const ACCOUNT: Account = { accountId: '123456789012', region: 'us-east-1' };

export interface Harness {
  readonly store: Store;
  readonly box: SecretBox;
  readonly clock: ManualClock;
  readonly iam: IamService;
  /** How many times the service called notify('iam'). */
  notified(): number;
}

export interface Cluster {
  harness(): Promise<Harness>;
  /** A store on a new, empty database (no migrations applied). */
  emptyStore(): Promise<Store>;
  stop(): Promise<void>;
}

export async function startCluster(name: string): Promise<Cluster> {
  const server: TestPostgres = await startEmbeddedPostgres({ name });
  const stores: Store[] = [];
  const emptyStore = async (): Promise<Store> => {
    const db = `iam_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client(server.url);
    await admin.connect();
    await admin.query(`CREATE DATABASE ${db}`);
    await admin.end();
    const store = await openStore(server.adminUrl(db));
    stores.push(store);
    return store;
  };
  return {
    emptyStore,
    async harness() {
      const store = await emptyStore();
      await migrate(store);
      const box = createSecretBox(randomBytes(32));
      const clock = new ManualClock(new Date('2025-01-01T00:00:00Z'));
      let count = 0;
      const iam = createIamService({
        store,
        box,
        clock,
        account: ACCOUNT,
        notify: async (topic) => {
          expect(topic).toBe('iam');
          count++;
        },
      });
      return { store, box, clock, iam, notified: () => count };
    },
    async stop() {
      await Promise.all(stores.map((s) => s.close()));
      await server.stop();
    },
  };
}

/** The GatehouseError a promise rejects with (failing the test if it resolves or throws something else). */
export async function refusal(p: Promise<unknown>): Promise<GatehouseError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(GatehouseError);
  return e as GatehouseError;
}

/** Expects a refusal with this AWS error code (and GH_ code), returning it for message checks. */
export async function awsError(p: Promise<unknown>, awsCode: string): Promise<GatehouseError> {
  const e = await refusal(p);
  expect({ awsCode: e.spec.awsCode, message: e.message }).toMatchObject({ awsCode });
  return e;
}

export function userCaller(name: string, accessKeyId = 'AKIAAAAAAAAAAAAAAAAA'): Caller {
  return {
    arn: `arn:aws:iam::${ACCOUNT.accountId}:user/${name}`,
    accountId: ACCOUNT.accountId,
    userId: 'AIDAXXXXXXXXXXXXXXXXX',
    accessKeyId,
    userName: name,
  };
}

export const ALLOW_ALL = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
});

export function allow(action: string, resource = '*'): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: action, Resource: resource }],
  });
}
