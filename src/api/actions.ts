// The management API's actions: body schema (zod) and the ControlPlane call each one makes.
import { z } from 'zod';
import {
  decodeLookupToken,
  encodeLookupToken,
  LOOKUP_ATTRIBUTE_KEYS,
  LOOKUP_ATTRIBUTES,
  parseLookupTime,
} from '../control-plane/audit.js';
import { GatehouseError } from '../core/errors.js';
import {
  type AuditLookupFilter,
  type ControlPlane,
  DB_ENGINES,
  DB_USER_AUTH,
  type ModifyInstanceInput,
  type PasswordResult,
} from '../core/types.js';

/** A validated call, ready to authorise (params) and run. */
export interface PreparedCall {
  params: Record<string, unknown>;
  run(cp: ControlPlane): Promise<unknown>;
}

export interface ApiAction {
  prepare(body: unknown): PreparedCall;
}

// RDS naming rules for DB instance identifiers (CreateDBInstance, DBInstanceIdentifier constraints).
export const identifier = z
  .string()
  .max(63, 'must be at most 63 characters')
  .regex(
    /^[A-Za-z](?:-?[A-Za-z0-9])*$/,
    'must be letters, digits or hyphens, start with a letter, not end with a hyphen nor contain "--"',
  );
// PostgreSQL truncates identifiers at NAMEDATALEN-1 = 63 bytes; NUL cannot travel in the wire protocol.
const username = z
  .string()
  .min(1, 'must not be empty')
  .refine((s) => Buffer.byteLength(s) <= 63, 'must be at most 63 bytes')
  .refine((s) => !s.includes('\0'), 'must not contain NUL');
const password = z
  .string()
  .min(8, 'must be at least 8 characters')
  .max(1024, 'must be at most 1024 characters')
  .refine((s) => !s.includes('\0'), 'must not contain NUL');
export const backendUrl = z
  .string()
  .regex(/^postgres(ql)?:\/\/\S+$/, 'expected postgres://ADMIN[:PASSWORD]@HOST:PORT/DB');
export const listen = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[^:\s[\]]+):\d{1,5}$/, 'expected HOST:PORT, e.g. 127.0.0.1:5433')
  .refine((s) => Number(s.slice(s.lastIndexOf(':') + 1)) <= 65535, 'port must be 0-65535');
/** RDS's Port / DBPortNumber: the listener's port (docs/rds-api.md "Port, backend and DBName"). */
export const listenPort = z
  .number()
  .int('must be a whole number')
  .min(1, 'must be 1-65535')
  .max(65535, 'must be 1-65535');
/** RDS's DBName (PostgreSQL rule): the database on the backend, created when missing. */
export const dbName = z
  .string()
  .regex(
    /^[A-Za-z][A-Za-z0-9_]{0,62}$/,
    'must be 1-63 letters, digits or underscores, starting with a letter',
  );
// Names an IAM auth token may be signed for besides Listen; the control plane lower-cases and de-duplicates.
export const endpointAliases = z
  .array(
    z
      .string()
      .regex(/^(\[[0-9a-fA-F:]+\]|[^:\s[\]]+):\d{1,5}$/, 'expected HOST:PORT, e.g. db.example.com:5433')
      .refine((s) => {
        const port = Number(s.slice(s.lastIndexOf(':') + 1));
        return port >= 1 && port <= 65535;
      }, 'port must be 1-65535'),
  )
  .max(16, 'at most 16 aliases');
/** The IAM database authentication settings CreateDBInstance and ModifyDBInstance share (RDS names). */
const iamSettings = {
  EnableIAMDatabaseAuthentication: z.boolean().optional(),
  EndpointAliases: endpointAliases.optional(),
  TerminateRevokedIAMSessions: z.boolean().optional(),
};

function iamInput(i: {
  EnableIAMDatabaseAuthentication?: boolean | undefined;
  EndpointAliases?: string[] | undefined;
  TerminateRevokedIAMSessions?: boolean | undefined;
}): Pick<
  ModifyInstanceInput,
  'enableIamDatabaseAuthentication' | 'endpointAliases' | 'terminateRevokedIamSessions'
> {
  return {
    ...(i.EnableIAMDatabaseAuthentication !== undefined
      ? { enableIamDatabaseAuthentication: i.EnableIAMDatabaseAuthentication }
      : {}),
    ...(i.EndpointAliases !== undefined ? { endpointAliases: i.EndpointAliases } : {}),
    ...(i.TerminateRevokedIAMSessions !== undefined
      ? { terminateRevokedIamSessions: i.TerminateRevokedIAMSessions }
      : {}),
  };
}

/**
 * The audit settings CreateDBInstance and ModifyDBInstance share: AuditFailOpen (decision 48) and the statement
 * events (docs/audit.md "Statement events"). Class names are checked by the control plane (any case, NONE, ALL).
 */
export const auditSettings = {
  AuditFailOpen: z.boolean().optional(),
  AuditStatements: z
    .array(z.string().max(16, 'must be a statement class'))
    .max(16, 'at most 16 classes')
    .optional(),
  AuditStatementLiterals: z.boolean().optional(),
  AuditResultDigest: z.boolean().optional(),
};

