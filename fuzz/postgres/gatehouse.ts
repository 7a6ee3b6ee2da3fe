// Starts the system under test for the PostgreSQL target: an embedded PostgreSQL (store + backend) in this
// process, and Gatehouse from dist/ in a child process (gatehouse-child.mjs) so its crash is observable.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { spawnTarget } from '../process.js';
import type { FuzzTarget, TargetProcess } from '../target.js';
import { createPostgresTarget, type GatehouseInfo } from './target.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHILD = fileURLToPath(new URL('./gatehouse-child.mjs', import.meta.url));

/** The part of dist/store/embedded.js used here (imported at run time: dist/ exists only after a build). */
interface EmbeddedModule {
  findFreePort(): Promise<number>;
  startEmbeddedCluster(o: {
    databaseDir: string;
    port: number;
    password: string;
    persistent: boolean;
    initialise: boolean;
    fast: boolean;
  }): Promise<{ port: number; adminUrl(db?: string): string; stop(): Promise<void> }>;
}

export interface RunningSystem {
  readonly target: FuzzTarget;
  readonly proc: TargetProcess;
  readonly workDir: string;
  stop(): Promise<void>;
}

async function withClient(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function startGatehouse(): Promise<RunningSystem> {
  const embedded = (await import(pathToFileURL(join(ROOT, 'dist/store/embedded.js')).href)) as EmbeddedModule;
  const workDir = await mkdtemp(join(tmpdir(), 'gatehouse-fuzz-'));
  const pgDir = await mkdtemp(join(tmpdir(), 'gatehouse-fuzz-pg-'));
  const cluster = await embedded.startEmbeddedCluster({
    databaseDir: pgDir,
    port: await embedded.findFreePort(),
    password: randomBytes(18).toString('base64url'),
    persistent: false,
    initialise: true,
    fast: true,
  });
  const cleanup = async () => {
    await cluster.stop();
    await rm(pgDir, { recursive: true, force: true });
    await rm(workDir, { recursive: true, force: true });
  };
  try {
    await withClient(cluster.adminUrl('postgres'), 'CREATE DATABASE gatehouse');
    await withClient(cluster.adminUrl('postgres'), 'CREATE DATABASE app');
    await withClient(
      cluster.adminUrl('app'),
      "CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items VALUES (1, 'espresso')",
    );
    const operatorLog = join(workDir, 'gatehouse.log');
    const { proc, info } = await spawnTarget<GatehouseInfo>({
      script: CHILD,
      workDir,
      operatorLog,
      env: {
        FUZZ_STORE_URL: cluster.adminUrl('gatehouse'),
        FUZZ_BACKEND_URL: cluster.adminUrl('app'),
        FUZZ_DATA_DIR: join(workDir, 'data'),
        FUZZ_OPERATOR_LOG: operatorLog,
      },
    });
    const target = await createPostgresTarget(info);
    return {
      target,
      proc,
      workDir,
      async stop() {
        await proc.stop();
        await cleanup();
      },
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
