// Response builders shared by the routes: MDE and Graph error bodies and OData content types.
import * as crypto from 'node:crypto';
import type { SimResponse } from './types';

export const ODATA_JSON = 'application/json; odata.metadata=minimal; odata.streaming=true; charset=utf-8';
export const PLAIN_JSON = 'application/json; charset=utf-8';

export function json(status: number, body: unknown, contentType = PLAIN_JSON, extra: Record<string, string | number> = {}): SimResponse {
  return { status, headers: { 'Content-Type': contentType, ...extra }, body: JSON.stringify(body) };
}

export function odata(status: number, body: unknown): SimResponse {
  return json(status, body, ODATA_JSON, { 'OData-Version': '4.0' });
}

/** MDE error body (mde-api.md §6.1). */
export function mdeError(status: number, code: string, message: string, extra: Record<string, string | number> = {}): SimResponse {
  return json(status, { error: { code, message, target: crypto.randomUUID() } }, PLAIN_JSON, extra);
}

/** Microsoft Graph error body. */
export function graphError(status: number, code: string, message: string, clientRequestId?: string, extra: Record<string, string | number> = {}): SimResponse {
  const requestId = crypto.randomUUID();
  return json(
    status,
    { error: { code, message, innerError: { date: new Date().toISOString().replace(/\.\d+Z$/, ''), 'request-id': requestId, 'client-request-id': clientRequestId ?? requestId } } },
    PLAIN_JSON,
    { 'request-id': requestId, ...extra },
  );
}

export function empty(status: number, headers: Record<string, string | number> = {}): SimResponse {
  return { status, headers: { 'Content-Length': 0, ...headers }, body: '' };
}

/** Parses a JSON request body; undefined for an empty body, an Error when it is not JSON. */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

/** ISO timestamp with 7 fractional digits, as MDE prints them. `extra` supplies digits 4-7. */
export function iso7(ms: number, extra = 0): string {
  return new Date(ms).toISOString().replace('Z', String(Math.abs(Math.floor(extra)) % 10000).padStart(4, '0') + 'Z');
}
