// Decode (never verify) a JWT payload: the client only reads its own token's claims.

export interface JwtClaims {
  aud?: string | string[];
  iss?: string;
  tid?: string;
  appid?: string;
  azp?: string;
  roles?: string[];
  scp?: string;
  exp?: number;
  iat?: number;
  nbf?: number;
  [claim: string]: unknown;
}

/** Returns the payload claims, or `undefined` when the string is not a decodable JWT. */
export function decodeJwt(token: string | undefined | null): JwtClaims | undefined {
  if (typeof token !== 'string') return undefined;
  const parts = token.split('.');
  if (parts.length < 2 || !parts[1]) return undefined;
  try {
    const json = Buffer.from(parts[1].replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
    const claims = JSON.parse(json) as unknown;
    return claims && typeof claims === 'object' && !Array.isArray(claims) ? (claims as JwtClaims) : undefined;
  } catch {
    return undefined;
  }
}

/** Application roles granted (app-only tokens); empty when the token carries none. */
export function rolesOf(claims: JwtClaims | undefined): string[] {
  const r = claims?.roles;
  return Array.isArray(r) ? r.filter((x): x is string => typeof x === 'string') : [];
}

export function audienceOf(claims: JwtClaims | undefined): string {
  const a = claims?.aud;
  return Array.isArray(a) ? String(a[0] ?? '') : typeof a === 'string' ? a : '';
}
