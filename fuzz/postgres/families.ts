// Every PostgreSQL generator family, weighted; the TLS-only ones when the server speaks TLS.
import type { CaseFamily } from '../target.js';
import { directTlsFamily } from './direct-tls-family.js';
import { negotiationFamily } from './negotiation-family.js';
import { postAuthFamily } from './post-auth-family.js';
import { scramFinalFamily } from './scram-final-family.js';
import { scramFirstFamily } from './scram-first-family.js';
import type { PgFuzzSetup } from './setup.js';
import { stallFamily } from './stall-family.js';
import { noiseFamily, oversizeFamily, startupFamily } from './startup-family.js';
import { tokenFamily } from './token-family.js';

export async function createPostgresFamilies(setup: PgFuzzSetup): Promise<CaseFamily[]> {
  const families = [
    startupFamily(setup),
    negotiationFamily(setup),
    noiseFamily(setup),
    oversizeFamily(setup),
    scramFirstFamily(setup),
    scramFinalFamily(setup),
    stallFamily(setup),
    postAuthFamily(setup),
  ];
  if (setup.tls) families.push(tokenFamily(setup), await directTlsFamily(setup));
  return families;
}
