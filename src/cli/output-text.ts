// AWS CLI "text" output (awscli/text.py): tab-separated lines; an object's scalars sorted by key on one line,
// prefixed with the upper-cased name of the member it came from; the objects of a list share one set of columns
// (a missing member is an empty cell); a named list of scalars gives one line per item, a bare one (a --query
// result) one line; nested values follow on lines of their own.
export type Scalar = string | number | boolean | null | undefined;

export function isScalar(v: unknown): v is Scalar {
  return v === null || v === undefined || typeof v !== 'object';
}

/** Scalars as the AWS CLI prints them (it is Python: True/False/None). */
export function scalarText(v: Scalar): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return String(v);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function upper(identifier: string | undefined): string[] {
  return identifier === undefined ? [] : [identifier.toUpperCase()];
}

function byKey([a]: [string, unknown], [b]: [string, unknown]): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The keys holding a scalar in any of the objects, sorted: the columns of a list of objects. */
function allScalarKeys(items: readonly unknown[]): string[] {
  const keys = new Set<string>();
  for (const item of items) {
    if (!isObject(item)) continue;
    for (const [k, v] of Object.entries(item)) if (v !== undefined && isScalar(v)) keys.add(k);
  }
  return [...keys].sort();
}

function scalarList(items: readonly Scalar[], identifier: string | undefined, out: string[]): void {
  if (identifier === undefined) out.push(items.map(scalarText).join('\t'));
  else for (const v of items) out.push(`${identifier.toUpperCase()}\t${scalarText(v)}`);
}

function list(items: readonly unknown[], identifier: string | undefined, out: string[]): void {
  if (items.length === 0) return;
  if (items.some(isObject)) {
    const columns = allScalarKeys(items);
    for (const item of items) walk(item, identifier, out, columns);
  } else if (items.some(Array.isArray)) {
    const scalars = items.filter(isScalar);
    if (scalars.length > 0) scalarList(scalars, identifier, out);
    for (const item of items) if (!isScalar(item)) walk(item, identifier, out);
  } else {
    scalarList(items as Scalar[], identifier, out);
  }
}

function object(
  o: Record<string, unknown>,
  identifier: string | undefined,
  out: string[],
  columns: readonly string[] | undefined,
): void {
  const entries = Object.entries(o).filter(([, v]) => v !== undefined);
  let cells: string[];
  let nested: Array<[string, unknown]>;
  if (columns === undefined) {
    const sorted = entries.sort(byKey);
    cells = sorted.filter(([, v]) => isScalar(v)).map(([, v]) => scalarText(v as Scalar));
    nested = sorted.filter(([, v]) => !isScalar(v));
  } else {
    cells = columns.map((k) => (o[k] === undefined ? '' : scalarText(o[k] as Scalar)));
    nested = entries.filter(([k]) => !columns.includes(k)).sort(byKey);
  }
  if (cells.length > 0) out.push([...upper(identifier), ...cells].join('\t'));
  for (const [key, v] of nested) walk(v, key, out);
}

function walk(
  value: unknown,
  identifier: string | undefined,
  out: string[],
  columns?: readonly string[],
): void {
  if (Array.isArray(value)) list(value, identifier, out);
  else if (isObject(value)) object(value, identifier, out, columns);
  // A scalar on its own (a --query result, or an item of a list among objects) is printed bare.
  else out.push(scalarText(value as Scalar));
}

export function formatText(value: unknown): string {
  const out: string[] = [];
  walk(value, undefined, out);
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}
