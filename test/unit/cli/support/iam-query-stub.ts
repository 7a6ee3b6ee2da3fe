// A recording AWS Query endpoint over HTTPS for CLI tests: it keeps each request's form parameters and
// SigV4 scope and answers canned XML, so the real AWS SDK serializes and parses as it would against Gatehouse.
import type { IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { runCli } from '../../../../src/cli/program.js';
import { selfSignedCert } from '../../api/support/self-signed.js';
import { testIo } from './cli-io.js';

export interface RecordedRequest {
  action: string;
  /** Every form field except Action and Version. */
  params: Record<string, string>;
  version: string;
  service: string;
  region: string;
  headers: IncomingHttpHeaders;
}

export interface Reply {
  /** Inner XML of <ActionResult>. */
  result?: string;
  status?: number;
  error?: { code: string; message: string };
  headers?: Record<string, string>;
  /** A raw body instead of AWS XML. */
  body?: string;
}

export interface QueryStub {
  url: string;
  caPem: string;
  requests: RecordedRequest[];
  /** Replies for the next calls of `action`, in order; the last one repeats. Default: an empty result. */
  respond(action: string, ...replies: Reply[]): void;
  reset(): void;
  close(): Promise<void>;
}

const SCOPE = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/;

function xmlFor(action: string, reply: Reply): string {
  if (reply.body !== undefined) return reply.body;
  if (reply.error) {
    return `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>${reply.error.code}</Code><Message>${reply.error.message}</Message></Error><RequestId>req-err</RequestId></ErrorResponse>`;
  }
  return `<${action}Response xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><${action}Result>${reply.result ?? ''}</${action}Result><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></${action}Response>`;
}

export async function startQueryStub(): Promise<QueryStub> {
  const cert = selfSignedCert();
  const requests: RecordedRequest[] = [];
  const replies = new Map<string, Reply[]>();
  const server = createServer({ key: cert.keyPem, cert: cert.certPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const params = Object.fromEntries(form);
      const { Action: action = '', Version: version = '', ...rest } = params;
      const scope = SCOPE.exec(req.headers.authorization ?? '');
      requests.push({
        action,
        version,
        params: rest,
        region: scope?.[1] ?? '',
        service: scope?.[2] ?? '',
        headers: req.headers,
      });
      const queue = replies.get(action) ?? [];
      const reply = (queue.length > 1 ? queue.shift() : queue[0]) ?? {};
      res.writeHead(reply.status ?? (reply.error ? 400 : 200), {
        'content-type': 'text/xml',
        ...reply.headers,
      });
      res.end(xmlFor(action, reply));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    caPem: cert.certPem,
    requests,
    respond: (action, ...r) => {
      replies.set(action, r);
    },
    reset: () => {
      requests.length = 0;
      replies.clear();
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the CLI in-process against the stub: key from the environment unless `env` says otherwise. */
export async function runAgainstStub(
  stub: QueryStub,
  args: string[],
  o: { dataDir: string; caFile?: string; env?: NodeJS.ProcessEnv; region?: string },
): Promise<CliRun> {
  const env = o.env ?? { GATEHOUSE_ACCESS_KEY_ID: 'AKIATEST', GATEHOUSE_SECRET_ACCESS_KEY: 'secret' };
  const t = testIo({ env });
  const globals = ['--data-dir', o.dataDir, '--endpoint-url', stub.url, '--region', o.region ?? 'eu-west-1'];
  if (o.caFile !== undefined) globals.push('--ca-bundle', o.caFile);
  const code = await runCli([...globals, ...args], t.io);
  return { code, stdout: t.stdout(), stderr: t.stderr() };
}
