// An in-memory key lookup whose records may be temporary (STS) keys carrying a session-token hash and expiry.
import { createHash } from 'node:crypto';
import type { AccessKeyLookup, AccessKeyRecord } from '../../../../../src/core/types.js';

export type KeyRecord = AccessKeyRecord;

export function tokenHash(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export class SessionKeys implements AccessKeyLookup {
  readonly records = new Map<string, KeyRecord>();

  add(
    record: Pick<KeyRecord, 'accessKeyId' | 'secretAccessKey' | 'principalArn'> & Partial<KeyRecord>,
  ): KeyRecord {
    const full: KeyRecord = { status: 'Active', ...record };
    this.records.set(full.accessKeyId, full);
    return full;
  }

  update(accessKeyId: string, change: Partial<KeyRecord>): void {
    const found = this.records.get(accessKeyId);
    if (!found) throw new Error(`no test key ${accessKeyId}`);
    this.records.set(accessKeyId, { ...found, ...change });
  }

  async findAccessKey(accessKeyId: string): Promise<KeyRecord | null> {
    return this.records.get(accessKeyId) ?? null;
  }
}
