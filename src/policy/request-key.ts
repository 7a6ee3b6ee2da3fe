// Interning of (action, resource) pairs into small integers, so each compiled policy can memoise its
// candidate statements in an array slot instead of hashing the same long key once per policy. Only pairs
// seen at least twice get an id: one-off resources (e.g. S3 object keys) would only fill memos and the GC.

const LIMIT = 4096;
/** Action -> resource -> id (>= 0) once seen twice, or -1 after the first sighting. Nested, not a joined key:
 * a resource string the caller reuses keeps its hash, so a lookup hashes nothing new. */
const ids = new Map<string, Map<string, number>>();
let size = 0;
let nextId = 0;
let epoch = 0;

/** The id of an action/resource pair, or -1 when it is not (yet) worth memoising; see requestKeyEpoch(). */
export function internRequest(actionLower: string, resource: string): number {
  let byResource = ids.get(actionLower);
  const id = byResource?.get(resource);
  if (id !== undefined && id >= 0) return id;
  // Bounded: past LIMIT distinct pairs start over, and the epoch tells policies to drop their slots.
  if (size >= LIMIT) {
    ids.clear();
    size = 0;
    nextId = 0;
    epoch++;
    byResource = undefined;
  }
  if (byResource === undefined) {
    byResource = new Map();
    ids.set(actionLower, byResource);
  }
  if (!byResource.has(resource)) {
    byResource.set(resource, -1);
    size++;
    return -1;
  }
  byResource.set(resource, nextId);
  return nextId++;
}

export function requestKeyEpoch(): number {
  return epoch;
}
