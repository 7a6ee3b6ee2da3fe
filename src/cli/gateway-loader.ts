// The composition root's entry points as the CLI sees them, loaded lazily so API-only commands stay light.

/** How a gateway stops: the drain period and where each stage is told (src/gateway.ts StopOptions). */
export interface StopOptions {
  readonly drainMs?: number;
  readonly progress?: (line: string) => void;
}

/** What `up` and `serve` get back: a gateway that stops cleanly. */
export interface RunningGateway {
  /** The configured drain period in ms (`serve`: shutdown.drainSeconds), used unless --drain-timeout says. */
  readonly drainMs?: number;
  close(options?: StopOptions): Promise<void>;
  /** Rolling restart (`serve`): start a successor, hand it the listening sockets; resolves once it serves. */
  handOver?(): Promise<{ pid: number }>;
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
