// The management call event builder: secrets hidden at any depth (checked against a slow reference with
// fast-check), values bounded, CloudTrail's userIdentity and its null responseElements for read-only calls.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_REDACTION_LIMITS,
  HIDDEN,
  hideEmbeddedSecrets,
  isSecretName,
  type RedactionLimits,
  redactForAudit,
} from '../../../src/api/audit-redaction.js';
import {
  createManagementEvent,
  identityOf,
  isReadOnlyAction,
  type ManagementCall,
} from '../../../src/api/management-events.js';

const ACCOUNT = '123456789012';

describe('the redaction rule', () => {
  it('hides every field whose name contains password, secret, token (any case), and only those', () => {
    for (const name of [
      'Password',
      'password',
      'MasterUserPassword',
      'NewPassword',
      'OldPassword',
      'SecretAccessKey',
      'secretAccessKey',
      'SessionToken',
      'sessionToken',
      'client_secret',
      'TokenCode',
      'NextToken',
      'SSLPassphrase',
      'PrivateKey',
      'passwd',
    ]) {
      expect(isSecretName(name), name).toBe(true);
    }
    for (const name of ['AccessKeyId', 'UserName', 'PolicyDocument', 'Credentials', 'Expiration', 'Auth']) {
      expect(isSecretName(name), name).toBe(false);
    }
  });

  it("hides CreateAccessKey's SecretAccessKey but keeps the key id and owner", () => {
    const out = redactForAudit({
      AccessKey: {
        UserName: 'alice',
        AccessKeyId: 'AKIAEXAMPLEEXAMPLE01',
        Status: 'Active',
        SecretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
        CreateDate: new Date('2026-01-02T03:04:05Z'),
      },
    });
    expect(out).toEqual({
      AccessKey: {
        UserName: 'alice',
        AccessKeyId: 'AKIAEXAMPLEEXAMPLE01',
        Status: 'Active',
        SecretAccessKey: HIDDEN,
        CreateDate: '2026-01-02T03:04:05.000Z',
      },
    });
  });

  it("hides AssumeRole's Credentials.SecretAccessKey and SessionToken, keeping AccessKeyId and Expiration", () => {
    const out = redactForAudit({
      Credentials: {
        AccessKeyId: 'ASIAEXAMPLEEXAMPLE01',
        SecretAccessKey: 'sts-secret',
        SessionToken: 'sts-token',
        Expiration: '2026-01-02T04:04:05Z',
      },
      AssumedRoleUser: { AssumedRoleId: 'AROAEXAMPLE:s', Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/r/s` },
    });
    expect(out?.['Credentials']).toEqual({
      AccessKeyId: 'ASIAEXAMPLEEXAMPLE01',
      SecretAccessKey: HIDDEN,
      SessionToken: HIDDEN,
      Expiration: '2026-01-02T04:04:05Z',
    });
    expect(JSON.stringify(out)).not.toMatch(/sts-secret|sts-token/);
  });

  it('hides the JSON API passwords (CreateDBUser, RotateDBUserPassword) in parameters and responses', () => {
    expect(
      redactForAudit({
        DBInstanceIdentifier: 'demo',
        Username: 'mia',
        Auth: 'password',
        Password: 'hunter22',
      }),
    ).toEqual({ DBInstanceIdentifier: 'demo', Username: 'mia', Auth: 'password', Password: HIDDEN });
    expect(redactForAudit({ DBUser: 'mia', Password: 'generated-once' })).toEqual({
      DBUser: 'mia',
      Password: HIDDEN,
    });
  });

  it('hides a whole secret-named structure, list or number, not just strings', () => {
    expect(
      redactForAudit({ Secret: { a: 'x', b: ['y'] }, Tokens: ['t1', 't2'], Pin: 1, PinPassword: 1234 }),
    ).toEqual({ Secret: HIDDEN, Tokens: HIDDEN, Pin: 1, PinPassword: HIDDEN });
  });

  it('hides the password of a BackendUrl (userinfo and query) and of a connection string', () => {
    expect(hideEmbeddedSecrets('postgres://admin:s3cret@db:5432/app')).toBe(
      `postgres://admin:${HIDDEN}@db:5432/app`,
    );
    // A password holding @ and / (unencoded): everything up to the last @ is hidden.
    expect(hideEmbeddedSecrets('postgresql://admin:p@ss/w@db/app')).toBe(
      `postgresql://admin:${HIDDEN}@db/app`,
    );
    expect(hideEmbeddedSecrets('postgres://admin@db/app?sslmode=require&password=zz&x=1')).toBe(
      `postgres://admin@db/app?sslmode=require&password=${HIDDEN}&x=1`,
    );
    expect(hideEmbeddedSecrets('postgres://db/app?pass%77ord=zz')).toBe(
      `postgres://db/app?pass%77ord=${HIDDEN}`,
    );
    expect(hideEmbeddedSecrets('postgres://admin@db:5432/app')).toBe('postgres://admin@db:5432/app');
    expect(hideEmbeddedSecrets("host=db password='a b c' user=u")).toBe(`host=db password=${HIDDEN} user=u`);
    expect(hideEmbeddedSecrets('host=db PASSWORD = "unterminated and more')).toBe(
      `host=db PASSWORD = ${HIDDEN}`,
    );
    expect(hideEmbeddedSecrets('x=password=zz')).toBe(`x=password=${HIDDEN}`);
    const params = redactForAudit({ BackendUrl: 'postgres://admin:s3cret@db:5432/app' });
    expect(JSON.stringify(params)).not.toContain('s3cret');
  });

  it('takes linear time on hostile megabyte strings (no regex backtracking, no full escaping before the cut)', () => {
    const mib = 1024 * 1024;
    const hostile = [
      'a'.repeat(mib),
      `${'a'.repeat(mib)}=`,
      'password'.repeat(mib / 8),
      'password='.repeat(mib / 9),
      ` ${'='.repeat(mib)}`,
      `postgres://${'&a'.repeat(mib / 2)}`,
      `postgres://u:${':'.repeat(mib)}@h?${'password&'.repeat(mib / 9)}`,
      '\u0001'.repeat(mib),
    ];
    const started = performance.now();
    for (const value of hostile) {
      const out = redactForAudit({ Value: value, [value]: 1 }) as Record<string, unknown>;
      expect(String(out['Value']).length).toBeLessThanOrEqual(DEFAULT_REDACTION_LIMITS.maxString);
    }
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('keeps policy documents (short ones whole, long ones cut with a marker)', () => {
    const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*' }] });
    expect(redactForAudit({ PolicyDocument: policy })).toEqual({ PolicyDocument: policy });
    const long = `{"Statement":"${'x'.repeat(10_000)}"}`;
    const cut = redactForAudit({ PolicyDocument: long })?.['PolicyDocument'] as string;
    expect(cut.length).toBeLessThanOrEqual(DEFAULT_REDACTION_LIMITS.maxString);
    expect(cut).toMatch(/\[cut from 10016 chars\]$/);
    expect(cut.startsWith('{"Statement":"xxx')).toBe(true);
  });

  it('bounds the total, the entries, the depth and the names, saying what it cut', () => {
    const many = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`Field${i}`, 'v'.repeat(4000)]));
    const out = redactForAudit(many) as Record<string, unknown>;
    expect(JSON.stringify(out).length).toBeLessThan(DEFAULT_REDACTION_LIMITS.maxTotal + 8 * 1024);
    expect(out['…']).toMatch(/^\[\d+ more fields cut\]$/);

    const list = redactForAudit({ L: Array.from({ length: 2000 }, () => 1) }) as { L: unknown[] };
    expect(list.L).toHaveLength(DEFAULT_REDACTION_LIMITS.maxEntries + 1);
    expect(list.L.at(-1)).toBe('[1500 more items cut]');

    let deep: Record<string, unknown> = { leaf: 'x' };
    for (let i = 0; i < 40; i++) deep = { d: deep };
    expect(JSON.stringify(redactForAudit(deep))).toContain('[nested too deep]');

    const longName = `${'n'.repeat(1000)}Password`;
    const named = redactForAudit({ [longName]: 'zz-secret' }) as Record<string, unknown>;
    const [key] = Object.keys(named);
    expect(key?.length).toBeLessThanOrEqual(DEFAULT_REDACTION_LIMITS.maxKey);
    // The rule reads the full name: the cut name still hides its value.
    expect(Object.values(named)).toEqual([HIDDEN]);
  });

  it('keeps a field named __proto__ a field, and gives null for anything but an object', () => {
    const parsed = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as unknown;
    const out = redactForAudit(parsed) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    for (const v of [null, undefined, 'text', 3, ['a'], new Date()]) expect(redactForAudit(v)).toBeNull();
  });

  it('escapes control characters so a value cannot forge log lines', () => {
    expect(redactForAudit({ UserName: 'a\nb\u202e' })).toEqual({ UserName: 'a\\nb\\u202E' });
  });
});

describe('userIdentity', () => {
  it('types the principal by its ARN, with account and key', () => {
    expect(identityOf(`arn:aws:iam::${ACCOUNT}:user/ops/alice`, 'AKIA1')).toEqual({
      type: 'IAMUser',
      arn: `arn:aws:iam::${ACCOUNT}:user/ops/alice`,
      accountId: ACCOUNT,
      accessKeyId: 'AKIA1',
    });
    expect(identityOf(`arn:aws:sts::${ACCOUNT}:assumed-role/deploy/s1`, 'ASIA1')).toMatchObject({
      type: 'AssumedRole',
      accountId: ACCOUNT,
    });
    expect(identityOf(`arn:aws:iam::${ACCOUNT}:root`, 'AKIA2')).toMatchObject({
      type: 'Root',
      accountId: ACCOUNT,
    });
  });

  it('is Unknown before the signature verified, naming only a well-formed claimed key', () => {
    expect(identityOf(undefined, 'AKIACLAIMED')).toEqual({ type: 'Unknown', accessKeyId: 'AKIACLAIMED' });
    expect(identityOf(undefined, 'AKIA\n<script>')).toEqual({ type: 'Unknown' });
    expect(identityOf(undefined, undefined)).toEqual({ type: 'Unknown' });
  });
});

describe('the event', () => {
  const base: ManagementCall = {
    at: new Date('2026-03-04T05:06:07.000Z'),
    requestId: '0123456789abcdef',
    eventSource: 'iam.amazonaws.com',
    eventName: 'CreateAccessKey',
    principalArn: `arn:aws:iam::${ACCOUNT}:user/admin`,
    accessKeyId: 'AKIAADMIN',
    sourceIp: '127.0.0.1',
    userAgent: 'aws-sdk-js/3',
    parameters: { UserName: 'alice' },
    response: { AccessKey: { AccessKeyId: 'AKIANEW', SecretAccessKey: 'new-secret' } },
  };

  it('records a mutating call with its redacted response', () => {
    expect(createManagementEvent(base)).toEqual({
      type: 'api.call',
      at: '2026-03-04T05:06:07.000Z',
      requestId: '0123456789abcdef',
      eventSource: 'iam.amazonaws.com',
      eventName: 'CreateAccessKey',
      userIdentity: {
        type: 'IAMUser',
        arn: `arn:aws:iam::${ACCOUNT}:user/admin`,
        accountId: ACCOUNT,
        accessKeyId: 'AKIAADMIN',
      },
      sourceIPAddress: '127.0.0.1',
      userAgent: 'aws-sdk-js/3',
      requestParameters: { UserName: 'alice' },
      responseElements: { AccessKey: { AccessKeyId: 'AKIANEW', SecretAccessKey: HIDDEN } },
    });
  });

  it('records null responseElements for read-only calls and for failures, with the error the caller got', () => {
    for (const name of [
      'ListUsers',
      'GetUser',
      'GetCallerIdentity',
      'DescribeDBInstances',
      'SimulateCustomPolicy',
      'LookupEvents',
    ])
      expect(createManagementEvent({ ...base, eventName: name }).responseElements, name).toBeNull();
    for (const name of ['CreateUser', 'AssumeRole', 'GetSessionToken', 'RotateDBUserPassword', 'Getaway'])
      expect(isReadOnlyAction(name), name).toBe(false);
    const failed = createManagementEvent({
      ...base,
      error: { code: 'AccessDenied', message: 'User: … is not' },
    });
    expect(failed).toMatchObject({
      errorCode: 'AccessDenied',
      errorMessage: 'User: … is not',
      responseElements: null,
    });
    expect(createManagementEvent(base)).not.toHaveProperty('errorCode');
  });

  it('gives a caller whose signature did not verify a much smaller budget for its parameters', () => {
    const parameters = { PolicyDocument: 'p'.repeat(100_000), Other: 'o'.repeat(100_000) };
    const verified = createManagementEvent({ ...base, parameters });
    const { principalArn: _, ...unverifiedCall } = base;
    const unverified = createManagementEvent({ ...unverifiedCall, parameters });
    expect(JSON.stringify(verified.requestParameters).length).toBeGreaterThan(8000);
    expect(JSON.stringify(unverified.requestParameters).length).toBeLessThanOrEqual(1200);
    expect(unverified.userIdentity).toEqual({ type: 'Unknown', accessKeyId: 'AKIAADMIN' });
  });

  it('caps the user agent and the event name', () => {
    const e = createManagementEvent({ ...base, userAgent: 'x'.repeat(5000), eventName: 'A'.repeat(1000) });
    expect(e.userAgent?.length).toBeLessThanOrEqual(512);
    expect(e.eventName.length).toBeLessThanOrEqual(128);
    expect(createManagementEvent({ ...base, userAgent: ['a', 'b'] }).userAgent).toBe('a, b');
  });
});

// ---- Property: no value under a secret-named key survives, at any depth, whatever the limits. ----

type Tree = string | number | boolean | null | Tree[] | { [k: string]: Tree };

/** The obviously correct rule, spelled out separately from the implementation's word list. */
function referenceIsSecret(key: string): boolean {
  const k = key.toLowerCase();
  return (
    k.includes('password') ||
    k.includes('passwd') ||
    k.includes('passphrase') ||
    k.includes('secret') ||
    k.includes('token') ||
    k.includes('privatekey')
  );
}

/** Every leaf with whether some key on its path is secret-named (no limits, no shortcuts). */
function referenceLeaves(tree: Tree, underSecret = false, out: [Tree, boolean][] = []): [Tree, boolean][] {
  if (Array.isArray(tree)) for (const item of tree) referenceLeaves(item, underSecret, out);
  else if (tree !== null && typeof tree === 'object') {
    for (const key of Object.keys(tree))
      referenceLeaves(tree[key] as Tree, underSecret || referenceIsSecret(key), out);
  } else out.push([tree, underSecret]);
  return out;
}

/** The reference redaction: the same tree with each secret-named key's value replaced, nothing else changed. */
function referenceRedact(tree: Tree): Tree {
  if (Array.isArray(tree)) return tree.map(referenceRedact);
  if (tree !== null && typeof tree === 'object') {
    return Object.fromEntries(
      Object.keys(tree).map((key) => [
        key,
        referenceIsSecret(key) ? HIDDEN : referenceRedact(tree[key] as Tree),
      ]),
    );
  }
  return tree;
}

const secretWord = fc.constantFrom('password', 'passwd', 'passphrase', 'secret', 'token', 'privatekey');
/** Names that may be secret: a secret word in random case with random text around it, or plain names. */
const keyArb = fc.oneof(
  fc
    .tuple(
      fc.string({ maxLength: 4 }),
      secretWord,
      fc.string({ maxLength: 4 }),
      fc.array(fc.boolean(), { maxLength: 12 }),
    )
    .map(([a, w, b, caps]) => a + [...w].map((c, i) => (caps[i] ? c.toUpperCase() : c)).join('') + b),
  fc.constantFrom('UserName', 'AccessKeyId', 'Credentials', 'Tags', 'Value', 'PolicyDocument', 'Key'),
  fc.string({ unit: fc.constantFrom('a', 'b', 'K', 'e', 'y', '_'), maxLength: 6 }),
);
const leafArb = fc.oneof(fc.constant(0), fc.boolean(), fc.constant(null));

/** A tree whose string and number leaves are then made unique, so each can be looked for in the output. */
const treeArb = fc.letrec<{ tree: Tree; node: Record<string, Tree> }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small' },
    fc.constant('s'),
    leafArb,
    fc.array(tie('tree'), { maxLength: 4 }),
    tie('node'),
  ),
  node: fc.dictionary(keyArb, tie('tree'), { maxKeys: 5 }),
})).node;

