// Campaign knobs from the environment (FUZZ_*) and the command line (--write-report, --case ID).
import type { CampaignOptions } from './campaign.js';
import { randomSeed } from './rng.js';

export interface FuzzConfig extends CampaignOptions {
  readonly writeReport: boolean;
}

/** The knobs, their defaults and meaning (printed by --help and in docs/reliability.md). */
export const KNOBS = {
  FUZZ_MESSAGES: [1_000_000, 'messages to send in all (the campaign stops at this count)'],
  FUZZ_CONCURRENCY: [64, 'client connections in flight at once'],
  FUZZ_SEED: [
    'random',
    'seed of every generated case (printed; the same seed and case id regenerate a case)',
  ],
  FUZZ_CHECK_EVERY: [20_000, 'run the good client after every this many messages'],
  FUZZ_DEADLINE_SECONDS: [3600, 'stop issuing cases after this long, whatever the count'],
  FUZZ_TLS_PERCENT: [
    5,
    'percent of the other pre-auth cases run inside TLS (force-SSL cases always are, token cases 90 %)',
  ],
  FUZZ_POST_AUTH_SHARE: [0.4, 'largest fraction of messages that post-auth sessions may contribute'],
  FUZZ_STALL_EVERY: [10_000, 'one stalled start per this many pre-auth cases (0: none)'],
  FUZZ_FAMILIES: ['all', 'comma-separated generator families to run (e.g. startup,noise), for investigation'],
  FUZZ_AWAIT_MS: [250, 'how long an "await" case waits for the server to refuse by itself before EOF'],
} as const;

function number(env: NodeJS.ProcessEnv, name: keyof typeof KNOBS, min: number, max: number): number {
  const raw = env[name];
  const fallback = KNOBS[name][0];
  if (raw === undefined || raw === '') {
    if (typeof fallback !== 'number') throw new Error(`${name} has no numeric default`);
    return fallback;
  }
  const value = Number(raw.replace(/[_,]/g, ''));
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new Error(`${name}=${raw}: expected a number from ${min} to ${max}`);
  }
  return value;
}

export function readConfig(env: NodeJS.ProcessEnv, argv: readonly string[]): FuzzConfig {
  const caseAt = argv.indexOf('--case');
  const only = caseAt >= 0 ? argv[caseAt + 1] : undefined;
  if (only !== undefined && !/^[pas]\d+$/.test(only))
    throw new Error(`--case ${only}: expected p<n>, a<n> or s<n>`);
  const seed = env['FUZZ_SEED'] ? number(env, 'FUZZ_SEED', 0, 2 ** 32 - 1) : randomSeed();
  return {
    messages: Math.floor(number(env, 'FUZZ_MESSAGES', 1, 1e9)),
    concurrency: Math.floor(number(env, 'FUZZ_CONCURRENCY', 1, 512)),
    seed,
    checkEvery: Math.floor(number(env, 'FUZZ_CHECK_EVERY', 100, 1e9)),
    deadlineMs: number(env, 'FUZZ_DEADLINE_SECONDS', 1, 86_400) * 1000,
    tlsProbability: number(env, 'FUZZ_TLS_PERCENT', 0, 100) / 100,
    postAuthShare: number(env, 'FUZZ_POST_AUTH_SHARE', 0, 1),
    stallEvery: Math.floor(number(env, 'FUZZ_STALL_EVERY', 0, 1e9)),
    awaitMs: number(env, 'FUZZ_AWAIT_MS', 0, 10_000),
    writeReport: argv.includes('--write-report'),
    ...(env['FUZZ_FAMILIES'] ? { families: env['FUZZ_FAMILIES'].split(',').map((f) => f.trim()) } : {}),
    ...(only !== undefined ? { only } : {}),
  };
}
