// DescribeDBInstances' selection: Filters (db-instance-id, dbi-resource-id, engine) and Marker/MaxRecords pages,
// in identifier order (RDS API Reference, DescribeDBInstances).
import { z } from 'zod';
import type { InstanceView } from '../../core/types.js';
import { text } from './action.js';
import { invalidValue, namedList } from './rds-params.js';

export const FILTER_NAMES = ['db-instance-id', 'dbi-resource-id', 'engine'] as const;
type FilterName = (typeof FILTER_NAMES)[number];

/** `Filters.Filter.N.Name` and `Filters.Filter.N.Values.Value.M`. */
export const filters = namedList(
  'Filter',
  z.object({
    Name: text.refine((n) => (FILTER_NAMES as readonly string[]).includes(n), {
      message: `unrecognized filter name (Gatehouse supports ${FILTER_NAMES.join(', ')})`,
    }),
    Values: namedList('Value', text).refine((v) => v.length > 0, 'a filter needs at least one value'),
  }),
);

export type Filter = { Name: string; Values: string[] };

/** RDS: at least 20, at most 100, default 100. */
export const DEFAULT_MAX_RECORDS = 100;

const FIELD: Record<FilterName, (v: InstanceView) => readonly string[]> = {
  // db-instance-id accepts identifiers and ARNs.
  'db-instance-id': (v) => [v.DBInstanceIdentifier, v.DBInstanceArn],
  'dbi-resource-id': (v) => [v.DbiResourceId],
  engine: (v) => [v.Engine],
};

/** Values of one filter are OR-ed, filters AND-ed. */
function matches(v: InstanceView, list: readonly Filter[]): boolean {
  return list.every((f) => {
    const have = FIELD[f.Name as FilterName](v);
    return f.Values.some((want) => have.includes(want));
  });
}

/** Opaque to clients: the identifier the previous page ended with. */
export function encodeMarker(identifier: string): string {
  return Buffer.from(`after:${identifier}`, 'utf8').toString('base64url');
}

function decodeMarker(marker: string): string {
  const text = /^[A-Za-z0-9_-]{1,200}$/.test(marker) ? Buffer.from(marker, 'base64url').toString('utf8') : '';
  if (!text.startsWith('after:') || text.length === 'after:'.length) {
    throw invalidValue('Marker is not one a previous DescribeDBInstances answer gave');
  }
  return text.slice('after:'.length);
}

export interface DescribePage {
  instances: InstanceView[];
  marker?: string;
}

/**
 * One page. Pages continue after the last identifier returned, so instances created or deleted between two
 * calls neither repeat nor shift the rest.
 */
export function describePage(
  all: readonly InstanceView[],
  o: { filters: readonly Filter[]; maxRecords: number; marker: string | undefined },
): DescribePage {
  const after = o.marker === undefined ? undefined : decodeMarker(o.marker);
  const selected = all
    .filter((v) => matches(v, o.filters))
    .filter((v) => after === undefined || v.DBInstanceIdentifier > after)
    .sort((a, b) => (a.DBInstanceIdentifier < b.DBInstanceIdentifier ? -1 : 1));
  const instances = selected.slice(0, o.maxRecords);
  const last = instances.at(-1);
  return selected.length > o.maxRecords && last
    ? { instances, marker: encodeMarker(last.DBInstanceIdentifier) }
    : { instances };
}
