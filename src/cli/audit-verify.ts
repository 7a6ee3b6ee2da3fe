// `gatehouse audit verify` and `gatehouse audit public-key`: the auditor's side. verify reads the store directly,
// never through a running gateway (whose honesty is what is being checked): it recomputes the hash chain and
// checks the signed digests with public keys and digest copies kept outside the store (src/core/audit-verify.ts).
import type { KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfigFile } from '../config/load.js';
import type { GatehouseConfig } from '../config/schema.js';
import { keyIdOf, publicKeyFromPem } from '../core/audit-chain.js';
import { loadAuditSigningKey, publicKeyPem } from '../core/audit-signing-key.js';
import { type StoredDigest, type VerifyReport, verifyTrail } from '../core/audit-verify.js';
import { DATA_DIR_FILES, resolveDataDir } from '../core/data-dir.js';
import { readDigests, readDropped, readHead, seqRangeForTimes, trailRows } from '../store/audit-read.js';
import { openStore, redactStoreUrl } from '../store/pool.js';
import { withReadSnapshot } from '../store/snapshot.js';
import { upStoreUrl } from '../up/store-location.js';
import { chosenOutput, collect, timeArg } from './audit-args.js';
import { CliExit, type CliIo, globalsOf } from './context.js';
import { formatOutput } from './output.js';

interface VerifyFlags {
  from?: string;
  to?: string;
  storeUrl?: string;
  config?: string;
  publicKey?: string[];
  digests?: string;
  allowUnsigned?: boolean;
}

/** Verification reads big batches on one connection: give a query more time than the gateway's 5 s. */
const VERIFY_QUERY_TIMEOUT_MS = 120_000;

interface StoreChoice {
  readonly url: string;
  /** Where the URL came from, for messages. */
  readonly from: string;
}

/** --store-url > --config's store.url (GATEHOUSE_STORE_URL overriding it, as for `serve`) > GATEHOUSE_STORE_URL > the `up` data dir. */
function chooseStore(
  f: VerifyFlags,
  config: GatehouseConfig | null,
  dataDir: string,
  env: NodeJS.ProcessEnv,
): StoreChoice {
  if (f.storeUrl) return { url: f.storeUrl, from: '--store-url' };
  if (config && f.config) return { url: config.store.url, from: `store.url of ${f.config}` };
  const fromEnv = env['GATEHOUSE_STORE_URL'];
  if (fromEnv) return { url: fromEnv, from: 'GATEHOUSE_STORE_URL' };
  const up = upStoreUrl(dataDir);
  if (up) return { url: up, from: `the embedded store of \`gatehouse up\` in ${dataDir}` };
  throw new Error(
    `cannot tell which store to verify: pass --store-url URL or --config FILE, set GATEHOUSE_STORE_URL, or run it with the --data-dir of a \`gatehouse up\` (${dataDir} is not one)`,
  );
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`cannot read ${what} ${file}: ${(e as Error).message}`);
  }
}

/** A public key from a PEM file: SPKI, or a private key's PEM (its public half). */
function readPublicKey(file: string): KeyObject {
  const pem = readText(file, 'the public key');
  try {
    return publicKeyFromPem(pem);
  } catch (e) {
    throw new Error(`${file} is not a PEM public or private key: ${(e as Error).message}`);
  }
}

/** The digest copies a gateway appends to its digest file: JSON lines {digestSeq, body, signature (base64)}. */
export function parseDigestCopies(text: string, file: string): StoredDigest[] {
  const out: StoredDigest[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const bad = (why: string) => new Error(`${file} line ${i + 1} is not an audit digest: ${why}`);
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch (e) {
      throw bad((e as Error).message);
    }
    const { digestSeq, body, signature } = o ?? {};
    if (typeof digestSeq !== 'string' || !/^[1-9]\d{0,18}$/.test(digestSeq)) throw bad('no digestSeq');
    if (typeof body !== 'string') throw bad('no body');
    if (typeof signature !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(signature)) throw bad('no signature');
    out.push({ digestSeq: BigInt(digestSeq), body, signature: Buffer.from(signature, 'base64') });
  });
  return out;
}

