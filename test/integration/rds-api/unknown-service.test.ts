// Requests signed for a service Gatehouse does not serve (ec2, s3, lambda; gatehouse on the Query path; iam on the
// JSON path) are told which services it serves, naming theirs, before any key or signature is looked at; an RDS SDK
// client configured for another region is told the region to use. No SDK client for EC2/S3/Lambda is installed,
// so those requests are made as those SDKs make them: their exact shape, signed by the SDKs' SigV4 signer.
import { request } from 'node:https';
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeSha256 } from '../../../src/cli/node-sha256.js';
import { failure, type RdsGateway, startRdsGateway } from './support/rds-harness.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

describe('a request signed for a service Gatehouse does not serve', () => {
  let h: RdsGateway;
  beforeAll(async () => {
    h = await startRdsGateway();
  });
  afterAll(async () => {
    await h?.stop();
  });

  async function signed(o: {
    service: string;
    method: 'GET' | 'POST';
    path: string;
    body?: string;
    contentType?: string;
    secretAccessKey?: string;
  }): Promise<Reply> {
    const url = new URL(h.t.gateway.apiUrl);
    const body = o.body ?? '';
    const signer = new SignatureV4({
      service: o.service,
      region: h.region,
      credentials: { ...h.admin, ...(o.secretAccessKey ? { secretAccessKey: o.secretAccessKey } : {}) },
      sha256: NodeSha256,
    });
    const req = await signer.sign({
      method: o.method,
      protocol: 'https:',
      hostname: url.hostname,
      path: o.path,
      query: {},
      headers: {
        host: url.host,
        ...(body !== '' ? { 'content-type': o.contentType ?? 'application/x-www-form-urlencoded' } : {}),
        ...(body !== '' ? { 'content-length': String(Buffer.byteLength(body)) } : {}),
      },
      ...(body !== '' ? { body } : {}),
    });
    return new Promise((resolve, reject) => {
      const r = request(
        {
          method: o.method,
          host: url.hostname,
          port: url.port,
          path: o.path,
          headers: req.headers,
          ca: h.ca,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              text: Buffer.concat(chunks).toString('utf8'),
            }),
          );
        },
      );
      r.on('error', reject);
      r.end(body);
    });
  }

  const SERVED =
    "Gatehouse serves the iam, sts and rds APIs here; this request was signed for the service 'ec2'";

  it("EC2's DescribeInstances (Query protocol) is UnknownService naming ec2, never SignatureDoesNotMatch", async () => {
    for (const secretAccessKey of [undefined, 'a-wrong-secret']) {
      const res = await signed({
        service: 'ec2',
        method: 'POST',
        path: '/',
        body: 'Action=DescribeInstances&Version=2016-11-15',
        ...(secretAccessKey ? { secretAccessKey } : {}),
      });
      expect(res.status).toBe(400);
      expect(res.text).toContain('<Code>UnknownService</Code>');
      expect(res.text).toContain(`<Message>${SERVED.replace(/'/g, '&apos;')}</Message>`);
      expect(res.headers['x-gatehouse-error-code']).toBe('GH_API_UNKNOWN_SERVICE');
    }
  });

  it("S3's ListBuckets (GET /) names s3; Lambda's ListFunctions (rest-json) names lambda in a body its parsers read", async () => {
    const s3 = await signed({ service: 's3', method: 'GET', path: '/' });
    expect(s3.status).toBe(400);
    expect(s3.text).toContain('<Code>UnknownService</Code>');
    expect(s3.text).toContain('signed for the service &apos;s3&apos;');

    const lambda = await signed({ service: 'lambda', method: 'GET', path: '/2015-03-31/functions/' });
    expect(lambda.status).toBe(400);
    expect(lambda.headers['x-amzn-errortype']).toBe('UnknownService');
    const body = JSON.parse(lambda.text) as {
      __type: string;
      message: string;
      Error: { GatehouseCode: string };
    };
    expect(body.__type).toBe('UnknownService');
    expect(body.message).toMatch(
      /^Gatehouse serves the iam, sts and rds \(at \/\) and gatehouse \(under \/v1\/\) APIs here; this request was signed for the service 'lambda'/,
    );
    expect(body.Error.GatehouseCode).toBe('GH_API_UNKNOWN_SERVICE');
  });

  it('the JSON API signed for rds, and the Query API signed for gatehouse, are each told the other name', async () => {
    const json = await signed({
      service: 'rds',
      method: 'POST',
      path: '/v1/DescribeDBInstances',
      body: '{}',
      contentType: 'application/json',
    });
    expect(json.status).toBe(400);
    expect(JSON.parse(json.text).Error).toMatchObject({
      Code: 'UnknownService',
      GatehouseCode: 'GH_API_UNKNOWN_SERVICE',
    });
    expect(JSON.parse(json.text).Error.Message).toMatch(
      /^Gatehouse serves the gatehouse APIs here; this request was signed for the service 'rds'/,
    );
    const query = await signed({
      service: 'gatehouse',
      method: 'POST',
      path: '/',
      body: 'Action=DescribeDBInstances&Version=2014-10-31',
    });
    expect(query.text).toContain('<Code>UnknownService</Code>');
    expect(query.text).toContain('signed for the service &apos;gatehouse&apos;');
  });

  it('an RDS SDK client set to another region is told the region to sign for', async () => {
    const other = h.region === 'eu-west-1' ? 'us-east-1' : 'eu-west-1';
    const e = await failure(h.rds(h.admin, other).send(new DescribeDBInstancesCommand({})));
    expect(e.message).toBe(
      `credential should be scoped to region "${h.region}", not "${other}": sign with --region ${h.region}`,
    );
    expect(e.message).not.toMatch(/secret access key/);
  });

  it('the refused EC2 call is on the audit trail with the code the caller got', async () => {
    const res = await signed({
      service: 'ec2',
      method: 'POST',
      path: '/',
      body: 'Action=DescribeInstances&Version=2016-11-15',
    });
    const e = await h.eventOf(String(res.headers['x-amzn-requestid']));
    expect(e).toMatchObject({ eventName: 'DescribeInstances', errorCode: 'UnknownService' });
    expect(e.userIdentity).toMatchObject({ type: 'Unknown', accessKeyId: h.admin.accessKeyId });
  });
});
