// SigV4 credential lookup for both long-term user keys (AKIA, gh_access_keys) and STS session keys (ASIA, gh_sts_sessions).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { GatehouseError } from '../core/errors.js';
import type { SecretBox } from '../core/secret-box.js';
import type { AccessKeyLookup, AccessKeyRecord } from '../core/types.js';
import { recordAccessKeyUse } from '../store/access-keys-repo.js';
import { findUserAccessKey } from '../store/iam-access-keys-repo.js';
import { findRoleById } from '../store/iam-roles-repo.js';
import { findSessionRow } from '../store/iam-sessions-repo.js';
import type { Store } from '../store/pool.js';
import { assumedRoleArn, parseIamArn } from './arns.js';

/** Binds a sealed secret to its key id, so a sealed value copied onto another row does not open. */
export function accessKeyAad(accessKeyId: string): string {
  return `access-key:${accessKeyId}`;
}

/** Session tokens are random; only SHA-256 of them is stored, like a password database of high-entropy secrets. */
export function hashSessionToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** What a SigV4 verifier needs besides the signature check for an ASIA key (see checkSessionToken). */
export interface SessionCredentialRecord extends AccessKeyRecord {
  readonly sessionTokenHash: Buffer;
  readonly expiresAt: Date;
}

export function isSessionRecord(r: AccessKeyRecord): r is SessionCredentialRecord {
  return r.sessionTokenHash !== undefined && r.expiresAt !== undefined;
}

/**
 * For a temporary key: the X-Amz-Security-Token must be present and hash to the stored value (compared
 * in constant time), and the session must not have expired. Throws GH_STS_INVALID_TOKEN or
 * GH_STS_EXPIRED_TOKEN; a long-term key needs no token and passes.
 */
export function checkSessionToken(
  record: AccessKeyRecord,
  sessionToken: string | undefined,
  clock: Clock,
): void {
  if (record.sessionTokenHash === undefined) return;
  if (sessionToken === undefined || sessionToken === '') {
    throw new GatehouseError(
      'GH_STS_INVALID_TOKEN',
      {},
      { detail: `temporary key ${record.accessKeyId} used without its session token` },
    );
  }
  const offered = hashSessionToken(sessionToken);
  if (
    offered.length !== record.sessionTokenHash.length ||
    !timingSafeEqual(offered, record.sessionTokenHash)
  ) {
    throw new GatehouseError(
      'GH_STS_INVALID_TOKEN',
      {},
      { detail: `wrong session token for temporary key ${record.accessKeyId}` },
    );
  }
  if (record.expiresAt !== undefined && clock.now().getTime() >= record.expiresAt.getTime()) {
    throw new GatehouseError(
      'GH_STS_EXPIRED_TOKEN',
      {},
      {
        detail: `session ${record.accessKeyId} of ${record.principalArn} expired at ${record.expiresAt.toISOString()}`,
      },
    );
  }
}

const LAST_USED_GRANULARITY_MS = 60_000;

/**
 * AKIA keys: the user's key row (status as stored). ASIA keys: the session, reported Active until it
 * expires (the caller applies checkSessionToken); null when its role was deleted or re-created (a
 * new role id), so the key reads as unknown.
 */
export function createCredentialLookup(
  store: Store,
  box: SecretBox,
  clock: Clock,
  onError: (e: unknown) => void = () => {},
): AccessKeyLookup {
  // Last-used is recorded at most once a minute per key and node: it is an audit hint, not a counter,
  // and a write per signed request would put the store on every API call's path.
  const lastWrite = new Map<string, number>();
  return {
    recordUse(accessKeyId, service, at) {
      if (accessKeyId.startsWith('ASIA')) return;
      const previous = lastWrite.get(accessKeyId);
      if (previous !== undefined && at.getTime() - previous < LAST_USED_GRANULARITY_MS) return;
      lastWrite.set(accessKeyId, at.getTime());
      recordAccessKeyUse(store.pool, accessKeyId, service, at).catch(onError);
    },
    async findAccessKey(accessKeyId) {
      if (accessKeyId.startsWith('ASIA')) {
        const s = await findSessionRow(store.pool, accessKeyId);
        if (!s) return null;
        const role = await findRoleById(store.pool, s.roleId);
        if (!role || role.arn !== s.roleArn) return null;
        const accountId = parseIamArn(role.arn)?.accountId ?? '';
        const record: SessionCredentialRecord = {
          accessKeyId,
          secretAccessKey: box.open(s.secret, accessKeyAad(accessKeyId)).toString('utf8'),
          status: clock.now().getTime() < s.expiresAt.getTime() ? 'Active' : 'Inactive',
          principalArn: assumedRoleArn(accountId, role.name, s.sessionName),
          userId: `${role.roleId}:${s.sessionName}`,
          sessionTokenHash: s.tokenHash,
          expiresAt: s.expiresAt,
          issuedAt: s.createdAt,
        };
        return record;
      }
      const row = await findUserAccessKey(store.pool, accessKeyId);
      if (!row) return null;
      return {
        accessKeyId,
        secretAccessKey: box.open(row.secret, accessKeyAad(accessKeyId)).toString('utf8'),
        status: row.status,
        principalArn: row.principalArn,
        ...(row.userId !== null && { userId: row.userId }),
      };
    },
  };
}
