// What the IAM service families share: dependencies, transactions that notify, AWS error helpers.
import type pg from 'pg';
import type { Account } from '../core/account.js';
import type { Clock } from '../core/clock.js';
import { GatehouseError } from '../core/errors.js';
import type { SecretBox } from '../core/secret-box.js';
import type { Store } from '../store/pool.js';

export interface IamServiceDeps {
  readonly store: Store;
  readonly box: SecretBox;
  readonly clock: Clock;
  readonly account: Account;
  /** Tell every node (LISTEN/NOTIFY) that identities or policies changed, so caches refresh. */
  notify(topic: 'iam'): Promise<void>;
}

export type Tx = pg.PoolClient;

export interface IamContext extends IamServiceDeps {
  /** Runs a mutation in one transaction, then notifies 'iam' once it has committed. */
  mutate<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
}

export function createIamContext(deps: IamServiceDeps): IamContext {
  return {
    ...deps,
    async mutate(fn) {
      const result = await deps.store.withTransaction(fn);
      await deps.notify('iam');
      return result;
    },
  };
}

/** AWS wording: "The user with name alice cannot be found." */
export function noSuchEntity(entity: string, name: string): GatehouseError {
  return new GatehouseError('GH_IAM_NO_SUCH_ENTITY', {
    reason: `The ${entity} with name ${name} cannot be found.`,
  });
}

export function noSuchEntityReason(reason: string): GatehouseError {
  return new GatehouseError('GH_IAM_NO_SUCH_ENTITY', { reason });
}

export function deleteConflict(reason: string): GatehouseError {
  return new GatehouseError('GH_IAM_DELETE_CONFLICT', { reason });
}

export function limitExceeded(reason: string): GatehouseError {
  return new GatehouseError('GH_IAM_LIMIT_EXCEEDED', { reason });
}

/** PostgreSQL unique_violation (23505): a concurrent create of the same name won the race. */
export function isUniqueViolation(e: unknown): boolean {
  return (e as { code?: unknown } | null)?.code === '23505';
}

export async function uniqueName<T>(entity: string, name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (isUniqueViolation(e)) throw new GatehouseError('GH_IAM_ENTITY_EXISTS', { entity, name });
    throw e;
  }
}

export function isoDate(d: Date): string {
  return d.toISOString();
}
