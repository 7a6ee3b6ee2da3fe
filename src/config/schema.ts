// Configuration schema (validated once at start; every error names the field).
import { z } from 'zod';

const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/, 'expected HOST:PORT, e.g. 127.0.0.1:5433')
  .refine((s) => Number(s.slice(s.lastIndexOf(':') + 1)) <= 65535, 'port must be 0-65535');

export const configSchema = z
  .object({
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'expected an AWS-style region such as us-east-1')
      .default('us-east-1'),
    dataDir: z.string().min(1).optional(),
    store: z.object({ url: z.string().regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL') }).strict(),
    masterKeyFile: z.string().min(1).optional(),
    tls: z
      .object({
        certFile: z.string().min(1),
        keyFile: z.string().min(1),
        caFile: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    api: z
      .object({ listen: hostPort.default('127.0.0.1:8433') })
      .strict()
      .default({ listen: '127.0.0.1:8433' }),
    listener: z
      .object({
        authTimeoutSeconds: z.number().positive().max(600).default(10),
        maxStartupPacketBytes: z.number().int().min(64).max(1_000_000).default(10_000),
        maxAuthMessageBytes: z.number().int().min(1024).max(1_000_000).default(65_535),
        maxIamTokenBytes: z.number().int().min(1024).max(65_535).default(8192),
        maxPendingConnections: z.number().int().positive().default(1000),
        maxPendingPerSource: z.number().int().positive().default(64),
        maxTlsRefusals: z.number().int().min(0).default(100),
        maxSessionsPerInstance: z.number().int().positive().default(350),
      })
      .strict()
      .default({
        authTimeoutSeconds: 10,
        maxStartupPacketBytes: 10_000,
        maxAuthMessageBytes: 65_535,
        maxIamTokenBytes: 8192,
        maxPendingConnections: 1000,
        maxPendingPerSource: 64,
        maxTlsRefusals: 100,
        maxSessionsPerInstance: 350,
      }),
    backend: z
      .object({ connectTimeoutSeconds: z.number().positive().max(120).default(5) })
      .strict()
      .default({ connectTimeoutSeconds: 5 }),
    scram: z
      .object({ iterations: z.number().int().min(4096).max(100_000).default(4096) })
      .strict()
      .default({ iterations: 4096 }),
    // The audit trail (docs/audit.md): partitions, retention, signed digests and where copies of them go.
    audit: z
      .object({
        partition: z.enum(['month', 'day']).default('month'),
        /** Drop partitions whose period ended this many days ago; unset: keep everything. */
        retentionDays: z.number().int().positive().optional(),
        digestIntervalSeconds: z.number().int().min(10).max(86_400).default(3600),
        /** Ed25519 private key (PKCS#8 PEM) that signs digests; default <data-dir>/audit-signing-key.pem. */
        signingKeyFile: z.string().min(1).optional(),
        /** Each digest is also appended here (JSON lines); default <data-dir>/audit-digests.jsonl. */
        digestFile: z.string().min(1).optional(),
        /** Each digest is also POSTed here (JSON). */
        digestWebhook: z.string().url().optional(),
      })
      .strict()
      .default({ partition: 'month', digestIntervalSeconds: 3600 }),
    // Detectors that read the trail's history, and where alerts are also sent (docs/operations.md "Alerts").
    alerts: z
      .object({
        newNetwork: z.boolean().default(true),
        loginHours: z
          .object({
            days: z.array(z.enum(['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'])).min(1),
            from: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM, e.g. 07:00'),
            to: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'expected HH:MM, e.g. 19:00'),
            utcOffset: z
              .string()
              .regex(/^[+-]([01]\d|2[0-3]):[0-5]\d$/, 'expected +HH:MM or -HH:MM, e.g. +01:00')
              .default('+00:00'),
          })
          .strict()
          .optional(),
        /** Each alert is also POSTed here (JSON). */
        webhook: z.string().url().optional(),
      })
      .strict()
      .default({ newNetwork: true }),
    // Stopping (docs/operations.md "Stopping and draining"): how long sessions in a transaction or running a
    // statement may go on after a stop signal before they are ended; idle sessions are ended at once.
    shutdown: z
      .object({ drainSeconds: z.number().min(0).max(3600).default(10) })
      .strict()
      .default({ drainSeconds: 10 }),
    // What CreateDBInstance uses when a caller (the plain AWS CLI) cannot send BackendUrl or Listen
    // (docs/rds-api.md "Port, backend and DBName"): Listen = defaultListenHost:Port; BackendUrl = this admin URL
    // with the database DBName (created if missing). No default backend: BackendUrl is required.
    rds: z
      .object({
        defaultListenHost: z
          .string()
          .regex(/^([0-9a-fA-F:]*:[0-9a-fA-F:.]*|[^:\s[\]/]+)$/, 'expected a host, e.g. 127.0.0.1 or 0.0.0.0')
          .default('127.0.0.1'),
        defaultBackendUrl: z
          .string()
          .regex(/^postgres(ql)?:\/\/\S+$/, 'expected an admin URL postgres://ADMIN[:PASSWORD]@HOST:PORT/DB')
          .optional(),
      })
      .strict()
      .default({ defaultListenHost: '127.0.0.1' }),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    // Refusal lines per client address and error code in one window; the rest are counted in a summary line.
    log: z
      .object({
        refusalBurst: z.number().int().positive().default(10),
        refusalWindowSeconds: z.number().int().positive().max(3600).default(60),
      })
      .strict()
      .default({ refusalBurst: 10, refusalWindowSeconds: 60 }),
  })
  .strict();

export type GatehouseConfig = z.infer<typeof configSchema>;
export type ListenerLimits = GatehouseConfig['listener'];
