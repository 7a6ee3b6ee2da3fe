// Step 2 on PostgreSQL's wire: the auth method's exchange as PostgreSQL messages (PG doc 55.3). A `sasl`
// exchange is AuthenticationSASL / SASLInitialResponse / AuthenticationSASLContinue / SASLResponse; a
// `cleartext` one is AuthenticationCleartextPassword / PasswordMessage (only ever inside TLS for tokens).

import { GatehouseError } from '../../core/errors.js';
import {
  createAuthenticationCleartextPassword,
  createAuthenticationSASL,
  createAuthenticationSASLContinue,
  parsePasswordMessage,
  parseSASLInitialResponse,
} from '../../protocol/postgres/index.js';
import type { Authenticated, Exchange } from '../common/auth-method.js';
import type { EngineLimits } from '../common/limits.js';
import type { FrontendConnection } from './frontend-connection.js';

/** SCRAM takes two turns; a GSSAPI token loop a few more. A method that never finishes is cut off here. */
const MAX_SASL_TURNS = 16;

async function readPasswordMessage(
  conn: FrontendConnection,
  maxBytes: number,
  what: string,
): Promise<Buffer> {
  const msg = await conn.readMessage(maxBytes);
  if (msg.type !== 'p') {
    throw new GatehouseError('GH_PROTOCOL_VIOLATION', {
      reason: `expected ${what}, got message type "${msg.type}"`,
    });
  }
  return msg.body;
}

export async function authenticate(
  conn: FrontendConnection,
  exchange: Exchange,
  limits: EngineLimits,
): Promise<Authenticated> {
  const max = limits.maxAuthMessageBytes;
  if (exchange.shape === 'cleartext') {
    conn.write(createAuthenticationCleartextPassword());
    // Read up to the larger cap, then let the method judge the size so an over-long secret gets its own code.
    const body = await readPasswordMessage(conn, Math.max(exchange.maxSecretBytes, max), 'password');
    if (body.length - 1 > exchange.maxSecretBytes) throw exchange.tooLarge(body.length - 1);
    return exchange.verify(parsePasswordMessage(body));
  }
  conn.write(createAuthenticationSASL([...exchange.mechanisms]));
  const initial = parseSASLInitialResponse(await readPasswordMessage(conn, max, 'SASL response'));
  if (initial.data === null) {
    throw new GatehouseError('GH_PROTOCOL_VIOLATION', { reason: 'SASL initial response without data' });
  }
  let turn = await exchange.start(initial.mechanism, initial.data);
  for (let turns = 1; turn.kind === 'challenge'; turns++) {
    if (turns > MAX_SASL_TURNS) {
      throw new GatehouseError('GH_PROTOCOL_VIOLATION', { reason: `more than ${MAX_SASL_TURNS} SASL turns` });
    }
    conn.write(createAuthenticationSASLContinue(turn.data));
    turn = await exchange.step(await readPasswordMessage(conn, max, 'SASL response'));
  }
  return turn.authenticated;
}