function auditInput(i: {
  AuditFailOpen?: boolean | undefined;
  AuditStatements?: string[] | undefined;
  AuditStatementLiterals?: boolean | undefined;
  AuditResultDigest?: boolean | undefined;
}): Pick<
  ModifyInstanceInput,
  'auditFailOpen' | 'auditStatements' | 'auditStatementLiterals' | 'auditResultDigest'
> {
  return {
    ...(i.AuditFailOpen !== undefined ? { auditFailOpen: i.AuditFailOpen } : {}),
    ...(i.AuditStatements !== undefined ? { auditStatements: i.AuditStatements } : {}),
    ...(i.AuditStatementLiterals !== undefined ? { auditStatementLiterals: i.AuditStatementLiterals } : {}),
    ...(i.AuditResultDigest !== undefined ? { auditResultDigest: i.AuditResultDigest } : {}),
  };
}

// 30 days: a longer overlap defeats the point of rotating.
const graceSeconds = z.number().int('must be a whole number of seconds').min(0).max(2_592_000);

function formatIssue(issue: z.core.$ZodIssue): string {
  const field = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') return `unknown parameter ${issue.keys.join(', ')}`;
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message))
    return `${field} is required`;
  if (field === '') return `request body: ${issue.message.replace(/^Invalid input: /, '')}`;
  return `${field}: ${issue.message.replace(/^Invalid input: /, '')}`;
}

function action<S extends z.ZodType<Record<string, unknown>>>(
  schema: S,
  run: (cp: ControlPlane, input: z.infer<S>) => Promise<unknown>,
): ApiAction {
  return {
    prepare(body) {
      const parsed = schema.safeParse(body);
      if (!parsed.success) {
        const reason = parsed.error.issues.map(formatIssue).join('; ');
        throw new GatehouseError('GH_API_VALIDATION', { reason });
      }
      const input = parsed.data;
      return { params: input, run: (cp) => run(cp, input) };
    },
  };
}

/** {DBUser, Password?}: the password appears only when Gatehouse generated it, and only in this response. */
function withPassword(r: PasswordResult): Record<string, unknown> {
  return r.generatedPassword === undefined
    ? { DBUser: r.user }
    : { DBUser: r.user, Password: r.generatedPassword };
}

// LookupEvents (CloudTrail's names). StartTime/EndTime: ISO 8601 or epoch seconds. LookupAttributes: unlike
// CloudTrail (one attribute), several may be given, each key once, and an event must match all of them.
const lookupTime = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const d = parseLookupTime(v);
  if (d === null) {
    ctx.addIssue({ code: 'custom', message: 'expected an ISO 8601 time or epoch seconds' });
    return z.NEVER;
  }
  return d;
});
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const lookupAttributes = z
  .array(
    z.strictObject({
      AttributeKey: z.enum(LOOKUP_ATTRIBUTE_KEYS),
      AttributeValue: z.string().min(1, 'must not be empty').max(2000, 'must be at most 2000 characters'),
    }),
  )
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((a, i) => {
      if (seen.has(a.AttributeKey)) {
        ctx.addIssue({
          code: 'custom',
          path: [i, 'AttributeKey'],
          message: `${a.AttributeKey} is given twice (attributes are AND-ed: give each key once)`,
        });
      }
      seen.add(a.AttributeKey);
      if (a.AttributeKey === 'EventId' && !UUID.test(a.AttributeValue)) {
        ctx.addIssue({ code: 'custom', path: [i, 'AttributeValue'], message: 'an EventId is a UUID' });
      }
    });
  });
const lookupEventsInput = z
  .strictObject({
    StartTime: lookupTime.optional(),
    EndTime: lookupTime.optional(),
    LookupAttributes: lookupAttributes.optional(),
    MaxResults: z.number().int('must be a whole number').min(1).max(1000).default(50),
    NextToken: z
      .string()
      .transform((t, ctx) => {
        const seq = decodeLookupToken(t);
        if (seq === null) {
          ctx.addIssue({ code: 'custom', message: 'is not a NextToken from a previous LookupEvents answer' });
          return z.NEVER;
        }
        return seq;
      })
      .optional(),
    Direction: z.enum(['backward', 'forward']).default('backward'),
  })
  .superRefine((i, ctx) => {
    if (i.StartTime && i.EndTime && i.StartTime > i.EndTime) {
      ctx.addIssue({ code: 'custom', path: ['StartTime'], message: 'must not be after EndTime' });
    }
  });

function lookupFilter(i: z.infer<typeof lookupEventsInput>): AuditLookupFilter {
  const filter: Record<string, unknown> = {};
  for (const a of i.LookupAttributes ?? []) filter[LOOKUP_ATTRIBUTES[a.AttributeKey]] = a.AttributeValue;
  if (i.StartTime) filter['startTime'] = i.StartTime;
  if (i.EndTime) filter['endTime'] = i.EndTime;
  return filter as AuditLookupFilter;
}

