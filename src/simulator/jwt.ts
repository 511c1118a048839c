// Compact JWS helpers: RS256 signing for issued tokens, RS256/PS256 verification for client
// assertions. Only what Entra-style tokens need; no JWE, no other algorithms.
import * as crypto from 'node:crypto';

export type JsonObject = Record<string, unknown>;

export function base64url(input: Buffer | string): string {
  return Buffer.from(input).toString('base64url');
}

export function signRs256(header: JsonObject, payload: JsonObject, key: crypto.KeyObject): string {
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  const sig = crypto.sign('sha256', Buffer.from(signingInput), key);
  return `${signingInput}.${base64url(sig)}`;
}

export interface DecodedJwt {
  header: JsonObject;
  payload: JsonObject;
  signingInput: string;
  signature: Buffer;
}

/** Splits and parses a compact JWS; returns undefined when it is not one. */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as unknown;
    const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as unknown;
    if (!isObject(header) || !isObject(payload)) return undefined;
    return { header, payload, signingInput: `${parts[0]}.${parts[1]}`, signature: Buffer.from(parts[2], 'base64url') };
  } catch {
    return undefined;
  }
}

export function verifySignature(jwt: DecodedJwt, alg: 'RS256' | 'PS256', key: crypto.KeyObject): boolean {
  try {
    const data = Buffer.from(jwt.signingInput);
    if (alg === 'PS256') {
      return crypto.verify('sha256', data, { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: crypto.constants.RSA_PSS_SALTLEN_AUTO }, jwt.signature);
    }
    return crypto.verify('sha256', data, key, jwt.signature);
  } catch {
    return false;
  }
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