/**
 * Where to start reading for a check from `fromSeq`: after the newest digest that ends before it (that digest
 * vouches for the hash the first row read must follow), else from the first event.
 */
function readStart(digests: readonly StoredDigest[], fromSeq: bigint | undefined): bigint {
  if (fromSeq === undefined) return 0n;
  let start = 0n;
  for (const d of digests) {
    try {
      const to = BigInt((JSON.parse(d.body) as { toSeq?: string }).toSeq ?? '0');
      if (to < fromSeq && to + 1n > start) start = to + 1n;
    } catch {
      // an unreadable digest anchors nothing (verify reports it)
    }
  }
  return start;
}

function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

function summary(r: VerifyReport, keyIds: string[], copies: number | null): string[] {
  const range = r.firstSeq !== null ? ` (seq ${r.firstSeq}..${r.lastSeq})` : '';
  const lines = [`${plural(r.events, 'event')} read${range}, ${plural(r.digests, 'signed digest')}.`];
  lines.push(
    r.signaturesChecked
      ? `Digest signatures checked with key${keyIds.length === 1 ? '' : 's'} ${keyIds.join(', ')}.`
      : 'WARNING: no public key was given or found, so digest signatures were NOT checked (pass --public-key FILE).',
  );
  lines.push(
    copies === null
      ? 'No digest copies outside the store were compared (pass --digests FILE).'
      : `${plural(copies, 'digest copy', 'digest copies')} from outside the store compared.`,
  );
  if (r.unsignedTail > 0) {
    lines.push(
      `${plural(r.unsignedTail, 'newest event')} after the last digest ${r.unsignedTail === 1 ? 'is' : 'are'} chained but not yet signed.`,
    );
  }
  return lines;
}

