// The fragile toy server as a fuzz target: the PostgreSQL families (no TLS) on its one listener, and a good
// client that sends an SSLRequest and expects the toy's 'N'.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sslRequest } from '../postgres/codec.js';
import { createPostgresFamilies } from '../postgres/families.js';
import { spawnTarget } from '../process.js';
import type { FuzzTarget, Listener, TargetProcess } from '../target.js';
import { Wire } from '../wire.js';

const SCRIPT = fileURLToPath(new URL('./fragile-server.mjs', import.meta.url));

export type ToyMode = 'crash' | 'reject' | 'wedge';

export async function startToy(
  mode: ToyMode,
): Promise<{ target: FuzzTarget; proc: TargetProcess; stop(): Promise<void> }> {
  const workDir = await mkdtemp(join(tmpdir(), 'gatehouse-fuzz-toy-'));
  const { proc, info } = await spawnTarget<{ port: number }>({
    script: SCRIPT,
    workDir,
    env: { FUZZ_TOY_MODE: mode },
  });
  const listener: Listener = { name: 'toy', host: '127.0.0.1', port: info.port };
  const families = await createPostgresFamilies({
    listeners: { password: listener, iam: listener, forceSsl: listener },
    passwordUser: 'fuzz',
    forceSslUser: 'fuzz',
    password: 'secret',
    iamUser: 'fuzz_iam',
    database: 'app',
    token: () => '',
    tls: false,
  });
  const target: FuzzTarget = {
    name: `toy-${mode}`,
    listeners: [listener],
    families,
    startupDeadlineMs: 10_000,
    async goodClient() {
      const started = performance.now();
      try {
        const wire = await Wire.open(listener);
        try {
          await wire.send(sslRequest());
          const answer = await wire.readByte(2000);
          if (answer !== 0x4e) throw new Error(`answered ${answer} instead of 'N'`);
        } finally {
          wire.destroy();
        }
        return [{ name: 'toy/ssl-request', ok: true, ms: performance.now() - started }];
      } catch (e) {
        return [
          {
            name: 'toy/ssl-request',
            ok: false,
            ms: performance.now() - started,
            error: (e as Error).message,
          },
        ];
      }
    },
  };
  return {
    target,
    proc,
    async stop() {
      await proc.stop();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}
