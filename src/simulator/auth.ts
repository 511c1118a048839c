// Bearer-token checks for the MDE and Graph APIs: signature, lifetime, tenant, audience, roles.
import { audienceKind } from './entra';
import { audienceFitsHost, hostName } from './host-audiences';
import { decodeJwt, verifySignature } from './jwt';
import { graphError, mdeError } from './http-util';
import type { SimContext } from './context';
import type { SimRequest, SimResponse } from './types';

export interface Principal {
  tenantId: string;
  appId: string;
  displayName: string;
  roles: string[];
}

export type AuthResult = { ok: true; principal: Principal } | { ok: false; response: SimResponse };

export function authenticate(ctx: SimContext, req: SimRequest, api: 'mde' | 'graph'): AuthResult {
  const fail = (msg: string, status: 401 | 403 = 401): AuthResult => ({
    ok: false,
    response:
      api === 'mde'
        ? mdeError(status, status === 401 ? 'Unauthorized' : 'Forbidden', msg, { 'WWW-Authenticate': 'Bearer' })
        : graphError(status, status === 401 ? 'InvalidAuthenticationToken' : 'Forbidden', msg, header(req, 'client-request-id'), { 'WWW-Authenticate': 'Bearer' }),
  });
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  if (!m) return fail(api === 'mde' ? 'Authorization header is missing or is not a Bearer token.' : 'Access token is empty.');
  const jwt = decodeJwt(m[1]);
  if (!jwt || jwt.header.alg !== 'RS256' || jwt.header.kid !== ctx.entra.signing.kid || !verifySignature(jwt, 'RS256', ctx.entra.signing.publicKey)) {
    return fail(api === 'mde' ? 'The access token is invalid: signature validation failed.' : 'Access token validation failure. Invalid signature.');
  }
  const c = jwt.payload;
  const now = Math.floor(Date.now() / 1000);
  if (typeof c.exp !== 'number' || c.exp <= now) return fail(api === 'mde' ? 'The access token has expired.' : 'Lifetime validation failed, the token is expired.');
  if (typeof c.nbf === 'number' && c.nbf > now + 300) return fail('The access token is not yet valid.');
  const tid = typeof c.tid === 'string' ? c.tid : '';
  const tenant = ctx.tenants.find((t) => t.id.toLowerCase() === tid.toLowerCase());
  if (!tenant || c.iss !== `https://sts.windows.net/${tenant.id}/`) return fail('The access token was issued for an unknown tenant.');
  const kind = typeof c.aud === 'string' ? audienceKind(c.aud) : undefined;
  if (kind !== api) {
    const msg = api === 'mde' ? `The access token audience '${String(c.aud)}' is not valid for this API.` : 'Access token validation failure. Invalid audience.';
    return fail(msg, api === 'mde' ? ctx.options.wrongAudienceStatus : 401);
  }
  // Right API, but is it this cloud's? (A commercial audience at the US Government host ...)
  const host = header(req, 'host') ?? '';
  if (!audienceFitsHost(String(c.aud), host, api, ctx.options.hostAudiences)) {
    const msg = api === 'mde' ? `The access token audience '${String(c.aud)}' is not valid for ${hostName(host)}.` : 'Access token validation failure. Invalid audience.';
    return fail(msg, api === 'mde' ? ctx.options.wrongAudienceStatus : 401);
  }
  const roles = Array.isArray(c.roles) ? c.roles.filter((r): r is string => typeof r === 'string') : [];
  req.log.tenantId = tenant.id;
  req.log.clientId = typeof c.appid === 'string' ? c.appid : undefined;
  return {
    ok: true,
    principal: {
      tenantId: tenant.id,
      appId: String(c.appid ?? ''),
      displayName: typeof c.app_displayname === 'string' ? c.app_displayname : String(c.appid ?? ''),
      roles,
    },
  };
}

/** 403 unless the token carries one of `required` (case-insensitive, as Url/URL differ). */
export function checkRoles(principal: Principal, required: readonly string[], api: 'mde' | 'graph', req: SimRequest): SimResponse | undefined {
  if (!required.length) return undefined;
  const have = new Set(principal.roles.map((r) => r.toLowerCase()));
  if (required.some((r) => have.has(r.toLowerCase()))) return undefined;
  if (api === 'graph') {
    return graphError(403, 'Forbidden', `Missing role permissions on the request. API requires one of '${required.join(', ')}'. Roles on the request '${principal.roles.join(', ')}'.`, header(req, 'client-request-id'));
  }
  return mdeError(403, 'Forbidden', `Missing application roles. API required roles: ${required.join(',')}, application roles: ${principal.roles.join(',')}.`);
}

export function header(req: SimRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
