// The composition root's entry points as the CLI sees them, loaded lazily so API-only commands stay light.

/** What `up` and `serve` get back: a gateway that stops cleanly. */
export interface RunningGateway {
  close(): Promise<void>;
}

export interface RunUpOptions {
  dataDir: string;
  host: string;
  pgPort: number;
  apiPort: number;
  storePort?: number;
  out: NodeJS.WritableStream;
  /** Size and number of `<data-dir>/gatehouse.log` files. */
  logRotation?: { maxBytes: number; maxFiles: number };
}

/**
 * The two runners the CLI uses: `runUp` (src/up/run-up.ts) and `runServe` (src/serve.ts). The assignment
 * in loadGateway keeps their signatures in step with these at compile time.
 */
export interface GatewayModule {
  runUp(o: RunUpOptions): Promise<RunningGateway>;
  runServe(o: { configPath: string }): Promise<RunningGateway>;
}

export async function loadGateway(): Promise<GatewayModule> {
  // Imported on demand: API-only commands should not load the store, engines and embedded PostgreSQL.
  const [{ runUp }, { runServe }] = await Promise.all([import('../up/run-up.js'), import('../serve.js')]);
  const gateway: GatewayModule = { runUp, runServe };
  return gateway;
}
