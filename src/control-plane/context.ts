// What control-plane operations need: the store, the secret box, the clock, the account, change notification.
import type { Account } from '../core/account.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { SecretBox } from '../core/secret-box.js';
import type { BackendProvisioner } from '../provisioning/provisioner.js';
import type { ChangeTopic } from '../store/changes.js';
import type { Store } from '../store/pool.js';

/** What CreateDBInstance / ModifyDBInstance use for what a caller leaves out (config `rds`, docs/rds-api.md). */
export interface InstanceDefaults {
  /** Host of the listener of an instance given only a Port (or neither Port nor Listen). */
  readonly listenHost: string;
  /** Admin URL of the backend an instance created without BackendUrl fronts; none: BackendUrl is required. */
  readonly backendUrl?: string | undefined;
}

export interface ControlContext {
  readonly store: Store;
  readonly box: SecretBox;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly account: Account;
  readonly scramIterations: number;
  /** Backend provisioners by engine name: the engines instances may be created with. */
  readonly provisioners: ReadonlyMap<string, BackendProvisioner>;
  /** Absent: listen host 127.0.0.1 and no default backend. */
  readonly instanceDefaults?: InstanceDefaults;
  /** Tell every node (LISTEN/NOTIFY) that instances or users changed. */
  notifyChange(topic: ChangeTopic): Promise<void>;
}

export type { ChangeTopic };