export function registerAuditKeys(audit: Command, io: CliIo): void {
  audit
    .command('verify')
    .description(
      'check the audit trail has not been altered: reads the store directly (not through a gateway), ' +
        'recomputes the hash chain and checks the signed digests; exits 1 and names the first altered ' +
        'event when it was modified, deleted, inserted, reordered or truncated',
    )
    .option('--from <time>', 'check events from this time on: ISO 8601 or epoch seconds', timeArg)
    .option('--to <time>', 'check events up to this time: ISO 8601 or epoch seconds', timeArg)
    .option(
      '--store-url <url>',
      'the store: postgres://USER:PASSWORD@HOST:PORT/DB (default: --config, $GATEHOUSE_STORE_URL, else the `gatehouse up` store of the data dir)',
    )
    .option('--config <file>', 'a gatehouse.yaml: its store.url (and audit key and digest file settings)')
    .option(
      '--public-key <file>',
      'PEM public key (or private key) the digests must be signed with; repeatable (default: the public half of <data-dir>/audit-signing-key.pem)',
      collect,
    )
    .option(
      '--digests <file>',
      'digest copies kept outside the store, JSON lines (default: <data-dir>/audit-digests.jsonl if it exists)',
    )
    .option(
      '--allow-unsigned',
      'exit 0 even when no public key is given or found (digest signatures then go unchecked: a consistently rewritten trail would pass)',
    )
    .action(async (f: VerifyFlags, cmd: Command) => {
      const g = globalsOf(cmd);
      const config = f.config ? await loadConfigFile(resolve(f.config), io.env) : null;
      const dataDir = g.dataDir
        ? resolveDataDir(g.dataDir, io.env)
        : (config?.dataDir ?? resolveDataDir(undefined, io.env));
      const store = chooseStore(f, config, dataDir, io.env);

      const keyFiles = f.publicKey?.length
        ? f.publicKey
        : [config?.audit.signingKeyFile ?? resolve(dataDir, DATA_DIR_FILES.auditSigningKey)].filter((p) =>
            existsSync(p),
          );
      const publicKeys = keyFiles.map(readPublicKey);
      const keyIds = publicKeys.map(keyIdOf);
      const digestFile =
        f.digests ??
        [config?.audit.digestFile ?? resolve(dataDir, DATA_DIR_FILES.auditDigests)].find((p) =>
          existsSync(p),
        );
      // Read before the store: a digest in the file was committed before it was copied out, so it is in the
      // snapshot taken after (the other order could see a digest copied out after the snapshot as deleted).
      const copies =
        digestFile !== undefined
          ? parseDigestCopies(readText(digestFile, 'the digest copies'), digestFile)
          : undefined;
      const from = f.from !== undefined ? new Date(f.from) : undefined;
      const to = f.to !== undefined ? new Date(f.to) : undefined;

      const opened = await openStore(store.url, { max: 1, queryTimeoutMs: VERIFY_QUERY_TIMEOUT_MS });
      let report: VerifyReport;
      try {
        // One snapshot: the events, the head and the digests as of one instant while gateways keep writing.
        report = await withReadSnapshot(opened.pool, async (c) => {
          const head = await readHead(c);
          const digests = await readDigests(c);
          const dropped = await readDropped(c);
          const range = from || to ? await seqRangeForTimes(c, from, to) : {};
          return verifyTrail({
            rows: trailRows(c, readStart([...digests, ...(copies ?? [])], range.fromSeq)),
            head,
            digests,
            ...(copies !== undefined ? { externalDigests: copies } : {}),
            publicKeys,
            ...range,
            dropped,
          });
        });
      } finally {
        await opened.close();
      }

      if (chosenOutput(cmd) === 'json') {
        const shown = {
          ...report,
          store: redactStoreUrl(store.url),
          publicKeys: keyIds,
          digestCopies: copies?.length ?? null,
        };
        io.stdout.write(formatOutput(shown, 'json', 'VerifyTrail'));
      } else {
        const lines: string[] = [];
        const first = report.findings[0];
        if (first) {
          lines.push(`FAILED: ${first.message}`);
          if (report.findings.length > 1) {
            lines.push('', `${plural(report.findings.length, 'finding')}:`);
            const width = Math.max(...report.findings.map((x) => x.kind.length));
            for (const x of report.findings) lines.push(`  ${x.kind.padEnd(width)}  ${x.message}`);
          }
          lines.push('');
        } else {
          lines.push(`OK: the audit trail in ${redactStoreUrl(store.url)} verifies.`);
        }
        lines.push(...summary(report, keyIds, copies?.length ?? null));
        io.stdout.write(`${lines.join('\n')}\n`);
      }
      if (!report.ok) throw new CliExit(1);
      // Without a key the signatures were not checked: not a pass unless the operator says it is enough.
      if (!report.signaturesChecked && f.allowUnsigned !== true) {
        io.stderr.write(
          'FAILED: digest signatures could not be checked (no public key): pass --public-key FILE, or --allow-unsigned to accept the chain alone\n',
        );
        throw new CliExit(1);
      }
    });

  audit
    .command('public-key')
    .description(
      'print the public key that verifies the audit digests (PEM), to hand to auditors for `audit verify --public-key`',
    )
    .option('--signing-key <file>', 'the signing key (default: <data-dir>/audit-signing-key.pem)')
    .action((f: { signingKey?: string }, cmd: Command) => {
      const file =
        f.signingKey ??
        resolve(resolveDataDir(globalsOf(cmd).dataDir, io.env), DATA_DIR_FILES.auditSigningKey);
      const signer = loadAuditSigningKey(file, false);
      const pem = publicKeyPem(signer);
      if (chosenOutput(cmd) === 'json') {
        io.stdout.write(formatOutput({ KeyId: signer.keyId, PublicKey: pem }, 'json', 'PublicKey'));
      } else {
        io.stdout.write(pem.endsWith('\n') ? pem : `${pem}\n`);
      }
    });
}
