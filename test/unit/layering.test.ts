// ARCHITECTURE.md section 3 layering, enforced: each layer imports only the layers below it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Top-level area of a src file: `protocol`, `engines`, … or `(root)` for src/*.ts. */
function area(file: string): string {
  const rel = relative(SRC, file);
  return rel.includes('/') ? (rel.split('/')[0] as string) : '(root)';
}

function projectImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1] as string);
  return specs.map((s) => resolve(dirname(file), s));
}

// What each area may import besides itself. Unlisted areas are unconstrained (composition code).
const ALLOWED: Record<string, string[]> = {
  protocol: [],
  core: [],
  policy: ['core'],
  audit: ['core'],
  auth: ['core', 'protocol'],
  network: ['core'],
  engines: ['protocol', 'auth', 'policy', 'network', 'audit', 'core'],
  store: ['core'],
  tls: ['core'],
  config: ['core'],
};
const NEVER: Record<string, string[]> = { api: ['engines'], cli: ['engines'] };

describe('layering', () => {
  const all = files(SRC);

  it('finds the source tree', () => {
    expect(all.length).toBeGreaterThan(20);
  });

  it('every import goes in an allowed direction', () => {
    const violations: string[] = [];
    for (const file of all) {
      const from = area(file);
      for (const target of projectImports(file)) {
        const to = area(target);
        if (to === from) continue;
        const allowed = ALLOWED[from];
        if ((allowed && !allowed.includes(to)) || NEVER[from]?.includes(to)) {
          violations.push(`${relative(SRC, file)} -> ${relative(SRC, target)}`);
        }
      }
    }
    expect(violations).toEqual([]);
  });
});
