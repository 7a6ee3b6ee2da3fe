// Post-auth sessions: a real login (SCRAM in plain or TLS, -PLUS when offered, or an IAM token in TLS), then
// batches of frontend messages with hostile contents (each batch closed by Sync and read to ReadyForQuery) and a
// final act: Terminate, EOF, a bad type byte or a lying length. Each frame counts as one message.
import { mutate, randomText } from '../mutate.js';
import type { Rng } from '../rng.js';
import type { CaseFamily, FuzzCase, Listener } from '../target.js';
import type { Wire } from '../wire.js';
import {
  AUTH_CLEARTEXT,
  AUTH_SASL,
  AUTH_SASL_CONTINUE,
  authCode,
  cancelRequest,
  cstr,
  frame,
  int16,
  int32,
  passwordMessage,
  saslInitialResponse,
  saslMechanisms,
  saslResponse,
  startupMessage,
} from './codec.js';
import { channelBindingValue, clientProof, parseServerFirst } from './scram.js';
import { nonce, PLAIN, PLUS } from './scram-first-family.js';
import { type PgFuzzSetup, upgrade } from './setup.js';

/** The session's cancel key, from the gateway's BackendKeyData. */
interface CancelKey {
  readonly processId: number;
  readonly key: Buffer;
}

/** After a successful login: read to ReadyForQuery, keeping the BackendKeyData. Null if refused. */
async function welcome(wire: Wire): Promise<CancelKey | null> {
  let key: CancelKey = { processId: 0, key: Buffer.alloc(4) };
  for (;;) {
    const m = await wire.readMessage(10_000);
    if (!m || m.type === 'E') return null;
    if (m.type === 'K' && m.body.length >= 8)
      key = { processId: m.body.readInt32BE(0), key: m.body.subarray(4) };
    if (m.type === 'Z') return key;
  }
}

async function scramLogin(wire: Wire, rng: Rng, setup: PgFuzzSetup): Promise<CancelKey | null> {
  await wire.send(
    startupMessage([
      ['user', setup.passwordUser],
      ['database', setup.database],
      ['application_name', 'fuzz'],
    ]),
  );
  const r = await wire.readUntil('R');
  if (authCode(r) !== AUTH_SASL || !r) return null;
  const hash = wire.encrypted ? wire.certificateHash() : null;
  const plus = saslMechanisms(r.body).includes(PLUS) && hash !== null;
  const gs2 = plus ? 'p=tls-server-end-point,,' : 'n,,';
  const bare = `n=*,r=${nonce(rng)}`;
  await wire.send(saslInitialResponse(plus ? PLUS : PLAIN, Buffer.from(gs2 + bare, 'latin1')));
  const m = await wire.readMessage();
  const server = authCode(m) === AUTH_SASL_CONTINUE && m ? parseServerFirst(m.body.subarray(4)) : null;
  if (!server) return null;
  const withoutProof = `c=${channelBindingValue(gs2, plus ? hash : null)},r=${server.nonce}`;
  const proof = clientProof(setup.password, server, bare, withoutProof).toString('base64');
  await wire.send(saslResponse(Buffer.from(`${withoutProof},p=${proof}`, 'latin1')));
  return welcome(wire);
}

async function iamLogin(wire: Wire, setup: PgFuzzSetup): Promise<CancelKey | null> {
  await wire.send(
    startupMessage([
      ['user', setup.iamUser],
      ['database', setup.database],
    ]),
  );
  if (authCode(await wire.readUntil('R')) !== AUTH_CLEARTEXT) return null;
  await wire.send(passwordMessage(setup.token()));
  return welcome(wire);
}

/**
 * A CancelRequest for this session on a second connection (sometimes inside TLS): the right key (forwarded to
 * the backend), a key one bit off, longer, shorter or random, or another process id. The server never answers.
 */
async function sendCancel(
  rng: Rng,
  extra: (l: Listener) => Promise<Wire>,
  l: Listener,
  k: CancelKey,
): Promise<void> {
  const w = await extra(l);
  if (rng.chance(0.2) && !(await upgrade(w))) return;
  const flipped = Buffer.from(k.key);
  flipped[0] = (flipped[0] as number) ^ (1 << rng.int(0, 7));
  const key = rng.weighted<Buffer>([
    [50, k.key],
    [15, flipped],
    [10, Buffer.concat([k.key, rng.bytes(1)])],
    [10, k.key.subarray(0, k.key.length - 1)],
    [15, rng.bytes(k.key.length)],
  ]);
  await w.send(cancelRequest(rng.chance(0.85) ? k.processId : rng.next() | 0, key));
  await w.waitClosed(5000);
}

