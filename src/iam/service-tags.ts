// Tag changes shared by users and roles: the 50-tag quota counts keys after the change (replacements are free).
import { countTagsAfter, deleteTagRows, type TaggableKind, upsertTagRows } from '../store/iam-tags-repo.js';
import { limitExceeded, type Tx } from './service-context.js';
import type { Tag } from './types.js';
import { MAX_TAGS } from './validate.js';

/** Callers lock the principal's row first, so two concurrent TagUser calls cannot both pass the quota. */
export async function addTags(
  tx: Tx,
  kind: TaggableKind,
  id: string,
  tags: readonly Tag[],
  quotaName: 'TagsPerUser' | 'TagsPerRole',
): Promise<void> {
  if (tags.length === 0) return;
  const after = await countTagsAfter(
    tx,
    kind,
    id,
    tags.map((t) => t.Key),
  );
  if (after > MAX_TAGS) throw limitExceeded(`Cannot exceed quota for ${quotaName}: ${MAX_TAGS}`);
  await upsertTagRows(
    tx,
    kind,
    id,
    tags.map((t) => ({ key: t.Key, value: t.Value })),
  );
}

/** Removing a key that is not there is not an error (UntagUser is idempotent). */
export async function removeTags(
  tx: Tx,
  kind: TaggableKind,
  id: string,
  keys: readonly string[],
): Promise<void> {
  if (keys.length > 0) await deleteTagRows(tx, kind, id, keys);
}
