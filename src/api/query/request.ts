// Reads an AWS Query request: the URL split as SigV4 needs it, and the parameters from query string and
// form body (AWS Query protocol: GET with a query string, or POST application/x-www-form-urlencoded).
import { GatehouseError } from '../../core/errors.js';
import { parseForm } from './params.js';

export interface SplitUrl {
  /** Path as sent (still percent-encoded). */
  path: string;
  rawQuery: string;
  /** Decoded, repeated names as arrays: the shape SigV4 canonicalisation takes. */
  query: Record<string, string | string[]>;
}

export function splitUrl(url: string): SplitUrl {
  const q = url.indexOf('?');
  const rawQuery = q === -1 ? '' : url.slice(q + 1);
  // No prototype: a parameter named __proto__ must be an ordinary (signed) parameter, not a setter.
  const query = Object.create(null) as Record<string, string | string[]>;
  for (const [k, v] of new URLSearchParams(rawQuery)) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return { path: q === -1 ? url : url.slice(0, q), rawQuery, query };
}

const FORM_TYPE = 'application/x-www-form-urlencoded';

/** Every parameter but the presigning ones (X-Amz-*), from the query string and then the body. */
export function requestFields(
  rawQuery: string,
  body: Buffer,
  contentType: string | undefined,
): Map<string, string> {
  const fields = new Map<string, string>();
  for (const [name, value] of parseForm(rawQuery)) if (!name.startsWith('X-Amz-')) fields.set(name, value);
  if (body.length > 0) {
    const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== FORM_TYPE) {
      throw new GatehouseError('GH_API_VALIDATION', {
        reason: `the AWS Query API takes ${FORM_TYPE} bodies, not "${contentType ?? 'no content type'}"`,
      });
    }
    parseForm(body.toString('utf8'), fields);
  }
  return fields;
}

/** Version as the client sent it, read leniently: only to pick the namespace of an early error response. */
export function peekVersion(rawQuery: string, body: Buffer): string | undefined {
  return (
    new URLSearchParams(body.toString('utf8')).get('Version') ??
    new URLSearchParams(rawQuery).get('Version') ??
    undefined
  );
}
