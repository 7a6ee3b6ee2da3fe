// docs/architecture.md "Source layout", enforced: every folder under src/ is classified with what it may import,
// no import cycle exists anywhere under src/ (type-only imports count), engine folders stay apart, and SQL
// lives in src/store/. Imports are read with the TypeScript parser: `import … from`, `import type`,
// `export … from`, `import('…')` (lazy loads count) and `import('…').T` type references.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

/** What a folder directly under src/ may import besides itself; `except` lists what it may not (all else may). */
type Rule = readonly string[] | { readonly except: readonly string[] };

/**
 * The layering table. `(root)` is src/*.ts. A new folder under src/ fails the test until it is classified here.
 * Composition code (wiring/, up/, the root files) may import anything: it is where the layers are put together.
 */
const LAYERS: Record<string, Rule> = {
  protocol: [], // pure wire codecs
  core: [], // errors, clock, ids, logger, secret box, shared types
  policy: ['core'],
  auth: ['core', 'protocol'], // policy too if ever needed
  store: ['core'],
  tls: ['core'],
  config: ['core'],
  iam: ['core', 'policy', 'store'],
  // auth: SCRAM verifiers, the only form a backend role password is sent in. store, protocol too if ever needed.
  provisioning: ['core', 'auth'],
  engines: ['protocol', 'auth', 'policy', 'core', 'provisioning'],
  // engines: only engines/common, and only `import type` (checked below).
  'control-plane': ['core', 'store', 'iam', 'provisioning', 'auth', 'policy', 'engines'],
  api: ['core', 'iam', 'control-plane', 'policy', 'auth', 'tls'], // never engines
  cli: { except: ['engines'] },
  wiring: { except: [] },
  up: { except: [] },
  '(root)': { except: [] },
};

/**
 * Folders docs/architecture.md plans that do not exist yet, with their intended rule. Once one is created the
 * test fails until its line moves into LAYERS (and engines' rule says whether engines may use it).
 */
const PLANNED: Record<string, Rule> = {
  audit: ['core'],
  network: ['core'],
};

/**
 * Imports (`from -> to`, relative to src/) that break the intended direction today. Each is a debt with a
 * remedy; the test fails when one is no longer there, so the list only shrinks.
 */
const KNOWN_VIOLATIONS: Record<string, string> = {};

/**
 * Files outside src/store/ allowed to hold SQL. `backend`: statements run on a *backend* database (the one
 * Gatehouse fronts) through its admin connection, never on the state store, so store/ is the wrong home.
 * `pending`: state-store SQL still to move into a store/ repository; the test fails once a file is clean, so
 * the entry gets deleted. `text`: SQL words as data about statements (command tags), never run.
 */
const SQL_OUTSIDE_STORE: Record<
  string,
  { readonly kind: 'backend' | 'pending' | 'text'; readonly why: string }
> = {
  'provisioning/': {
    kind: 'backend',
    why: 'CREATE ROLE / ALTER ROLE / GRANT rds_iam on the backend, through the instance admin connection',
  },
  'engines/postgres/statement-class.ts': {
    kind: 'text',
    why: "statement events name the client's statements by PostgreSQL's command tags (`SELECT INTO`); nothing is run",
  },
  'up/demo.ts': {
    kind: 'backend',
    why: '`up` creates the demo database, table and grants on the embedded PostgreSQL acting as demo backend',
  },
  'up/limits.ts': {
    kind: 'backend',
    why: "`up` reads the demo backend's max_connections / shared_buffers to size its listeners",
  },
};

interface Import {
  /** Absolute path of the imported .ts file (it may not exist while someone is mid-edit). */
  readonly target: string;
  readonly typeOnly: boolean;
  readonly line: number;
}

interface Source {
  readonly path: string;
  /** Relative to src/, e.g. `core/clock.ts`. */
  readonly rel: string;
  readonly ast: ts.SourceFile;
  readonly imports: readonly Import[];
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name);
      return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
    });
}

/** `./x.js` → x.ts (or x.d.ts, or x/index.ts) next to the importing file; bare specifiers are not ours. */
function resolveSpecifier(from: string, spec: string): string | null {
  if (!spec.startsWith('./') && !spec.startsWith('../')) return null;
  const base = resolve(dirname(from), spec);
  const stem = base.replace(/\.(js|ts)$/, '');
  for (const candidate of [`${stem}.ts`, `${stem}.d.ts`, join(base, 'index.ts')]) {
    if (existsSync(candidate)) return candidate;
  }
  return `${stem}.ts`;
}

function specifierText(node: ts.Node | undefined): string | null {
  return node && ts.isStringLiteralLike(node) ? node.text : null;
}

