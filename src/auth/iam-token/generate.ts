// Mints RDS-compatible IAM database auth tokens: a SigV4-presigned `GET host:port/?Action=connect&DBUser=…`
// for service rds-db, valid 15 minutes, byte-for-byte what @aws-sdk/rds-signer produces for the same inputs (`aws rds
// generate-db-auth-token` signs the same parameters, listing them in another order).
import { formatUrl } from '@aws-sdk/core/util';
import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/protocols';
import { SignatureV4 } from '@smithy/signature-v4';

/** RDS tokens live 15 minutes; X-Amz-Expires above this is refused on connect. */
export const AUTH_TOKEN_LIFETIME_SECONDS = 900;

export interface AuthTokenCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Temporary (STS) credentials add X-Amz-Security-Token. */
  readonly sessionToken?: string;
}

export interface AuthTokenInput {
  readonly hostname: string;
  readonly port: number;
  readonly username: string;
  readonly region: string;
  readonly credentials: AuthTokenCredentials;
  /** Defaults to now; tokens are valid from here for AUTH_TOKEN_LIFETIME_SECONDS. */
  readonly signingDate?: Date;
}

export async function generateAuthToken(input: AuthTokenInput): Promise<string> {
  const signer = new SignatureV4({
    service: 'rds-db',
    region: input.region,
    credentials: input.credentials,
    sha256: Sha256,
  });
  const request = new HttpRequest({
    method: 'GET',
    protocol: 'https:',
    hostname: input.hostname,
    port: input.port,
    query: { Action: 'connect', DBUser: input.username },
    headers: { host: `${input.hostname}:${input.port}` },
  });
  const presigned = await signer.presign(request, {
    expiresIn: AUTH_TOKEN_LIFETIME_SECONDS,
    ...(input.signingDate ? { signingDate: input.signingDate } : {}),
  });
  return formatUrl(presigned).replace('https://', '');
}
