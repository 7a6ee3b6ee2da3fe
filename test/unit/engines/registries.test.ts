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
  const methods = createAuthMethods([method('password', 'scram-sha-256'), method('iam', 'iam')]);

  it('answers each login by its kind', () => {
    expect(methods.forLogin({ kind: 'iam', backendSecret: null, why: 'x' }).name).toBe('iam');
    expect(methods.forLogin({ kind: 'password', verifiers: [], backendSecret: 's' }).name).toBe(
      'scram-sha-256',
    );
  });

  it('gives an unknown user the password method, so it fails as a wrong password does', () => {
    expect(methods.forLogin(null).name).toBe('scram-sha-256');
  });

  it('refuses two methods for one kind, and says when a kind has none', () => {
    expect(() => createAuthMethods([method('iam', 'a'), method('iam', 'b')])).toThrow(/two auth methods/);
    expect(() =>
      createAuthMethods([method('password', 'p')]).forLogin({ kind: 'iam', backendSecret: null, why: '' }),
    ).toThrow(/no auth method registered for login kind "iam"/);
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
