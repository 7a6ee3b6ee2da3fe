// The two seams' registries: engines by name, auth methods by login kind.
import { describe, expect, it } from 'vitest';
import { type AuthMethod, createAuthMethods } from '../../../src/engines/common/auth-method.js';
import { createEngineRegistry, type EngineDefinition } from '../../../src/engines/common/engine.js';
import type { Login } from '../../../src/engines/common/login.js';
import { BUILTIN_ENGINES } from '../../../src/engines/registry.js';

const method = (kind: Login['kind'], name: string): AuthMethod => ({
  kind,
  name,
  begin: () => {
    throw new Error('not used');
  },
});

describe('auth method registry', () => {
  const scram = { ...method('password', 'scram-sha-256'), engines: ['postgres'] };
  const unknown = method('password', 'none');
  const methods = createAuthMethods([scram, method('iam', 'iam')], unknown);
  const iamLogin: Login = { kind: 'iam', backendSecret: null, why: 'x' };

  it('answers each login by its kind and engine', () => {
    expect(methods.forLogin(iamLogin, 'postgres').name).toBe('iam');
    expect(methods.forLogin(iamLogin, 'toy').name).toBe('iam'); // no engines: every engine
    expect(methods.forLogin({ kind: 'password', verifiers: [], backendSecret: 's' }, 'postgres').name).toBe(
      'scram-sha-256',
    );
  });

  it("gives an unknown user the engine's password method, so it fails as a wrong password does", () => {
    expect(methods.forLogin(null, 'postgres').name).toBe('scram-sha-256');
  });

  it('gives an unknown user the unknown-user method on an engine without a password method', () => {
    expect(methods.forLogin(null, 'toy').name).toBe('none');
  });

  it('refuses two methods for one kind on one engine, and says when a login has none', () => {
    expect(() => createAuthMethods([method('iam', 'a'), method('iam', 'b')], unknown)).toThrow(
      /two auth methods/,
    );
    expect(() =>
      createAuthMethods([scram, { ...method('password', 'p'), engines: ['mysql'] }], unknown),
    ).not.toThrow();
    expect(() => methods.forLogin({ kind: 'password', verifiers: [], backendSecret: 's' }, 'toy')).toThrow(
      /no auth method for login kind "password" on engine "toy"/,
    );
  });
});

describe('engine registry', () => {
  it('holds the built-in PostgreSQL engine under its name, with its provisioner', () => {
    const registry = createEngineRegistry(BUILTIN_ENGINES);
    expect([...registry.keys()]).toEqual(['postgres']);
    expect(registry.get('postgres')?.provisioner.engine).toBe('postgres');
  });

  it('refuses one name registered twice', () => {
    const toy = { name: 'toy' } as unknown as EngineDefinition;
    expect(() => createEngineRegistry([toy, toy])).toThrow(/engine "toy" registered twice/);
  });
});