function numberLeaves(tree: Tree, counter = { n: 0 }): Tree {
  if (Array.isArray(tree)) return tree.map((t) => numberLeaves(t, counter));
  if (tree !== null && typeof tree === 'object') {
    return Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, numberLeaves(v, counter)]));
  }
  counter.n++;
  if (typeof tree === 'string') return `<v${counter.n}>`;
  // Nine digits, all distinct: one number is never a substring of another's JSON.
  if (typeof tree === 'number') return 900_000_000 + counter.n;
  return tree;
}

const taggedTree = treeArb.map((t) => numberLeaves(t) as Record<string, Tree>);

const limitsArb: fc.Arbitrary<RedactionLimits> = fc.record({
  maxString: fc.integer({ min: 1, max: 64 }),
  maxKey: fc.integer({ min: 1, max: 16 }),
  maxDepth: fc.integer({ min: 0, max: 6 }),
  maxEntries: fc.integer({ min: 0, max: 6 }),
  maxTotal: fc.integer({ min: 0, max: 400 }),
});

describe('redaction properties', () => {
  it('no string or number under a secret-named key at any depth survives, whatever the limits', () => {
    fc.assert(
      fc.property(taggedTree, fc.option(limitsArb, { nil: undefined }), (tree, limits) => {
        const json = JSON.stringify(redactForAudit(tree, limits));
        for (const [leaf, underSecret] of referenceLeaves(tree)) {
          if (underSecret && (typeof leaf === 'string' || typeof leaf === 'number')) {
            expect(json).not.toContain(String(leaf));
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('within the limits, the result is exactly the reference redaction (nothing else changed or lost)', () => {
    fc.assert(
      fc.property(taggedTree, (tree) => {
        expect(redactForAudit(tree)).toEqual(referenceRedact(tree));
      }),
      { numRuns: 500 },
    );
  });

  it('arbitrary JSON never makes it throw nor exceed its bound', () => {
    const small: RedactionLimits = { maxString: 32, maxKey: 16, maxDepth: 4, maxEntries: 8, maxTotal: 256 };
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (value) => {
        const json = JSON.stringify(redactForAudit(value, small));
        // The budget overshoots by at most one string and one name per open level, plus the cut markers.
        expect(json.length).toBeLessThan(4096);
        // Random secrets may also occur where they are not secret (or inside the marker): those prove nothing.
        const visible = JSON.stringify(referenceRedact(value as Tree)) + HIDDEN;
        for (const [leaf, underSecret] of referenceLeaves(value as Tree)) {
          const text = JSON.stringify(leaf).slice(1, -1);
          if (underSecret && typeof leaf === 'string' && leaf.length >= 4 && !visible.includes(text)) {
            expect(json).not.toContain(text);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
