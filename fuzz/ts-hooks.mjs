// Module hooks behind register-ts.mjs: `./x.js` imports resolve to `./x.ts` under fuzz/, and .ts files are
// transpiled (no type checking; `npm run typecheck` checks them through test/fuzz) before Node loads them.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const FUZZ_DIR = new URL('./', import.meta.url).href;
let ts;

export async function resolve(specifier, context, next) {
  if (specifier.endsWith('.js') && context.parentURL?.startsWith(FUZZ_DIR) && /^\.\.?\//.test(specifier)) {
    const candidate = new URL(specifier.replace(/\.js$/, '.ts'), context.parentURL);
    if (candidate.href.startsWith(FUZZ_DIR) && existsSync(fileURLToPath(candidate))) {
      return { url: candidate.href, shortCircuit: true, format: 'module' };
    }
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (!url.startsWith(FUZZ_DIR) || !url.endsWith('.ts')) return next(url, context);
  ts ??= (await import('typescript')).default;
  const { outputText } = ts.transpileModule(readFileSync(fileURLToPath(url), 'utf8'), {
    fileName: fileURLToPath(url),
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      sourceMap: false,
      inlineSourceMap: true,
    },
  });
  return { format: 'module', source: outputText, shortCircuit: true };
}
