// The error registry: engine-neutral entries, template parameters typed from each message, and errors that
// carry their request id and audit facts from construction (copies, never mutation).
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  ERRORS,
  type ErrorCode,
  GatehouseError,
  type ParamName,
  type ParamsOf,
  toGatehouseError,
} from '../../../src/core/errors.js';

const codes = Object.keys(ERRORS) as ErrorCode[];

describe('error registry entries', () => {
  it('are { http, awsCode, message, description } and carry no wire format of an engine', () => {
    for (const code of codes) {
      expect(Object.keys(ERRORS[code]).sort(), code).toEqual(['awsCode', 'description', 'http', 'message']);
    }
  });

  it('messages name no engine nor a client option of one', () => {
    for (const code of codes) {
      expect(ERRORS[code].message, code).not.toMatch(/PostgreSQL|MySQL|sslmode|startup packet/i);
    }
    expect(ERRORS.GH_NO_USER.message).toBe('no database user name specified in the startup message');
  });

  it('every brace in a message is a {word} placeholder, so the typed parameters match what is rendered', () => {
    for (const code of codes) {
      expect(ERRORS[code].message.replace(/\{\w+\}/g, ''), code).not.toMatch(/[{}]/);
    }
  });
});

describe('typed template parameters', () => {
  it('are derived from the message template', () => {
    expectTypeOf<ParamsOf<'GH_AUTH_FAILED'>>().toEqualTypeOf<{ user: string | number }>();
    expectTypeOf<ParamName<'GH_IAM_TOKEN_WRONG_HOST'>>().toEqualTypeOf<'signedHost' | 'endpoint'>();
    expectTypeOf<ParamName<'GH_INTERNAL'>>().toEqualTypeOf<never>();
    // A union of codes needs the parameters of each.
    expectTypeOf<ParamName<'GH_AUTH_FAILED' | 'GH_PROTOCOL_VIOLATION'>>().toEqualTypeOf<'user' | 'reason'>();
  });

  it('a missing, misspelt or unknown parameter does not compile', () => {
    const made = (f: () => GatehouseError) => f;
    // @ts-expect-error: GH_AUTH_FAILED needs {user}
    made(() => new GatehouseError('GH_AUTH_FAILED', {}));
    // @ts-expect-error: and must get it
    made(() => new GatehouseError('GH_AUTH_FAILED'));
    // @ts-expect-error: misspelt
    made(() => new GatehouseError('GH_AUTH_FAILED', { usr: 'alice' }));
    // @ts-expect-error: an extra parameter the message does not use
    made(() => new GatehouseError('GH_AUTH_FAILED', { user: 'alice', reason: 'x' }));
    // @ts-expect-error: a code without placeholders takes no parameters
    made(() => new GatehouseError('GH_INTERNAL', { reason: 'x' }));
    // @ts-expect-error: not a code
    made(() => new GatehouseError('GH_NO_SUCH_CODE'));
  });

  it('a code without placeholders needs no params argument', () => {
    expect(new GatehouseError('GH_SHUTTING_DOWN').message).toBe('Gatehouse is shutting down');
    expect(new GatehouseError('GH_INTERNAL', {}, { detail: 'd' }).detail).toBe('d');
  });

  it('fills every placeholder', () => {
    const e = new GatehouseError('GH_IAM_TOKEN_WRONG_HOST', { signedHost: 'a.example', endpoint: 'b:5432' });
    expect(e.message).toBe(
      'IAM auth token was signed for host a.example but this endpoint is b:5432: mint it with the --hostname and --port you connect to, or add a.example to the instance with --endpoint-aliases',
    );
    expect(e.params).toEqual({ signedHost: 'a.example', endpoint: 'b:5432' });
  });
});

describe('request id and audit facts', () => {
  it('are given at construction and read-only afterwards', () => {
    const e = new GatehouseError(
      'GH_AUTH_FAILED',
      { user: 'u' },
      { requestId: 'r1', audit: { accessKeyId: 'AKIA1' } },
    );
    expect(e.requestId).toBe('r1');
    expect(e.audit).toEqual({ accessKeyId: 'AKIA1' });
    expect(e.clientMessage()).toBe('password authentication failed for user "u" (request id r1)');
    // @ts-expect-error: readonly
    e.requestId = 'r2';
    // @ts-expect-error: readonly
    e.audit = {};
  });

  it('withRequestId returns a copy with the id set and everything else kept', () => {
    const cause = new Error('socket closed');
    const e = new GatehouseError(
      'GH_BACKEND_UNREACHABLE',
      { instance: 'db1' },
      { detail: 'ECONNREFUSED', cause, audit: { principalArn: 'arn:aws:iam::1:user/a' } },
    );
    const copy = e.withRequestId('0123456789abcdef');
    expect(copy).not.toBe(e);
    expect(copy).toBeInstanceOf(GatehouseError);
    expect(copy.name).toBe('GatehouseError');
    expect(e.requestId).toBeUndefined();
    expect(copy.requestId).toBe('0123456789abcdef');
    expect({
      code: copy.code,
      params: copy.params,
      detail: copy.detail,
      cause: copy.cause,
      audit: copy.audit,
    }).toEqual({
      code: e.code,
      params: e.params,
      detail: e.detail,
      cause: e.cause,
      audit: e.audit,
    });
    expect(copy.message).toBe(e.message);
    expect(copy.stack).toBe(e.stack);
    expect(copy.clientMessage()).toBe(`${e.message} (request id 0123456789abcdef)`);
  });

  it('withAudit returns a copy with the audit facts set and the request id kept', () => {
    const e = new GatehouseError('GH_IAM_TOKEN_UNKNOWN_KEY', {}, { detail: 'no key', requestId: 'r' });
    const copy = e.withAudit({ accessKeyId: 'AKIAX' });
    expect(e.audit).toBeUndefined();
    expect(copy.audit).toEqual({ accessKeyId: 'AKIAX' });
    expect(copy.requestId).toBe('r');
    expect(copy.detail).toBe('no key');
  });

  it('toGatehouseError keeps a GatehouseError and wraps anything else as GH_INTERNAL', () => {
    const e = new GatehouseError('GH_NO_USER');
    expect(toGatehouseError(e)).toBe(e);
    const wrapped = toGatehouseError(new Error('boom'));
    expect(wrapped.code).toBe('GH_INTERNAL');
    expect(wrapped.detail).toBe('boom');
  });
});
