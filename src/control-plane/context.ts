// What control-plane operations need: the store, the secret box, the clock, the account, change notification.
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { SecretBox } from '../core/secret-box.js';
import type { Store } from '../store/pool.js';

export interface Account {
  readonly accountId: string;
  readonly region: string;
}

export interface ControlContext {
  readonly store: Store;
  readonly box: SecretBox;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly account: Account;
  readonly scramIterations: number;
  /** Tell every node (LISTEN/NOTIFY) that instances or users changed. */
  notifyChange(topic: ChangeTopic): Promise<void>;
}

export const CHANGE_CHANNEL = 'gatehouse_changes';
export type ChangeTopic = 'instances' | 'db_users' | 'iam';
