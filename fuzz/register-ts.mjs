// `node --import ./fuzz/register-ts.mjs fuzz/main.ts`: lets Node 20 run the fuzz harness's TypeScript directly
// (types stripped by the project's own `typescript`; no extra dependency). Only files under fuzz/ are affected.
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);
