// AWS CLI "text" output: tab-separated lines, scalars of an object sorted by key and prefixed with the
// upper-cased name of the list or object they came from, nested values on their own lines.

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

function line(identifier: string | undefined, values: string[]): string {
  return (identifier === undefined ? values : [identifier.toUpperCase(), ...values]).join('\t');
}

function walk(value: unknown, identifier: string | undefined, out: string[]): void {
  if (isScalar(value)) {
    out.push(line(identifier, [scalarText(value)]));
    return;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return;
    if (value.every(isScalar)) out.push(line(identifier, value.map(scalarText)));
    else for (const item of value) walk(item, identifier, out);
    return;
  }
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  const scalars = entries.filter(([, v]) => isScalar(v)) as Array<[string, Scalar]>;
  if (scalars.length > 0)
    out.push(
      line(
        identifier,
        scalars.map(([, v]) => scalarText(v)),
      ),
    );
  for (const [key, v] of entries) if (!isScalar(v)) walk(v, key, out);
}

export function formatText(value: unknown): string {
  const out: string[] = [];
  walk(value, undefined, out);
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}