const QUERIES = [
  'select 1',
  'select $1::int',
  'select * from items',
  'select current_user',
  "select 'x'",
  'begin',
  'commit',
  'rollback',
  'show server_version',
  'select 1; select 2',
  '',
  ';',
  'select name from items where id = $1',
  'select 1/0',
  'select nonsense from nowhere',
];

function queryText(rng: Rng): Buffer {
  const q = Buffer.from(rng.pick(QUERIES), 'utf8');
  return rng.chance(0.4) ? mutate(rng, q).bytes : q;
}

/** One frontend message with hostile contents but honest framing (so a batch stays in step). */
function postAuthFrame(rng: Rng): Buffer {
  const name = () => cstr(rng.chance(0.7) ? '' : randomText(rng, 10));
  return rng.weighted<() => Buffer>([
    [20, () => frame('Q', cstr(queryText(rng)))],
    [
      8,
      () =>
        frame(
          'P',
          Buffer.concat([name(), cstr(queryText(rng)), int16(rng.int(-2, 3)), int32(rng.int(0, 30))]),
        ),
    ],
    [6, () => frame('B', Buffer.concat([name(), name(), int16(rng.int(-1, 2)), rng.bytes(rng.size(40))]))],
    [4, () => frame('D', Buffer.concat([Buffer.from(rng.pick(['S', 'P', 'X'])), name()]))],
    [4, () => frame('E', Buffer.concat([name(), int32(rng.int(-1, 10))]))],
    [3, () => frame('C', Buffer.concat([Buffer.from(rng.pick(['S', 'P', '?'])), name()]))],
    [3, () => frame('H', Buffer.alloc(0))],
    [5, () => frame('S', Buffer.alloc(0))],
    [4, () => frame(rng.pick(['d', 'c', 'f']), rng.bytes(rng.size(100)))],
    [2, () => frame('F', Buffer.concat([int32(rng.int(0, 5000)), int16(0), int16(1), int32(-1), int16(0)]))],
    [6, () => frame(rng.pick([...'QPBDECHSFdcf']), rng.bytes(rng.size(300)))],
  ])();
}

/** How the session ends: politely, by EOF, or with bytes the backend must refuse. */
function lastAct(rng: Rng): Buffer | null {
  return rng.weighted<() => Buffer | null>([
    [30, () => frame('X', Buffer.alloc(0))],
    [30, () => null],
    [15, () => frame(rng.pick(['\0', 'Z', 'p', 'R', '~']), rng.bytes(rng.size(50)))],
    [
      15,
      () => Buffer.concat([Buffer.from('Q'), int32(rng.pick([0, 3, 0x7fffffff, -1, 70_000])), rng.bytes(8)]),
    ],
    [10, () => rng.bytes(rng.int(1, 300))],
  ])();
}

export function postAuthFamily(setup: PgFuzzSetup, maxFrames = 600): CaseFamily {
  return {
    name: 'post-auth',
    weight: 1,
    kind: 'post-auth',
    generate(rng): FuzzCase {
      const method = setup.tls
        ? rng.weighted([
            [50, 'scram'],
            [25, 'scram-tls'],
            [25, 'iam'],
          ] as const)
        : 'scram';
      const listener = method === 'iam' ? setup.listeners.iam : setup.listeners.password;
      return {
        listener,
        async run(wire, extra) {
          if (method !== 'scram' && !(await upgrade(wire))) return 'fin';
          const key = await (method === 'iam' ? iamLogin(wire, setup) : scramLogin(wire, rng, setup));
          if (!key) return 'fin';
          const budget = rng.int(50, maxFrames);
          let sent = 0;
          while (sent < budget && !wire.closed) {
            const batch = Array.from({ length: rng.int(1, 40) }, () => postAuthFrame(rng));
            batch.push(frame('S', Buffer.alloc(0)));
            // Now and then a cancel races the batch (a query may or may not be running when it lands).
            const cancel = rng.chance(0.08) ? sendCancel(rng, extra, listener, key) : null;
            await wire.send(Buffer.concat(batch), { messages: batch.length });
            sent += batch.length;
            const ready = await wire.readUntil('Z', 10_000, false);
            await cancel;
            if (ready === null) break;
          }
          const last = lastAct(rng);
          if (last) await wire.send(last);
          return 'fin';
        },
      };
    },
  };
}
