// The RDS dispatch table of the Query API (Version 2014-10-31): the DB instance actions Gatehouse manages, run
// through the JSON API's actions of the same name (same validation, same ControlPlane calls), answered as RDS.
import { z } from 'zod';
import { GatehouseError } from '../../core/errors.js';
import { DB_ENGINES, type InstanceView } from '../../core/types.js';
import { API_ACTIONS, backendUrl, identifier, listen } from '../actions.js';
import {
  type ActionContext,
  integer,
  type QueryAction,
  type QueryActionSpec,
  queryAction,
  text,
} from './action.js';
import { DEFAULT_MAX_RECORDS, describePage, filters } from './rds-describe.js';
import {
  CREATE_STANDARD,
  DELETE_STANDARD,
  DESCRIBE_STANDARD,
  instanceSettings,
  MODIFY_STANDARD,
  type StandardParameters,
  screenParameters,
} from './rds-params.js';
import { dbInstanceXml } from './rds-xml.js';
import { XmlList } from './xml-writer.js';

export const RDS_VERSION = '2014-10-31';
export const RDS_NAMESPACE = 'http://rds.amazonaws.com/doc/2014-10-31/';

/** The resource the rds: permissions are checked on, as the JSON API builds it (src/wiring/iam.ts). */
export function instanceArn(ctx: ActionContext, id: string): string {
  return `arn:aws:rds:${ctx.region}:${ctx.caller.accountId}:db:${id}`;
}

const INSTANCE_ARN = /^arn:aws:rds:([a-z0-9-]+):(\d{12}):db:(.+)$/;

/** DescribeDBInstances takes an identifier or an instance ARN (RDS API Reference). */
const identifierOrArn = text.refine(
  (v) => identifier.safeParse(INSTANCE_ARN.exec(v)?.[3] ?? v).success,
  'must be a DB instance identifier (letters, digits or hyphens, starting with a letter) or its ARN',
);

/** The identifier an ARN names; an ARN of another region or account names no instance of this gateway. */
function identifierOf(value: string, ctx: ActionContext): string {
  const arn = INSTANCE_ARN.exec(value);
  if (!arn) return value;
  const [, region, account, id = ''] = arn;
  if (region !== ctx.region || account !== ctx.caller.accountId) {
    throw new GatehouseError('GH_INSTANCE_NOT_FOUND', { instance: value });
  }
  return id;
}

/** The JSON API's action of that name checks the settings once more and makes the ControlPlane call. */
async function viaJsonApi(
  name: string,
  body: Record<string, unknown>,
  ctx: ActionContext,
): Promise<InstanceView> {
  const action = API_ACTIONS.get(name);
  if (!action) throw new Error(`the JSON API has no ${name}`);
  const given = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
  const result = (await action.prepare(given).run(ctx.controlPlane)) as { DBInstance: InstanceView };
  return result.DBInstance;
}

function rdsAction<S extends z.ZodObject>(
  name: string,
  standard: StandardParameters,
  spec: QueryActionSpec<S>,
): [string, QueryAction] {
  const inner = queryAction(spec);
  const known = Object.keys(spec.schema.shape);
  return [
    name,
    {
      prepare(params) {
        return inner.prepare(screenParameters(name, params, known, standard));
      },
    },
  ];
}

export const RDS_ACTIONS: ReadonlyMap<string, QueryAction> = new Map([
  rdsAction('DescribeDBInstances', DESCRIBE_STANDARD, {
    schema: z.object({
      DBInstanceIdentifier: identifierOrArn.optional(),
      Filters: filters.optional(),
      MaxRecords: integer.pipe(z.number().min(20, 'must be 20-100').max(100, 'must be 20-100')).optional(),
      Marker: text.optional(),
    }),
    permission: 'rds:DescribeDBInstances',
    resource: (i, ctx) =>
      i.DBInstanceIdentifier === undefined
        ? instanceArn(ctx, '*')
        : INSTANCE_ARN.test(i.DBInstanceIdentifier)
          ? i.DBInstanceIdentifier
          : instanceArn(ctx, i.DBInstanceIdentifier),
    run: async (i, ctx) => {
      const id = i.DBInstanceIdentifier === undefined ? undefined : identifierOf(i.DBInstanceIdentifier, ctx);
      const page = describePage(await ctx.controlPlane.describeInstances(id), {
        filters: i.Filters ?? [],
        maxRecords: i.MaxRecords ?? DEFAULT_MAX_RECORDS,
        marker: i.Marker,
      });
      return {
        ...(page.marker !== undefined ? { Marker: page.marker } : {}),
        DBInstances: new XmlList(
          'DBInstance',
          page.instances.map((v) => dbInstanceXml(v, 'available')),
        ),
      };
    },
  }),
  // RDS's Port and DBName, or Gatehouse's Listen and BackendUrl; without BackendUrl the gateway's default backend
  // (the plain AWS CLI cannot send the extras; docs/rds-api.md "Port, backend and DBName").
  rdsAction('CreateDBInstance', CREATE_STANDARD, {
    schema: z.object({
      DBInstanceIdentifier: identifier,
      Engine: z.enum(DB_ENGINES),
      Port: integer.optional(),
      DBName: text.optional(),
      BackendUrl: backendUrl.optional(),
      Listen: listen.optional(),
      ...instanceSettings,
    }),
    permission: 'rds:CreateDBInstance',
    resource: (i, ctx) => instanceArn(ctx, i.DBInstanceIdentifier),
    run: async (i, ctx) => ({
      DBInstance: dbInstanceXml(await viaJsonApi('CreateDBInstance', i, ctx), 'available'),
    }),
  }),
  rdsAction('ModifyDBInstance', MODIFY_STANDARD, {
    schema: z.object({
      DBInstanceIdentifier: identifier,
      DBPortNumber: integer.optional(),
      BackendUrl: backendUrl.optional(),
      Listen: listen.optional(),
      ...instanceSettings,
    }),
    permission: 'rds:ModifyDBInstance',
    resource: (i, ctx) => instanceArn(ctx, i.DBInstanceIdentifier),
    run: async (i, ctx) => ({
      DBInstance: dbInstanceXml(await viaJsonApi('ModifyDBInstance', i, ctx), 'available'),
    }),
  }),
  rdsAction('DeleteDBInstance', DELETE_STANDARD, {
    schema: z.object({ DBInstanceIdentifier: identifier }),
    permission: 'rds:DeleteDBInstance',
    resource: (i, ctx) => instanceArn(ctx, i.DBInstanceIdentifier),
    run: async (i, ctx) => ({
      DBInstance: dbInstanceXml(await viaJsonApi('DeleteDBInstance', i, ctx), 'deleting'),
    }),
  }),
]);

/** RDS's codes for what the JSON API calls ValidationError (GH_API_VALIDATION): InvalidParameterValue. */
export function toRdsError(e: unknown): unknown {
  if (e instanceof GatehouseError && e.code === 'GH_API_VALIDATION') {
    return new GatehouseError(
      'GH_RDS_INVALID_PARAMETER_VALUE',
      { reason: String(e.params['reason'] ?? e.message) },
      { ...(e.detail !== undefined ? { detail: e.detail } : {}), cause: e },
    );
  }
  return e;
}