const instanceRef = z.strictObject({ DBInstanceIdentifier: identifier });
const userRef = z.strictObject({ DBInstanceIdentifier: identifier, Username: username });

export const API_ACTIONS: ReadonlyMap<string, ApiAction> = new Map<string, ApiAction>([
  [
    'CreateDBInstance',
    action(
      z.strictObject({
        DBInstanceIdentifier: identifier,
        Engine: z.enum(DB_ENGINES),
        // Either may be left out: the gateway's default backend, and the default listen host with Port.
        BackendUrl: backendUrl.optional(),
        Listen: listen.optional(),
        Port: listenPort.optional(),
        DBName: dbName.optional(),
        ForceSsl: z.boolean().optional(),
        ...iamSettings,
        ...auditSettings,
      }),
      async (cp, i) => ({
        DBInstance: await cp.createInstance({
          identifier: i.DBInstanceIdentifier,
          engine: i.Engine,
          ...(i.BackendUrl !== undefined ? { backendUrl: i.BackendUrl } : {}),
          ...(i.Listen !== undefined ? { listen: i.Listen } : {}),
          ...(i.Port !== undefined ? { port: i.Port } : {}),
          ...(i.DBName !== undefined ? { dbName: i.DBName } : {}),
          ...(i.ForceSsl !== undefined ? { forceSsl: i.ForceSsl } : {}),
          ...iamInput(i),
          ...auditInput(i),
        }),
      }),
    ),
  ],
  [
    'DescribeDBInstances',
    action(z.strictObject({ DBInstanceIdentifier: identifier.optional() }), async (cp, i) => ({
      DBInstances: await cp.describeInstances(i.DBInstanceIdentifier),
    })),
  ],
  [
    'ModifyDBInstance',
    action(
      z.strictObject({
        DBInstanceIdentifier: identifier,
        BackendUrl: backendUrl.optional(),
        Listen: listen.optional(),
        DBPortNumber: listenPort.optional(),
        ForceSsl: z.boolean().optional(),
        ...iamSettings,
        ...auditSettings,
      }),
      async (cp, i) => ({
        DBInstance: await cp.modifyInstance({
          identifier: i.DBInstanceIdentifier,
          ...(i.BackendUrl !== undefined ? { backendUrl: i.BackendUrl } : {}),
          ...(i.Listen !== undefined ? { listen: i.Listen } : {}),
          ...(i.DBPortNumber !== undefined ? { port: i.DBPortNumber } : {}),
          ...(i.ForceSsl !== undefined ? { forceSsl: i.ForceSsl } : {}),
          ...iamInput(i),
          ...auditInput(i),
        }),
      }),
    ),
  ],
  [
    'DeleteDBInstance',
    action(instanceRef, async (cp, i) => ({ DBInstance: await cp.deleteInstance(i.DBInstanceIdentifier) })),
  ],
  [
    'CreateDBUser',
    action(
      z.strictObject({
        DBInstanceIdentifier: identifier,
        Username: username,
        Auth: z.enum(DB_USER_AUTH),
        Password: password.optional(),
        // PRIVILEGES:OBJECT each (src/provisioning/grants.ts); the control plane parses and explains errors.
        Grants: z.array(z.string().min(1).max(512)).max(32).optional(),
      }),
      async (cp, i) =>
        withPassword(
          await cp.createDbUser({
            instance: i.DBInstanceIdentifier,
            username: i.Username,
            auth: i.Auth,
            ...(i.Password !== undefined ? { password: i.Password } : {}),
            ...(i.Grants !== undefined ? { grants: i.Grants } : {}),
          }),
        ),
    ),
  ],
  [
    'ListDBUsers',
    action(instanceRef, async (cp, i) => ({ DBUsers: await cp.listDbUsers(i.DBInstanceIdentifier) })),
  ],
  [
    'DeleteDBUser',
    action(userRef, async (cp, i) => ({ DBUser: await cp.deleteDbUser(i.DBInstanceIdentifier, i.Username) })),
  ],
  [
    'RotateDBUserPassword',
    action(
      z.strictObject({
        DBInstanceIdentifier: identifier,
        Username: username,
        Password: password.optional(),
        GraceSeconds: graceSeconds.default(0),
      }),
      async (cp, i) =>
        withPassword(
          await cp.rotatePassword({
            instance: i.DBInstanceIdentifier,
            username: i.Username,
            graceSeconds: i.GraceSeconds,
            ...(i.Password !== undefined ? { password: i.Password } : {}),
          }),
        ),
    ),
  ],
  [
    'LookupEvents',
    action(lookupEventsInput, async (cp, i) => {
      const page = await cp.lookupEvents({
        filter: lookupFilter(i),
        direction: i.Direction,
        limit: i.MaxResults,
        ...(i.NextToken !== undefined ? { after: i.NextToken } : {}),
      });
      return {
        Events: page.events,
        ...(page.next !== null ? { NextToken: encodeLookupToken(page.next) } : {}),
      };
    }),
  ],
]);
