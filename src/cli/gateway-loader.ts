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
  out: NodeJS.WritableStream;
}

/** Mirrors the exports of src/gateway.ts (written separately); checked structurally at the call sites. */
export interface GatewayModule {
  runUp(o: RunUpOptions): Promise<RunningGateway>;
  runServe(o: { configPath: string }): Promise<RunningGateway>;
}

export async function loadGateway(): Promise<GatewayModule> {
  // A non-literal specifier: src/gateway.ts is owned by the composition root and may not exist yet.
  const specifier = '../gateway.js';
  return (await import(specifier)) as GatewayModule;
}
