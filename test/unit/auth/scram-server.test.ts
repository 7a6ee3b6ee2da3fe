// SCRAM-SHA-256(-PLUS) server: RFC 7677 vector, node-postgres's real client-side SCRAM, PostgreSQL's refusal rules.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AuthStep } from '../../../src/auth/authenticator.js';
import { createScramClient } from '../../../src/auth/scram/client.js';
import {
  createScramServer,
  type ScramServer,
  type ScramServerOptions,
  scramMechanisms,
} from '../../../src/auth/scram/server.js';
import { createScramSecret, type ScramSecret } from '../../../src/auth/scram/verifier.js';

interface SaslSession {
  mechanism: string;
  response: string;
}
interface NodePgSasl {
  startSession(mechanisms: string[], stream?: unknown): SaslSession;
  continueSession(
    session: SaslSession,
    password: string,
    serverData: string,
    stream?: unknown,
  ): Promise<void>;
  finalizeSession(session: SaslSession, serverData: string): void;
}
const sasl = createRequire(import.meta.url)('pg/lib/crypto/sasl.js') as NodePgSasl;

// A self-signed ECDSA P-256 certificate signed with SHA-256, so tls-server-end-point = SHA-256(DER) (RFC 5929 §4.1).
const CERT_DER = Buffer.from(
  'MIIBljCCATugAwIBAgIUSQEEkmtkKPnHFwRxC/pEECtG9LQwCgYIKoZIzj0EAwIwHzEdMBsGA1UEAwwUZ2F0ZWhvdXNlLXNjcmFt' +
    'LXRlc3QwIBcNMjYxMTI5MDE1MDI2WhgPMjEyNjExMDUwMTUwMjZaMB8xHTAbBgNVBAMMFGdhdGVob3VzZS1zY3JhbS10ZXN0MFkw' +
    'EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE3DjaFufmDbDgcSkXTqIe4AUZ36WhSKY7+rW1DqYhQMgXMtck/qh4cAQYEXLzrkFQYlx4' +
    'lHxlPlhiSu0WTMSEuaNTMFEwHQYDVR0OBBYEFHQ4dw9sVAQ2gxBoa+v+7hJIpSGSMB8GA1UdIwQYMBaAFHQ4dw9sVAQ2gxBoa+v+' +
    '7hJIpSGSMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSQAwRgIhALo76/vSut41nTHhPeI2bOnH8xV7XWeqe4nNNavhwJqL' +
    'AiEAwuwHpthwwCrmEPdeBJt9woTDJXHRKUmM4C59O6Tc92o=',
  'base64',
);
const CERT_HASH = createHash('sha256').update(CERT_DER).digest();
/** What node-postgres reads the certificate from on a TLS socket. */
const tlsStream = { getPeerCertificate: () => ({ raw: CERT_DER }) };

const FAST = 64; // PBKDF2 iterations for tests that are not about the count
const secretFor = (password: string, salt = Buffer.from('fixed-salt-16byt')) =>
  createScramSecret(password, { salt, iterations: FAST });

function serverWith(o: Partial<ScramServerOptions> = {}): ScramServer {
  return createScramServer({
    user: 'alice',
    secrets: [secretFor('pencil')],
    mockSecretKey: Buffer.alloc(32, 1),
    channelBinding: null,
    ...o,
  });
}

/** Run node-postgres's client-side SCRAM against a server; returns the server's last step. */
async function nodePgLogin(
  server: ScramServer,
  password: string,
  o: { channelBinding: boolean; stream?: unknown } = { channelBinding: false },
): Promise<AuthStep> {
  const stream = o.stream ?? (o.channelBinding ? tlsStream : undefined);
  const session = sasl.startSession(scramMechanisms(o.channelBinding ? CERT_HASH : null), stream);
  const first = server.start(session.mechanism, Buffer.from(session.response));
  if (first.kind !== 'challenge') return first;
  await sasl.continueSession(session, password, first.data.toString('latin1'), stream);
  const last = server.step(Buffer.from(session.response, 'latin1'));
  if (last.kind === 'success') sasl.finalizeSession(session, last.final?.toString('latin1') ?? ''); // throws if wrong
  return last;
}

