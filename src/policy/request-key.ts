// Interning of (action, resource) pairs into small integers, so each compiled policy can memoise its
// candidate statements in an array slot instead of hashing the same long key once per policy. Only pairs
// seen at least twice get an id: one-off resources (e.g. S3 object keys) would only fill memos and the GC.

const LIMIT = 4096;
/** Pair -> id (>= 0) once seen twice, or -1 after the first sighting. */
const ids = new Map<string, number>();
let nextId = 0;
let epoch = 0;

/** The id of an action/resource pair, or -1 when it is not (yet) worth memoising; see requestKeyEpoch(). */
export function internRequest(actionLower: string, resource: string): number {
  const key = `${actionLower}\u0000${resource}`;
  const id = ids.get(key);
  if (id !== undefined && id >= 0) return id;
  // Bounded: past LIMIT distinct pairs start over, and the epoch tells policies to drop their slots.
  if (ids.size >= LIMIT) {
    ids.clear();
    nextId = 0;
    epoch++;
  }
  if (id === undefined) {
    ids.set(key, -1);
    return -1;
  }
  ids.set(key, nextId);
  return nextId++;
}

export function requestKeyEpoch(): number {
  return epoch;
}
