import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DATA_DIR_FILES,
  readCredentials,
  readGatewayInfo,
  resolveDataDir,
  writeCredentials,
  writeGatewayInfo,
} from '../../../src/core/data-dir.js';
import { GatehouseError } from '../../../src/core/errors.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-dd-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const mode = (file: string) => statSync(file).mode & 0o777;

describe('resolveDataDir', () => {
  it('prefers the flag, then GATEHOUSE_HOME, then ~/.gatehouse, always absolute', () => {
    expect(resolveDataDir('rel/dir', { GATEHOUSE_HOME: '/env' })).toBe(resolve('rel/dir'));
    expect(resolveDataDir(undefined, { GATEHOUSE_HOME: '/env/home' })).toBe('/env/home');
    expect(resolveDataDir(undefined, {})).toBe(join(homedir(), '.gatehouse'));
  });
});

describe('credentials file', () => {
  it('is written in AWS INI format with mode 0600 and read back', () => {
    writeCredentials(dir, 'default', { accessKeyId: 'AKIA1', secretAccessKey: 's1' });
    const file = join(dir, DATA_DIR_FILES.credentials);
    expect(mode(file)).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toBe(
      '[default]\naws_access_key_id = AKIA1\naws_secret_access_key = s1\n',
    );
    expect(readCredentials(file, 'default')).toEqual({ accessKeyId: 'AKIA1', secretAccessKey: 's1' });
  });

  it('adding or replacing a profile keeps the other profiles, comments and settings', () => {
    const file = join(dir, DATA_DIR_FILES.credentials);
    writeFileSync(
      file,
      '# mine\n[default]\naws_access_key_id=OLD\naws_secret_access_key=OLDS\naws_session_token=stale\nregion=eu-west-1\n\n[other]\naws_access_key_id = O\naws_secret_access_key = OS\n',
      { mode: 0o644 },
    );
    writeCredentials(dir, 'default', { accessKeyId: 'NEW', secretAccessKey: 'NEWS' });
    writeCredentials(dir, 'third', { accessKeyId: 'T', secretAccessKey: 'TS' });
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('# mine');
    expect(text).toContain('region=eu-west-1');
    expect(text).not.toContain('stale');
    expect(mode(file)).toBe(0o600);
    expect(readCredentials(file, 'default')).toEqual({ accessKeyId: 'NEW', secretAccessKey: 'NEWS' });
    expect(readCredentials(file, 'other')).toEqual({ accessKeyId: 'O', secretAccessKey: 'OS' });
    expect(readCredentials(file, 'third')).toEqual({ accessKeyId: 'T', secretAccessKey: 'TS' });
  });

  it('reads a session token, ignores comments, and returns null for a missing profile or file', () => {
    const file = join(dir, 'creds');
    writeFileSync(
      file,
      '[p]\n; c\naws_access_key_id = A\naws_secret_access_key = S\naws_session_token = T\n',
    );
    expect(readCredentials(file, 'p')).toEqual({ accessKeyId: 'A', secretAccessKey: 'S', sessionToken: 'T' });
    expect(readCredentials(file, 'q')).toBeNull();
    expect(readCredentials(join(dir, 'none'), 'p')).toBeNull();
  });
});

describe('gateway.json', () => {
  it('round-trips with mode 0600 and is null when absent', () => {
    expect(readGatewayInfo(dir)).toBeNull();
    const info = { apiUrl: 'https://127.0.0.1:8433', caFile: '/x/ca.pem', pid: 42, region: 'us-east-1' };
    writeGatewayInfo(dir, info);
    expect(readGatewayInfo(dir)).toEqual(info);
    expect(mode(join(dir, DATA_DIR_FILES.gatewayInfo))).toBe(0o600);
  });

  it('a malformed file is a configuration error naming it', () => {
    writeFileSync(join(dir, DATA_DIR_FILES.gatewayInfo), '{"apiUrl": 1}');
    expect(() => readGatewayInfo(dir)).toThrow(GatehouseError);
    expect(() => readGatewayInfo(dir)).toThrow(/gateway\.json is not valid/);
  });
});