function challengeOf(step: AuthStep): string {
  if (step.kind !== 'challenge') throw new Error(`expected a challenge, got ${JSON.stringify(step)}`);
  return step.data.toString('latin1');
}

describe('SCRAM server', () => {
  it('reproduces the RFC 7677 §3 test vector byte for byte', () => {
    const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
    const server = serverWith({
      user: 'user',
      secrets: [createScramSecret('pencil', { salt, iterations: 4096 })],
      serverNonce: '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
    });
    const first = server.start('SCRAM-SHA-256', Buffer.from('n,,n=user,r=rOprNGfwEbeRWgbNEkqO'));
    expect(challengeOf(first)).toBe(
      'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
    );
    const last = server.step(
      Buffer.from(
        'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
      ),
    );
    expect(last.kind).toBe('success');
    if (last.kind !== 'success') return;
    expect(last.final?.toString()).toBe('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
    expect(last.identity).toEqual({ user: 'user', method: 'scram-sha-256' });
  });

  it('authenticates node-postgres without channel binding (flag n)', async () => {
    const step = await nodePgLogin(serverWith(), 'pencil');
    expect(step).toMatchObject({ kind: 'success', identity: { user: 'alice', method: 'scram-sha-256' } });
  });

  it('authenticates node-postgres on TLS when -PLUS is not offered (flag y, c=eSws)', async () => {
    const step = await nodePgLogin(serverWith(), 'pencil', { channelBinding: false, stream: tlsStream });
    expect(step.kind).toBe('success');
  });

  it('authenticates node-postgres with SCRAM-SHA-256-PLUS (tls-server-end-point)', async () => {
    const server = serverWith({ channelBinding: { certificateHash: CERT_HASH } });
    const step = await nodePgLogin(server, 'pencil', { channelBinding: true });
    expect(step).toMatchObject({ kind: 'success', identity: { method: 'scram-sha-256-plus' } });
    expect(server.method).toBe('scram-sha-256-plus');
  });

  it('refuses -PLUS when the client bound a different certificate', async () => {
    const server = serverWith({ channelBinding: { certificateHash: Buffer.alloc(32, 9) } });
    const step = await nodePgLogin(server, 'pencil', { channelBinding: true });
    expect(step).toMatchObject({ kind: 'failure', code: 'GH_SCRAM_CHANNEL_BINDING' });
  });

  it('refuses a wrong password with GH_AUTH_FAILED and tells only the operator why', async () => {
    const step = await nodePgLogin(serverWith(), 'pencil2');
    expect(step).toMatchObject({ kind: 'failure', code: 'GH_AUTH_FAILED' });
    expect(step.kind === 'failure' && step.detail).toMatch(/wrong password/);
  });

  it('fails an unknown user exactly like a wrong password, with a stable per-user mock salt', async () => {
    const unknown = () => serverWith({ user: 'mallory', secrets: [], serverNonce: 'S'.repeat(24) });
    const known = serverWith({
      user: 'alice',
      secrets: [createScramSecret('pencil')],
      serverNonce: 'S'.repeat(24),
    });
    const clientFirst = Buffer.from('n,,n=,r=CCCCCCCCCCCCCCCCCCCCCCCC');
    const a = challengeOf(unknown().start('SCRAM-SHA-256', clientFirst));
    const b = challengeOf(unknown().start('SCRAM-SHA-256', clientFirst));
    const real = challengeOf(known.start('SCRAM-SHA-256', clientFirst));
    expect(a).toBe(b); // same salt and iterations on every attempt
    const shape = (s: string) => s.replace(/[A-Za-z0-9+/]/g, 'x');
    expect(shape(a)).toBe(shape(real)); // same lengths and structure as a real user's challenge
    expect(a).toMatch(/,i=4096$/);
    const bob = challengeOf(serverWith({ user: 'bob', secrets: [] }).start('SCRAM-SHA-256', clientFirst));
    expect(bob.split(',')[1]).not.toBe(a.split(',')[1]); // each unknown user has its own salt, like real users
    const step = await nodePgLogin(serverWith({ user: 'mallory', secrets: [] }), 'pencil');
    expect(step).toMatchObject({ kind: 'failure', code: 'GH_AUTH_FAILED' });
    expect(step.kind === 'failure' && step.detail).toMatch(/unknown user/);
  });

  it('derives the mock salt from the per-deployment key, so another deployment shows another salt', () => {
    const first = Buffer.from('n,,n=,r=abc');
    const one = challengeOf(
      serverWith({ secrets: [], mockSecretKey: Buffer.alloc(32, 1) }).start('SCRAM-SHA-256', first),
    );
    const two = challengeOf(
      serverWith({ secrets: [], mockSecretKey: Buffer.alloc(32, 2) }).start('SCRAM-SHA-256', first),
    );
    expect(one.split(',')[1]).not.toBe(two.split(',')[1]);
  });

  it('accepts both passwords during rotation and signs with the ServerKey of the secret that matched', async () => {
    const salt = Buffer.from('rotation-salt-16');
    const secrets = [secretFor('new-password', salt), secretFor('old-password', salt)];
    for (const password of ['new-password', 'old-password']) {
      // finalizeSession inside nodePgLogin throws unless v= was made with this password's ServerKey.
      expect((await nodePgLogin(serverWith({ secrets }), password)).kind).toBe('success');
    }
    expect((await nodePgLogin(serverWith({ secrets }), 'older-password')).kind).toBe('failure');
  });

  it('ignores rotation secrets whose salt differs from the first one', async () => {
    const secrets = [
      secretFor('new-password', Buffer.from('salt-number-one!')),
      secretFor('old', Buffer.from('x')),
    ];
    expect(await nodePgLogin(serverWith({ secrets }), 'old')).toMatchObject({ code: 'GH_AUTH_FAILED' });
  });

  it('does not serve a verifier above maxIterations and fails at the end like a mock', async () => {
    const heavy = createScramSecret('pencil', { salt: Buffer.from('s'), iterations: 2000 });
    const server = serverWith({ secrets: [heavy], maxIterations: 1000 });
    const step = await nodePgLogin(server, 'pencil');
    expect(step).toMatchObject({ kind: 'failure', code: 'GH_AUTH_FAILED' });
    expect(step.kind === 'failure' && step.detail).toMatch(/maxIterations/);
  });

  it('advertises -PLUS first and only when a certificate hash is known', () => {
    expect(scramMechanisms(CERT_HASH)).toEqual(['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256']);
    expect(scramMechanisms(null)).toEqual(['SCRAM-SHA-256']);
  });
});

describe('SCRAM server refusals', () => {
  const plus = { channelBinding: { certificateHash: CERT_HASH } };
  it.each([
    [
      'SCRAM-SHA-256-PLUS when no channel binding is offered',
      {},
      'SCRAM-SHA-256-PLUS',
      'p=tls-server-end-point,,n=,r=a',
    ],
    ['an unknown mechanism', {}, 'SCRAM-SHA-1', 'n,,n=,r=a'],
  ])('answers %s with GH_AUTH_METHOD_MISMATCH', (_, o, mechanism, first) => {
    expect(serverWith(o).start(mechanism, Buffer.from(first))).toMatchObject({
      code: 'GH_AUTH_METHOD_MISMATCH',
    });
  });

  it.each([
    [
      'flag y while -PLUS is offered (a downgrade)',
      plus,
      'SCRAM-SHA-256',
      'y,,n=,r=abc',
      'GH_SCRAM_CHANNEL_BINDING',
    ],
    [
      'a channel-binding type other than tls-server-end-point',
      plus,
      'SCRAM-SHA-256-PLUS',
      'p=tls-unique,,n=,r=a',
      'GH_SCRAM_CHANNEL_BINDING',
    ],
    [
      'flag p with the plain mechanism',
      plus,
      'SCRAM-SHA-256',
      'p=tls-server-end-point,,n=,r=a',
      'GH_PROTOCOL_VIOLATION',
    ],
    ['flag n with the -PLUS mechanism', plus, 'SCRAM-SHA-256-PLUS', 'n,,n=,r=a', 'GH_PROTOCOL_VIOLATION'],
    ['an authzid (a=)', {}, 'SCRAM-SHA-256', 'n,a=bob,n=,r=abc', 'GH_PROTOCOL_VIOLATION'],
    ['a mandatory extension (m=)', {}, 'SCRAM-SHA-256', 'n,,m=ext,n=,r=abc', 'GH_PROTOCOL_VIOLATION'],
    ['a nonce with a non-printable byte', {}, 'SCRAM-SHA-256', 'n,,n=,r=ab\x01c', 'GH_PROTOCOL_VIOLATION'],
    ['an empty nonce', {}, 'SCRAM-SHA-256', 'n,,n=,r=', 'GH_PROTOCOL_VIOLATION'],
    ['attributes out of order', {}, 'SCRAM-SHA-256', 'n,,r=abc,n=', 'GH_PROTOCOL_VIOLATION'],
    ['an unknown gs2 flag', {}, 'SCRAM-SHA-256', 'x,,n=,r=abc', 'GH_PROTOCOL_VIOLATION'],
    ['an empty message', {}, 'SCRAM-SHA-256', '', 'GH_PROTOCOL_VIOLATION'],
    ['a NUL byte', {}, 'SCRAM-SHA-256', 'n,,n=\0,r=abc', 'GH_PROTOCOL_VIOLATION'],
  ])('refuses a client-first-message with %s', (_, o, mechanism, first, code) => {
    expect(serverWith(o).start(mechanism, Buffer.from(first, 'latin1'))).toMatchObject({
      kind: 'failure',
      code,
    });
  });

  /** A real exchange up to the client-final-message, which `edit` may tamper with. */
  function finalWith(edit: (clientFinal: string) => string, o: Partial<ScramServerOptions> = {}): AuthStep {
    const server = serverWith(o);
    const client = createScramClient({ password: 'pencil' });
    const challenge = server.start('SCRAM-SHA-256', client.clientFirst());
    if (challenge.kind !== 'challenge') return challenge;
    return server.step(Buffer.from(edit(client.clientFinal(challenge.data).toString('latin1')), 'latin1'));
  }

  it('accepts the untampered exchange the following cases start from', () => {
    expect(finalWith((s) => s).kind).toBe('success');
  });

  it.each([
    [
      'c= claiming flag y after flag n',
      (s: string) => s.replace('c=biws', 'c=eSws'),
      'GH_SCRAM_CHANNEL_BINDING',
    ],
    [
      'c= carrying binding data',
      (s: string) => s.replace('c=biws', 'c=biwsAA=='),
      'GH_SCRAM_CHANNEL_BINDING',
    ],
    [
      'a nonce missing the server part',
      (s: string) => s.replace(/(r=[^,]*)[^,],/, '$1,'),
      'GH_PROTOCOL_VIOLATION',
    ],
    [
      'a nonce with one character changed',
      (s: string) => s.replace(/r=(.)/, 'r=$1$1'),
      'GH_PROTOCOL_VIOLATION',
    ],
    [
      'a proof of 31 bytes',
      (s: string) => s.replace(/p=.*$/, `p=${Buffer.alloc(31).toString('base64')}`),
      'GH_PROTOCOL_VIOLATION',
    ],
    [
      'a proof in non-canonical base64',
      (s: string) => s.replace(/.=$/, (m) => `${m[0] === 'A' ? 'B' : 'A'}=`),
      null,
    ],
    ['garbage after the proof', (s: string) => `${s},x=1`, 'GH_PROTOCOL_VIOLATION'],
    ['no proof', (s: string) => s.replace(/,p=.*$/, ''), 'GH_PROTOCOL_VIOLATION'],
  ])('refuses a client-final-message with %s', (_, edit, code) => {
    const step = finalWith(edit);
    expect(step.kind).toBe('failure');
    if (code) expect(step).toMatchObject({ code });
  });

  it('refuses a wrong proof even when the nonce and channel binding are right', () => {
    const step = finalWith((s) => s.replace(/p=.*$/, `p=${Buffer.alloc(32, 0x5a).toString('base64')}`));
    expect(step).toMatchObject({ kind: 'failure', code: 'GH_AUTH_FAILED' });
  });

  it('refuses steps out of order with GH_PROTOCOL_VIOLATION', () => {
    expect(serverWith().step(Buffer.from('c=biws,r=a,p=x'))).toMatchObject({ code: 'GH_PROTOCOL_VIOLATION' });
    const twice = serverWith();
    expect(twice.start('SCRAM-SHA-256', Buffer.from('n,,n=,r=a')).kind).toBe('challenge');
    expect(twice.start('SCRAM-SHA-256', Buffer.from('n,,n=,r=a'))).toMatchObject({
      code: 'GH_PROTOCOL_VIOLATION',
    });
    const server = serverWith();
    const client = createScramClient({ password: 'pencil' });
    const challenge = server.start('SCRAM-SHA-256', client.clientFirst());
    const final = client.clientFinal(Buffer.from(challengeOf(challenge), 'latin1'));
    expect(server.step(final).kind).toBe('success');
    expect(server.step(final)).toMatchObject({ code: 'GH_PROTOCOL_VIOLATION' });
  });
});

describe('SCRAM server properties', () => {
  const password = fc.string({ unit: 'binary', minLength: 1, maxLength: 24 });

  it('round-trips our client for any password, and any single-byte change to the proof fails', () => {
    fc.assert(
      fc.property(password, fc.nat(31), fc.integer({ min: 1, max: 255 }), (pw, index, flip) => {
        const secrets: ScramSecret[] = [secretFor(pw)];
        const run = (tamper: boolean): AuthStep => {
          const server = serverWith({ secrets });
          const client = createScramClient({ password: pw });
          const final = client.clientFinal(
            Buffer.from(challengeOf(server.start('SCRAM-SHA-256', client.clientFirst())), 'latin1'),
          );
          if (!tamper) {
            const ok = server.step(final);
            if (ok.kind === 'success' && ok.final) client.verifyServerFinal(ok.final);
            return ok;
          }
          const text = final.toString('latin1');
          const at = text.lastIndexOf(',p=') + 3;
          const proof = Buffer.from(text.slice(at), 'base64');
          proof[index] = (proof[index] ?? 0) ^ flip;
          return server.step(Buffer.from(text.slice(0, at) + proof.toString('base64'), 'latin1'));
        };
        expect(run(false).kind).toBe('success');
        expect(run(true)).toMatchObject({ kind: 'failure', code: 'GH_AUTH_FAILED' });
      }),
      { numRuns: 60 },
    );
  });

  it('never succeeds and never throws on a changed character anywhere in the client-final-message', () => {
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 0x20, max: 0x7e }), (pos, code) => {
        const step = finalWithChar(pos, String.fromCharCode(code));
        if (step !== null) expect(step.kind).toBe('failure');
      }),
      { numRuns: 200 },
    );
  });

  it('returns failures, never exceptions, for arbitrary bytes in either message', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 }), (a, b) => {
        const server = serverWith({ channelBinding: { certificateHash: CERT_HASH } });
        const first = server.start('SCRAM-SHA-256-PLUS', Buffer.from(a));
        expect(first.kind).not.toBe('success');
        expect(server.step(Buffer.from(b)).kind).toBe('failure');
      }),
    );
  });
});

/** Replace the character at `pos` (mod length) of a valid client-final-message; null when it would not change. */
function finalWithChar(pos: number, ch: string): AuthStep | null {
  const server = serverWith();
  const client = createScramClient({ password: 'pencil' });
  const final = client.clientFinal(
    Buffer.from(challengeOf(server.start('SCRAM-SHA-256', client.clientFirst())), 'latin1'),
  );
  const text = final.toString('latin1');
  const i = pos % text.length;
  if (text[i] === ch) return null;
  return server.step(Buffer.from(text.slice(0, i) + ch + text.slice(i + 1), 'latin1'));
}