/** Every project import of a file: static, type-only, re-exports, dynamic `import()` and `import('…').T`. */
function importsOf(path: string, ast: ts.SourceFile): Import[] {
  const found: Import[] = [];
  const add = (node: ts.Node, spec: string | null, typeOnly: boolean) => {
    if (spec === null) return;
    const target = resolveSpecifier(path, spec);
    if (target === null) return;
    const line = ast.getLineAndCharacterOfPosition(node.getStart(ast)).line + 1;
    found.push({ target, typeOnly, line });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const named = clause?.namedBindings;
      const allTypes =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            named !== undefined &&
            ts.isNamedImports(named) &&
            named.elements.length > 0 &&
            named.elements.every((e) => e.isTypeOnly)));
      add(node, specifierText(node.moduleSpecifier), allTypes);
    } else if (ts.isExportDeclaration(node)) {
      const clause = node.exportClause;
      const allTypes =
        node.isTypeOnly ||
        (clause !== undefined &&
          ts.isNamedExports(clause) &&
          clause.elements.length > 0 &&
          clause.elements.every((e) => e.isTypeOnly));
      add(node, specifierText(node.moduleSpecifier), allTypes);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node, specifierText(node.arguments[0]), false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node, specifierText(node.argument.literal), true);
    }
    ts.forEachChild(node, visit);
  };
  visit(ast);
  return found;
}

function parse(path: string, text: string): ts.SourceFile {
  return ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
}

function load(): Source[] {
  return tsFiles(SRC).map((path) => {
    const ast = parse(path, readFileSync(path, 'utf8'));
    return { path, rel: relative(SRC, path), ast, imports: importsOf(path, ast) };
  });
}

/** Folder directly under src/ (`core`, `engines`, …), or `(root)` for src/*.ts. */
function area(rel: string): string {
  return rel.includes('/') ? (rel.split('/')[0] as string) : '(root)';
}

function mayImport(rule: Rule, to: string): boolean {
  return Array.isArray(rule)
    ? rule.includes(to)
    : !(rule as { except: readonly string[] }).except.includes(to);
}

/** `engines/<x>/…` → `<x>`; files directly in engines/ (the registry) → null. */
function engineFolder(rel: string): string | null {
  const parts = rel.split('/');
  return parts[0] === 'engines' && parts.length > 2 ? (parts[1] as string) : null;
}

/**
 * Every import cycle, one per strongly connected component of the file graph (Tarjan), each written as a path
 * `a.ts -> b.ts -> … -> a.ts` through that component.
 */
function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const strongConnect = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        strongConnect(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || graph.get(v)?.includes(v)) components.push(component);
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) strongConnect(v);

  // A concrete cycle per component: shortest path from its first file back to itself, inside the component.
  return components.map((component) => {
    const members = new Set(component);
    const start = [...component].sort()[0] as string;
    const previous = new Map<string, string>();
    const queue = [start];
    let last: string | null = null;
    while (queue.length > 0 && last === null) {
      const v = queue.shift() as string;
      for (const w of graph.get(v) ?? []) {
        if (!members.has(w)) continue;
        if (w === start) {
          last = v;
          break;
        }
        if (!previous.has(w)) {
          previous.set(w, v);
          queue.push(w);
        }
      }
    }
    const path = [start];
    for (let v = last as string; v !== start; v = previous.get(v) as string) path.splice(1, 0, v);
    return [...path, start];
  });
}

