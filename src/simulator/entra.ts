// The Entra ID side: OpenID discovery, JWKS, instance discovery and the v1/v2 token endpoints
// for the client-credentials grant, with the documented AADSTS errors (mde-api.md §2).
import * as crypto from 'node:crypto';
import { certificateThumbprints } from './certificates';
import { GRAPH_AUDIENCES, MDE_AUDIENCES, type SimApp, type SimTenant } from './identities';
import { decodeJwt, signRs256, verifySignature } from './jwt';
import { json, empty } from './http-util';
import type { SimRequest, SimResponse } from './types';

export interface SigningKey {
  privateKey: crypto.KeyObject;
  publicKey: crypto.KeyObject;
  kid: string;
  certDerBase64: string;
}

export interface EntraContext {
  tenants: SimTenant[];
  apps: SimApp[];
  signing: SigningKey;
  tokenLifetimeSec: number;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const RESOURCE_APP_IDS: Record<string, string> = {
  'fc780465-2017-40d4-a0c5-307022471b92': 'https://api.securitycenter.microsoft.com',
  '00000003-0000-0000-c000-000000000000': 'https://graph.microsoft.com',
};
const GENERIC_TENANTS = new Set(['common', 'organizations', 'consumers']);
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export function audienceKind(aud: string): 'mde' | 'graph' | undefined {
  const a = aud.replace(/\/+$/, '').toLowerCase();
  if (MDE_AUDIENCES.some((x) => x.toLowerCase() === a)) return 'mde';
  if (GRAPH_AUDIENCES.some((x) => x.toLowerCase() === a)) return 'graph';
  return undefined;
}

function aadTimestamp(d = new Date()): string {
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** Token-endpoint error in Entra's documented shape (§2.5). */
export function aadError(status: number, error: string, code: number, text: string): SimResponse {
  const traceId = crypto.randomUUID();
  const correlationId = crypto.randomUUID();
  const timestamp = aadTimestamp();
  return json(
    status,
    {
      error,
      error_description: `AADSTS${code}: ${text}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${code}`,
    },
    'application/json; charset=utf-8',
    { 'Cache-Control': 'no-store, no-cache', Pragma: 'no-cache' },
  );
}

type TenantLookup = { ok: true; tenant: SimTenant } | { ok: false; response: SimResponse };

function resolveTenant(ctx: EntraContext, raw: string, errorName: 'invalid_request' | 'invalid_tenant'): TenantLookup {
  const lower = raw.toLowerCase();
  if (!GUID.test(raw) && !DNS_NAME.test(raw)) {
    return { ok: false, response: aadError(400, errorName, 900023, `Specified tenant identifier '${raw}' is neither a valid DNS name, nor a valid external domain.`) };
  }
  const tenant = ctx.tenants.find((t) => t.id.toLowerCase() === lower || t.domains.some((d) => d.toLowerCase() === lower));
  if (!tenant) {
    return {
      ok: false,
      response: aadError(400, errorName, 90002, `Tenant '${raw}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`),
    };
  }
  return { ok: true, tenant };
}

function discoveryV2(origin: string, tid: string): Record<string, unknown> {
  const base = `${origin}/${tid}`;
  const host = new URL(origin).host;
  return {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${base}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${origin}/oidc/userinfo`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'tid', 'ver', 'oid', 'roles'],
    kerberos_endpoint: `${base}/kerberos`,
    tenant_region_scope: 'NA',
    cloud_instance_name: host,
    cloud_graph_host_name: host,
    msgraph_host: host,
    rbac_url: origin,
  };
}

function discoveryV1(origin: string, tid: string): Record<string, unknown> {
  const base = `${origin}/${tid}`;
  return {
    token_endpoint: `${base}/oauth2/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${origin}/common/discovery/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'token id_token', 'token'],
    scopes_supported: ['openid'],
    issuer: `https://sts.windows.net/${tid}/`,
    authorization_endpoint: `${base}/oauth2/authorize`,
    end_session_endpoint: `${base}/oauth2/logout`,
    http_logout_supported: true,
    tenant_region_scope: 'NA',
    cloud_instance_name: new URL(origin).host,
  };
}

function jwks(ctx: EntraContext): Record<string, unknown> {
  const jwk = ctx.signing.publicKey.export({ format: 'jwk' });
  return { keys: [{ kty: 'RSA', use: 'sig', kid: ctx.signing.kid, x5t: ctx.signing.kid, n: jwk.n, e: jwk.e, x5c: [ctx.signing.certDerBase64] }] };
}

/**
 * Answers Entra paths; returns undefined for anything else so the API router can take it.
 */
export function handleEntra(ctx: EntraContext, req: SimRequest): SimResponse | undefined {
  const segs = req.path.split('/').filter(Boolean);
  if (segs.length < 2) return undefined;
  const [tenantRaw, ...restSegs] = segs;
  const rest = '/' + restSegs.join('/');
  const lowerRest = rest.toLowerCase();

  if (tenantRaw.toLowerCase() === 'common' && lowerRest === '/discovery/instance') {
    req.log.kind = 'discovery';
    const host = new URL(req.origin).host;
    return json(200, {
      tenant_discovery_endpoint: `${req.origin}/{tenant}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    });
  }

  const isDiscovery = lowerRest === '/v2.0/.well-known/openid-configuration' || lowerRest === '/.well-known/openid-configuration';
  const isKeys = lowerRest === '/discovery/v2.0/keys' || lowerRest === '/discovery/keys';
  const tokenVersion = lowerRest === '/oauth2/token' ? 1 : lowerRest === '/oauth2/v2.0/token' ? 2 : 0;
  if (!isDiscovery && !isKeys && !tokenVersion) return undefined;

  req.log.kind = tokenVersion ? 'token' : 'discovery';
  req.log.tenantId = tenantRaw;

  if (isDiscovery || isKeys) {
    if (req.method !== 'GET') return empty(405, { Allow: 'GET' });
    if (isKeys) return json(200, jwks(ctx));
    const v2 = lowerRest.startsWith('/v2.0');
    if (GENERIC_TENANTS.has(tenantRaw.toLowerCase())) {
      return json(200, v2 ? discoveryV2(req.origin, '{tenantid}') : discoveryV1(req.origin, '{tenantid}'));
    }
    const t = resolveTenant(ctx, tenantRaw, 'invalid_tenant');
    if (!t.ok) return t.response;
    req.log.tenantId = t.tenant.id;
    return json(200, v2 ? discoveryV2(req.origin, t.tenant.id) : discoveryV1(req.origin, t.tenant.id));
  }

  if (req.method !== 'POST') return empty(405, { Allow: 'POST' });
  return issueToken(ctx, req, tenantRaw, tokenVersion === 2 ? 2 : 1);
}

function issueToken(ctx: EntraContext, req: SimRequest, tenantRaw: string, version: 1 | 2): SimResponse {
  if (GENERIC_TENANTS.has(tenantRaw.toLowerCase())) {
    return aadError(400, 'invalid_request', 9001023, "The grant type isn't supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint.");
  }
  const t = resolveTenant(ctx, tenantRaw, 'invalid_request');
  if (!t.ok) return t.response;
  const tenant = t.tenant;
  req.log.tenantId = tenant.id;

  const form = new URLSearchParams(req.body.toString('utf8'));
  let clientId = form.get('client_id') ?? undefined;
  let secret = form.get('client_secret') ?? undefined;
  const basic = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '');
  if (basic) {
    // RFC 6749 §2.3.1: both halves are form-urlencoded before base64.
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i > 0) {
      const decode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
      clientId = clientId ?? decode(decoded.slice(0, i));
      secret = secret ?? decode(decoded.slice(i + 1));
    }
  }
  const grantType = form.get('grant_type');
  if (!grantType) return aadError(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'grant_type'.");
  if (grantType !== 'client_credentials') {
    return aadError(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grantType}'.`);
  }
  if (!clientId) return aadError(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'client_id'.");
  req.log.clientId = clientId;

  // Which resource: v1 names it, v2 wraps it in a single `<resource>/.default` scope.
  let resource: string;
  if (version === 1) {
    const r = form.get('resource');
    if (!r) return aadError(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'resource'.");
    resource = r;
  } else {
    const scope = form.get('scope');
    if (!scope) return aadError(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'scope'.");
    const scopes = scope.split(/\s+/).filter((s) => s && !['openid', 'profile', 'offline_access', 'email'].includes(s.toLowerCase()));
    if (scopes.length !== 1 || !scopes[0].toLowerCase().endsWith('/.default')) {
      return aadError(400, 'invalid_scope', 70011, `The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid.`);
    }
    resource = scopes[0].slice(0, -'/.default'.length);
  }
  const canonical = RESOURCE_APP_IDS[resource.toLowerCase()] ?? resource;
  const kind = audienceKind(canonical);
  if (!kind) {
    return aadError(400, 'invalid_resource', 500011, `The resource principal named ${resource} was not found in the tenant named ${tenant.displayName}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`);
  }

  const app = ctx.apps.find((a) => a.clientId.toLowerCase() === clientId!.toLowerCase());
  const hasServicePrincipal = app?.tenants.some((x) => x.toLowerCase() === tenant.id.toLowerCase()) ?? false;
  if (app?.multiTenant && !hasServicePrincipal) {
    // A multi-tenant app nobody in this tenant consented to (or whose consent was revoked): the
    // application exists, its service principal in this tenant does not.
    return aadError(401, 'invalid_client', 7000229, `The client application ${app.clientId} is missing service principal in the tenant ${tenant.id}. See instructions here: https://go.microsoft.com/fwlink/?linkid=2225119`);
  }
  if (!app || !hasServicePrincipal) {
    return aadError(400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory '${tenant.displayName}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`);
  }

  let appidacr: '1' | '2';
  const assertion = form.get('client_assertion');
  if (assertion !== null || form.has('client_assertion_type')) {
    if (form.get('client_assertion_type') !== JWT_BEARER) {
      return aadError(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'client_assertion_type'.");
    }
    const problem = checkAssertion(app, assertion ?? '', req);
    if (problem) return aadError(401, 'invalid_client', 700027, `Client assertion failed signature validation. [Reason - ${problem}]`);
    appidacr = '2';
  } else if (secret !== undefined) {
    if (!app.secret || secret !== app.secret) {
      return aadError(401, 'invalid_client', 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`);
    }
    appidacr = '1';
  } else {
    return aadError(401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
  }

  if (kind === 'mde' && tenant.mdeMissing) {
    // Defender for Endpoint was never provisioned here: no WindowsDefenderATP service principal.
    return aadError(400, 'invalid_client', 650052, `The app is trying to access a service 'fc780465-2017-40d4-a0c5-307022471b92'(WindowsDefenderATP) that your organization '${tenant.id}' lacks a service principal for. Contact your IT Admin to review the configuration of your service subscriptions or consent to the application in order to create the required service principal.`);
  }

  const now = Math.floor(Date.now() / 1000);
  const lifetime = ctx.tokenLifetimeSec;
  const grant = app.tenantGrants?.[tenant.id.toLowerCase()];
  const roles = kind === 'mde' ? (grant?.roles ?? app.roles) : (grant?.graphRoles ?? app.graphRoles);
  const iss = `https://sts.windows.net/${tenant.id}/`;
  const payload: Record<string, unknown> = {
    aud: resource,
    iss,
    iat: now - 300,
    nbf: now - 300,
    exp: now + lifetime,
    aio: crypto.randomBytes(24).toString('base64url'),
    app_displayname: app.displayName,
    appid: app.clientId,
    appidacr,
    idp: iss,
    idtyp: 'app',
    oid: app.objectId,
    rh: `0.${crypto.randomBytes(30).toString('base64url')}.`,
    ...(roles.length ? { roles: [...roles] } : {}),
    sub: app.objectId,
    tenant_region_scope: 'NA',
    tid: tenant.id,
    uti: crypto.randomBytes(16).toString('base64url'),
    ver: '1.0',
  };
  const accessToken = signRs256({ typ: 'JWT', alg: 'RS256', x5t: ctx.signing.kid, kid: ctx.signing.kid }, payload, ctx.signing.privateKey);
  const headers = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store, no-cache', Pragma: 'no-cache' };
  if (version === 1) {
    return {
      status: 200,
      headers,
      body: JSON.stringify({
        token_type: 'Bearer',
        expires_in: String(lifetime),
        ext_expires_in: String(lifetime),
        expires_on: String(now + lifetime),
        not_before: String(now - 300),
        resource,
        access_token: accessToken,
      }),
    };
  }
  return { status: 200, headers, body: JSON.stringify({ token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: accessToken }) };
}

/** Returns why the client assertion is unacceptable, or undefined when it is fine. */
function checkAssertion(app: SimApp, assertion: string, req: SimRequest): string | undefined {
  const jwt = decodeJwt(assertion);
  if (!jwt) return 'The client assertion is not a valid JWT.';
  if (!app.certificatePem) return `The key was not found. No certificate is registered for application '${app.clientId}'.`;
  const alg = jwt.header.alg;
  if (alg !== 'PS256' && alg !== 'RS256') return `The signing algorithm '${String(alg)}' is not supported.`;
  const thumbs = certificateThumbprints(app.certificatePem);
  const s256 = jwt.header['x5t#S256'];
  const s1 = jwt.header.x5t;
  const matches =
    (typeof s256 === 'string' && Buffer.from(s256, 'base64url').toString('hex') === thumbs.sha256) ||
    (typeof s1 === 'string' && Buffer.from(s1, 'base64url').toString('hex') === thumbs.sha1);
  if (alg === 'PS256' && typeof s256 !== 'string' && typeof s1 !== 'string') return 'The x5t#S256 header is missing.';
  if (!matches) {
    const used = typeof s256 === 'string' ? s256 : typeof s1 === 'string' ? s1 : '(none)';
    return `The key was not found., Thumbprint of key used by client: '${used}'`;
  }
  if (!verifySignature(jwt, alg, thumbs.publicKey)) return 'The signature of the client assertion is invalid.';
  const p = jwt.payload;
  if (p.iss !== app.clientId || p.sub !== app.clientId) return "The 'iss' and 'sub' claims must both be the client id.";
  const now = Math.floor(Date.now() / 1000);
  if (typeof p.exp !== 'number' || p.exp <= now) return 'The client assertion has expired.';
  if (typeof p.nbf === 'number' && p.nbf > now + 300) return 'The client assertion is not yet valid.';
  if (typeof p.aud !== 'string' || !sameEndpoint(p.aud, req)) {
    return `The audience '${String(p.aud)}' is invalid; it must be the token endpoint that was called.`;
  }
  return undefined;
}

/** `aud` must name the token URL that was called; the scheme is ignored (recipe A uses http). */
function sameEndpoint(aud: string, req: SimRequest): boolean {
  try {
    const u = new URL(aud);
    const called = new URL(req.origin + req.path);
    const norm = (p: string) => p.replace(/\/+$/, '').toLowerCase();
    return u.host.toLowerCase() === called.host.toLowerCase() && norm(decodeURIComponent(u.pathname)) === norm(called.pathname);
  } catch {
    return false;
  }
}
