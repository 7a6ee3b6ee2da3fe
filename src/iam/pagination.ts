// IAM list pagination (Marker / MaxItems / IsTruncated): keyset pages on each list's sort key, opaque markers.
import { GatehouseError } from '../core/errors.js';
import type { Keyed } from '../store/iam-keyset.js';
import type { PageInput, PageOutput } from './types.js';
import { checkIntRange } from './validate.js';

export const MAX_ITEMS = { default: 100, min: 1, max: 1000 } as const;

/** Which list a marker belongs to: a marker from ListRoles is refused by ListUsers. */
export type ListId =
  | 'users'
  | 'groups'
  | 'roles'
  | 'groups-for-user'
  | 'group-users'
  | 'access-keys'
  | 'inline-policies'
  | 'attached-policies'
  | 'policies'
  | 'policy-versions'
  | 'tags'
  | 'policy-entities'
  | 'authorization-details';

/** text: any string without control characters; int: int4 (SQL `::int`); bigint: int8 (`::bigint`); time: see below. */
type KeyPart = 'text' | 'int' | 'bigint' | 'time';

/** The sort key of each list, part by part (time: UTC with microseconds, as src/store/iam-keyset.ts writes it). */
const KEY_SHAPES: Readonly<Record<ListId, readonly KeyPart[]>> = {
  users: ['text'],
  groups: ['text'],
  roles: ['text'],
  'groups-for-user': ['text'],
  'group-users': ['text'],
  'access-keys': ['time', 'text'],
  'inline-policies': ['text'],
  'attached-policies': ['time', 'text'],
  policies: ['text', 'text'],
  'policy-versions': ['int'],
  tags: ['bigint'], // gh_iam_tags.position is a bigserial
  'policy-entities': ['int', 'text'],
  'authorization-details': ['int', 'text'],
};

const INT4_MAX = 2_147_483_647;
const TIME_FORM = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3})\d{3}Z$/;

/**
 * Whether `part` is a key part of this kind as the store writes it, so that the SQL cast of the part (`::int`,
 * `::bigint`, `::timestamptz`, a text parameter) cannot fail: an out-of-range int, an impossible date or a NUL
 * would otherwise be a PostgreSQL error (22003, 22008, 22021) answered as HTTP 500 instead of InvalidMarker.
 */
function validPart(kind: KeyPart, part: string): boolean {
  switch (kind) {
    case 'text':
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
      return part.length <= 2048 && !/[\u0000-\u001f\u007f]/.test(part);
    case 'int':
      return /^\d{1,10}$/.test(part) && Number(part) <= INT4_MAX;
    case 'bigint':
      return /^\d{1,18}$/.test(part); // at most 10^18 - 1, inside int8
    case 'time': {
      // UTC with microseconds (src/store/iam-keyset.ts timeKey); a real instant: the millisecond prefix must
      // round-trip through Date unchanged (2024-13-45T99:… does not).
      const m = TIME_FORM.exec(part);
      if (m === null || part.startsWith('0000')) return false; // PostgreSQL has no year 0
      const ms = `${m[1] as string}Z`;
      const t = Date.parse(ms);
      return Number.isFinite(t) && new Date(t).toISOString() === ms;
    }
  }
}

/** A validated page request: at most `limit` items strictly after the row whose sort key is `after`. */
export interface PageRequest {
  readonly list: ListId;
  readonly limit: number;
  readonly after: readonly string[] | null;
}

const MARKER_VERSION = 1;
const MAX_MARKER_LENGTH = 4096;

function invalidMarker(reason: string): GatehouseError {
  return new GatehouseError('GH_IAM_INVALID_MARKER', { reason });
}

/**
 * The marker is the sort key of the last item returned (base64url JSON), not an offset: rows inserted or
 * deleted before it while a client pages neither repeat nor shift the items it already has.
 */
export function encodeMarker(list: ListId, key: readonly string[]): string {
  return Buffer.from(JSON.stringify({ v: MARKER_VERSION, l: list, k: key }), 'utf8').toString('base64url');
}

export function decodeMarker(list: ListId, marker: string): string[] {
  if (marker.length === 0 || marker.length > MAX_MARKER_LENGTH || !/^[A-Za-z0-9_-]+$/.test(marker)) {
    throw invalidMarker('it is not a marker returned by this API');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(marker, 'base64url').toString('utf8'));
  } catch {
    throw invalidMarker('it is not a marker returned by this API');
  }
  const m = parsed as { v?: unknown; l?: unknown; k?: unknown } | null;
  if (
    typeof m !== 'object' ||
    m === null ||
    m.v !== MARKER_VERSION ||
    !Array.isArray(m.k) ||
    !m.k.every((x) => typeof x === 'string')
  ) {
    throw invalidMarker('it is not a marker returned by this API');
  }
  if (m.l !== list) throw invalidMarker('it was returned by another list action');
  const shape = KEY_SHAPES[list];
  const key = m.k as string[];
  if (key.length !== shape.length || !key.every((part, i) => validPart(shape[i] as KeyPart, part))) {
    throw invalidMarker('it is not a marker returned by this API');
  }
  return key;
}

/** Checks MaxItems (ValidationError, AWS wording) and decodes the Marker (GH_IAM_INVALID_MARKER). */
export function pageRequest(list: ListId, p: PageInput): PageRequest {
  const limit =
    p.MaxItems === undefined
      ? MAX_ITEMS.default
      : checkIntRange('maxItems', p.MaxItems, MAX_ITEMS.min, MAX_ITEMS.max);
  return { list, limit, after: p.Marker === undefined ? null : decodeMarker(list, p.Marker) };
}

/** The first `limit` rows and the paging members: a marker naming the last row returned when more follow. */
export function toPage<T>(req: PageRequest, rows: readonly Keyed<T>[]): { items: T[]; page: PageOutput } {
  const items = rows.slice(0, req.limit);
  if (rows.length <= req.limit) return { items: items.map((r) => r.row), page: { IsTruncated: false } };
  const last = items[items.length - 1] as Keyed<T>;
  return {
    items: items.map((r) => r.row),
    page: { IsTruncated: true, Marker: encodeMarker(req.list, last.key) },
  };
}