describe('layering', () => {
  const sources = load();
  const byRel = new Map(sources.map((s) => [s.rel, s]));
  const edges = sources.flatMap((s) =>
    s.imports.map((i) => ({ from: s.rel, to: relative(SRC, i.target), typeOnly: i.typeOnly, line: i.line })),
  );

  it('finds the source tree and its imports', () => {
    expect(sources.length).toBeGreaterThan(100);
    expect(edges.length).toBeGreaterThan(500);
  });

  it('sees static, type-only, re-exported and lazy imports', () => {
    const file = join(SRC, 'x/a.ts');
    const text = [
      "import { a } from './b.js';",
      "import type { T } from '../c/d.js';",
      "import { type U, type V } from './e.js';",
      "import { type W, w } from './f.js';",
      "export { g } from './g.js';",
      "export type { H } from './h.js';",
      "export * from './i.js';",
      "import 'node:fs';",
      "const j = async () => (await import('./j.js')).j;",
      "type K = import('./k.js').K;",
      'import {',
      '  l,',
      "} from './l.js';",
      "// import { m } from './m.js';",
      "const n = 'import { n } from ./n.js';",
    ].join('\n');
    const got = importsOf(file, parse(file, text)).map(
      (i) => `${relative(SRC, i.target)}${i.typeOnly ? ' (type)' : ''}`,
    );
    expect(got).toEqual([
      'x/b.ts',
      'c/d.ts (type)',
      'x/e.ts (type)',
      'x/f.ts',
      'x/g.ts',
      'x/h.ts (type)',
      'x/i.ts',
      'x/j.ts',
      'x/k.ts (type)',
      'x/l.ts',
    ]);
  });

  it('classifies every folder under src/', () => {
    const folders = readdirSync(SRC).filter((name) => statSync(join(SRC, name)).isDirectory());
    const unclassified = folders.filter((f) => !(f in LAYERS)).map((f) => `src/${f}/ is not in LAYERS`);
    const planned = folders
      .filter((f) => f in PLANNED)
      .map((f) => `src/${f}/ exists now: move it from PLANNED to LAYERS`);
    const missing = Object.keys(LAYERS)
      .filter((f) => f !== '(root)' && !folders.includes(f))
      .map((f) => `LAYERS names src/${f}/, which does not exist`);
    expect([...unclassified, ...planned, ...missing]).toEqual([]);
  });

  it('every import goes in an allowed direction', () => {
    const violations: string[] = [];
    const seen = new Set<string>();
    for (const e of edges) {
      const from = area(e.from);
      const to = area(e.to);
      if (from === to) continue;
      const rule = LAYERS[from];
      let wrong = rule === undefined || !mayImport(rule, to);
      // control-plane may use engine-neutral engine types only: engines/common, type-only.
      if (!wrong && from === 'control-plane' && to === 'engines') {
        wrong = engineFolder(e.to) !== 'common' || !e.typeOnly;
      }
      if (!wrong) continue;
      const key = `${e.from} -> ${e.to}`;
      if (key in KNOWN_VIOLATIONS) seen.add(key);
      else violations.push(`src/${e.from}:${e.line} imports src/${e.to} (${from} may not import ${to})`);
    }
    for (const key of Object.keys(KNOWN_VIOLATIONS)) {
      if (!seen.has(key)) violations.push(`KNOWN_VIOLATIONS entry no longer needed, delete it: ${key}`);
    }
    expect(violations).toEqual([]);
  });

  it('engine folders use engines/common and nothing of each other; engines/common uses no engine', () => {
    const violations: string[] = [];
    for (const e of edges) {
      const from = engineFolder(e.from);
      if (from === null || area(e.to) !== 'engines') continue;
      const to = engineFolder(e.to) ?? e.to.slice('engines/'.length); // a file directly in engines/: the registry
      if (to === from) continue;
      if (from !== 'common' && to === 'common') continue;
      violations.push(
        `src/${e.from}:${e.line} imports src/${e.to} (engines/${from} may not import engines/${to})`,
      );
    }
    expect(violations).toEqual([]);
  });

  it('has no import cycle under src/ (type-only and lazy imports count)', () => {
    const graph = new Map(sources.map((s) => [s.path, s.imports.map((i) => i.target)]));
    const cycles = findCycles(graph).map((c) => `cycle: ${c.map((p) => relative(SRC, p)).join(' -> ')}`);
    expect(cycles).toEqual([]);
  });

  it('the cycle finder reports each cycle by its files', () => {
    const g = new Map<string, string[]>([
      ['a', ['b']],
      ['b', ['c', 'd']],
      ['c', ['a']],
      ['d', []],
      ['e', ['e']],
    ]);
    expect(findCycles(g)).toEqual([
      ['a', 'b', 'c', 'a'],
      ['e', 'e'],
    ]);
  });

  it('SQL appears only under src/store/ (and the listed exceptions)', () => {
    // Heuristic: a string or template literal that reads like a DML statement, or any `.query(` call.
    const SQL = /\b(SELECT|INSERT|UPDATE|DELETE)\b[\s\S]*\b(FROM|INTO|SET)\b/;
    const found = new Map<string, string[]>();
    for (const s of sources) {
      if (area(s.rel) === 'store' || s.rel.endsWith('.d.ts')) continue;
      const hits: string[] = [];
      const at = (node: ts.Node) =>
        `src/${s.rel}:${s.ast.getLineAndCharacterOfPosition(node.getStart(s.ast)).line + 1}`;
      const visit = (node: ts.Node): void => {
        if (ts.isStringLiteralLike(node) && SQL.test(node.text)) hits.push(`${at(node)} SQL literal`);
        else if (ts.isTemplateExpression(node)) {
          const text =
            node.head.text + node.templateSpans.map((span) => `\${…}${span.literal.text}`).join('');
          if (SQL.test(text)) hits.push(`${at(node)} SQL template`);
        } else if (
          ts.isCallExpression(node) &&
          ts.isPropertyAccessExpression(node.expression) &&
          node.expression.name.text === 'query'
        ) {
          hits.push(`${at(node)} .query( call`);
        }
        ts.forEachChild(node, visit);
      };
      visit(s.ast);
      if (hits.length > 0) found.set(s.rel, hits);
    }
    const excepted = (rel: string) =>
      Object.keys(SQL_OUTSIDE_STORE).find((k) => (k.endsWith('/') ? rel.startsWith(k) : rel === k));
    const violations = [...found].filter(([rel]) => excepted(rel) === undefined).flatMap(([, hits]) => hits);
    for (const [key, { kind }] of Object.entries(SQL_OUTSIDE_STORE)) {
      const stillThere = [...found.keys()].some((rel) => excepted(rel) === key);
      const exists = key.endsWith('/') ? existsSync(join(SRC, key)) : byRel.has(key);
      if (kind === 'pending' && !stillThere) {
        violations.push(
          `SQL_OUTSIDE_STORE entry no longer needed (${exists ? 'no SQL left' : 'file gone'}), delete it: ${key}`,
        );
      }
    }
    expect(violations).toEqual([]);
  });
});
