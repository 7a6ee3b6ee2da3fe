// Interning of (action, resource) pairs into small integers, so each compiled policy can memoise its
// candidate statements in an array slot instead of hashing the same long key once per policy.

const LIMIT = 4096;
const ids = new Map<string, number>();
let epoch = 0;

/** The id of an action/resource pair; ids are only meaningful together with requestKeyEpoch(). */
export function internRequest(actionLower: string, resource: string): number {
  const key = `${actionLower}\u0000${resource}`;
  let id = ids.get(key);
  if (id === undefined) {
    // Bounded: past LIMIT distinct pairs start over, and the epoch tells policies to drop their slots.
    if (ids.size >= LIMIT) {
      ids.clear();
      epoch++;
    }
    id = ids.size;
    ids.set(key, id);
  }
  return id;
}

export function requestKeyEpoch(): number {
  return epoch;
}
