// AWS CLI "table" output: a titled box per object or list, nested objects drawn as boxes inside their parent.
import { isScalar, type Scalar, scalarText } from './output-text.js';

interface Section {
  title: string;
  /** Column headings; empty for key/value and scalar-list sections. */
  headers: string[];
  rows: string[][];
  children: Section[];
}

/** A single object wider than this is drawn as key | value rows, as the AWS CLI does for wide records. */
const MAX_HORIZONTAL_WIDTH = 100;
const PAD = 4;

function sortedEntries(o: Record<string, unknown>): Array<[string, unknown]> {
  return Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function naturalWidths(s: Section): number[] {
  const count = Math.max(s.headers.length, ...s.rows.map((r) => r.length));
  const widths: number[] = [];
  for (let i = 0; i < count; i++) {
    widths.push(Math.max((s.headers[i] ?? '').length, ...s.rows.map((r) => (r[i] ?? '').length)) + PAD);
  }
  return widths;
}

function tableWidth(widths: number[]): number {
  return widths.reduce((a, b) => a + b, 0) + Math.max(0, widths.length - 1);
}

function objectSection(title: string, o: Record<string, unknown>): Section {
  const entries = sortedEntries(o);
  const scalars = entries.filter(([, v]) => isScalar(v)) as Array<[string, Scalar]>;
  const section: Section = {
    title,
    headers: scalars.map(([k]) => k),
    rows: scalars.length > 0 ? [scalars.map(([, v]) => scalarText(v))] : [],
    children: entries.filter(([, v]) => !isScalar(v)).flatMap(([k, v]) => sectionsFor(k, v)),
  };
  if (tableWidth(naturalWidths(section)) > MAX_HORIZONTAL_WIDTH) {
    section.rows = scalars.map(([k, v]) => [k, scalarText(v)]);
    section.headers = [];
  }
  return section;
}

function sectionsFor(title: string, value: unknown): Section[] {
  if (isScalar(value)) return [{ title, headers: [], rows: [[scalarText(value)]], children: [] }];
  if (!Array.isArray(value)) return [objectSection(title, value as Record<string, unknown>)];
  if (value.length === 0) return [];
  if (value.every(isScalar))
    return [{ title, headers: [], rows: value.map((v) => [scalarText(v)]), children: [] }];
  const objects = value.filter((v): v is Record<string, unknown> => !isScalar(v) && !Array.isArray(v));
  const flat = objects.length === value.length && objects.every((o) => Object.values(o).every(isScalar));
  if (!flat) return value.flatMap((item) => sectionsFor(title, item));
  const headers = [...new Set(objects.flatMap((o) => Object.keys(o)))].sort();
  const rows = objects.map((o) => headers.map((h) => (h in o ? scalarText(o[h] as Scalar) : '')));
  return [{ title, headers, rows, children: [] }];
}

function requiredWidth(s: Section): number {
  return Math.max(
    s.title.length + PAD,
    tableWidth(naturalWidths(s)),
    ...s.children.map((c) => requiredWidth(c) + 2),
  );
}

/** Natural column widths stretched to fill `inner` characters, the remainder going to the last column. */
function fitWidths(s: Section, inner: number): number[] {
  const widths = naturalWidths(s);
  if (widths.length === 0) return widths;
  const extra = inner - tableWidth(widths);
  const each = Math.floor(extra / widths.length);
  const fitted = widths.map((w) => w + each);
  fitted[fitted.length - 1]! += extra - each * widths.length;
  return fitted;
}

function center(text: string, width: number): string {
  const left = Math.floor((width - text.length) / 2);
  return ' '.repeat(left) + text + ' '.repeat(width - text.length - left);
}

function renderSection(s: Section, inner: number): string[] {
  const widths = fitWidths(s, inner);
  const rule =
    widths.length > 0 ? `+${widths.map((w) => '-'.repeat(w)).join('+')}+` : `+${'-'.repeat(inner)}+`;
  const row = (cells: string[], align: (c: string, w: number) => string): string =>
    `|${widths.map((w, i) => align(cells[i] ?? '', w)).join('|')}|`;
  const lines = [`|${center(s.title, inner)}|`, rule];
  if (s.headers.length > 0) lines.push(row(s.headers, center), rule);
  for (const r of s.rows) lines.push(row(r, (c, w) => `  ${c}`.padEnd(w)));
  if (s.rows.length > 0) lines.push(rule);
  for (const child of s.children) lines.push(...renderSection(child, inner - 2).map((l) => `|${l}|`));
  return lines;
}

export function formatTable(value: unknown, title: string): string {
  const root =
    isScalar(value) || Array.isArray(value)
      ? sectionsFor(title, value)[0]
      : objectSection(title, value as Record<string, unknown>);
  if (!root) return '';
  const inner = requiredWidth(root);
  return `${['-'.repeat(inner + 2), ...renderSection(root, inner)].join('\n')}\n`;
}
