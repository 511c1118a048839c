// App-only tokens from Entra ID via msal-node: one ConfidentialClientApplication per provider
// (created lazily), a single flight per (tenant, client, audience), our own "refresh 5 min before
// expiry" rule on top of msal's cache, a transient token-endpoint failure waited out within the
// request timeout, and msal errors mapped to MdeAuthError with hints.
import * as crypto from 'node:crypto';
import type * as https from 'node:https';
import type { AuthError, ConfidentialClientApplication, Configuration, AuthenticationResult } from '@azure/msal-node';
import { isMsalAuthError, msal } from './msal';
import { scopeFor, type ResolvedCloud } from '../clouds';
import type { Audience, ClientCredential, ConnectionSettings, TokenInfo } from '../types';
import { AADSTS_TABLE, MdeAuthError, MdeError, MdeInputError, MdeNetworkError, aadstsError, extractAadstsDescription, type AadstsContext } from '../errors';
import { audienceOf, decodeJwt, rolesOf } from './jwt';
import { createNetworkClient } from './network-client';
import { sleep } from '../transport/http';
import { assertClientId, assertTenantId } from '../validate';

export interface TokenProviderOptions {
  /**
   * Per token request, and the most a caller waits for a token while the token endpoint is
   * briefly unavailable; default settings.timeoutMs or 30 000 ms.
   */
  timeoutMs?: number;
  /** msal log lines (never PII) and our own decisions. */
  debug?: (message: string) => void;
  /** Injectable clock (ms since epoch) for tests. */
  now?: () => number;
  /** Refresh a token this long before it expires (default 5 min). */
  refreshMarginMs?: number;
}

export interface GetTokenOptions {
  /** Bypass every cache (msal skipCache) — still through the single flight. */
  forceRefresh?: boolean;
  /**
   * With forceRefresh: the token the API rejected. If a newer valid token is already cached
   * (another request refreshed it meanwhile), it is returned without a new POST.
   */
  staleToken?: string;
}

type MsalCredential =
  | { clientSecret: string }
  | { clientCertificate: { privateKey: string; thumbprintSha256?: string; thumbprint?: string; x5c?: string } };

/** Strip colons/spaces; 64 hex → SHA-256, 40 hex → SHA-1. */
export function normalizeThumbprint(raw: string): { thumbprintSha256: string } | { thumbprint: string } {
  const t = raw.replace(/[\s:]/g, '').toLowerCase();
  if (/^[0-9a-f]{64}$/.test(t)) return { thumbprintSha256: t };
  if (/^[0-9a-f]{40}$/.test(t)) return { thumbprint: t };
  throw new MdeInputError(`The certificate thumbprint must be 64 hex characters (SHA-256) or 40 (SHA-1); got ${t.length} characters after removing colons and spaces.`, {
    hint: 'copy the thumbprint shown under Certificates & secrets, or leave it empty and provide the certificate so it can be computed.',
  });
}

export function sha256Thumbprint(certificatePem: string): string {
  try {
    return crypto.createHash('sha256').update(new crypto.X509Certificate(certificatePem).raw).digest('hex');
  } catch (e) {
    throw new MdeInputError('The certificate is not a readable PEM certificate ("-----BEGIN CERTIFICATE-----").', { cause: e });
  }
}

/** Validates a credential and turns it into msal's auth options (throws MdeInputError). */
export function buildMsalCredential(c: ClientCredential | undefined): MsalCredential {
  if (!c || typeof c !== 'object') throw new MdeInputError('The connection has no credential: enter a client secret or a certificate.');
  const any = c as unknown as Record<string, unknown>;
  const hasSecret = typeof any.clientSecret === 'string' && any.clientSecret !== '';
  const hasCert = (typeof any.privateKeyPem === 'string' && any.privateKeyPem !== '') || (typeof any.thumbprint === 'string' && any.thumbprint !== '');
  if (hasSecret && hasCert) {
    throw new MdeInputError('The connection has both a client secret and a certificate; configure only one of them.');
  }
  if (c.kind === 'secret') {
    if (!hasSecret) throw new MdeInputError('The client secret is empty.', { hint: 'paste the secret VALUE from Certificates & secrets of the app registration.' });
    return { clientSecret: c.clientSecret };
  }
  if (c.kind !== 'certificate') throw new MdeInputError(`Unknown credential kind ${JSON.stringify((c as { kind?: unknown }).kind)}: use "secret" or "certificate".`);
  if (!c.privateKeyPem || typeof c.privateKeyPem !== 'string') {
    throw new MdeInputError('The certificate credential needs the private key (PEM).');
  }
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey(c.passphrase ? { key: c.privateKeyPem, passphrase: c.passphrase } : { key: c.privateKeyPem });
  } catch (e) {
    const encrypted = /ENCRYPTED/.test(c.privateKeyPem);
    throw new MdeInputError(
      encrypted
        ? c.passphrase
          ? 'The private key could not be decrypted: the passphrase is wrong.'
          : 'The private key is encrypted: enter its passphrase.'
        : 'The private key is not a readable PEM private key.',
      { cause: e },
    );
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new MdeInputError(`The private key is an ${String(key.asymmetricKeyType).toUpperCase()} key; Entra ID client assertions here need an RSA key.`, {
      hint: 'create the certificate with an RSA key (for example openssl req -x509 -newkey rsa:2048 ...).',
    });
  }
  const privateKey = key.export({ format: 'pem', type: 'pkcs8' }).toString();
  if (c.certificatePem) {
    let cert: crypto.X509Certificate;
    try {
      cert = new crypto.X509Certificate(c.certificatePem);
    } catch (e) {
      throw new MdeInputError('The certificate is not a readable PEM certificate ("-----BEGIN CERTIFICATE-----").', { cause: e });
    }
    if (!cert.checkPrivateKey(key)) {
      throw new MdeInputError('The private key does not belong to the certificate.');
    }
  }
  let thumb: { thumbprintSha256: string } | { thumbprint: string };
  if (c.thumbprint && c.thumbprint.trim()) thumb = normalizeThumbprint(c.thumbprint);
  else if (c.certificatePem) thumb = { thumbprintSha256: sha256Thumbprint(c.certificatePem) };
  else throw new MdeInputError('The certificate credential needs a thumbprint or the certificate (PEM) to compute it from.');
  if (c.sendX5c && !c.certificatePem) throw new MdeInputError('Sending x5c (subject name + issuer) needs the certificate (PEM).');
  return { clientCertificate: { privateKey, ...thumb, ...(c.sendX5c ? { x5c: c.certificatePem } : {}) } };
}

/** msal error (or anything thrown inside acquireToken) → MdeAuthError / MdeNetworkError. */
export function mapTokenError(e: unknown, ctx: AadstsContext): MdeError {
  if (e instanceof MdeError) return e;
  if (isMsalAuthError(e)) {
    const se = e as AuthError & { errorNo?: string | number; status?: number };
    const text = `${e.errorMessage ?? ''} ${e.message ?? ''}`;
    let n = se.errorNo !== undefined && se.errorNo !== '' ? Number(se.errorNo) : NaN;
    if (!Number.isFinite(n) && /^\d+/.test(e.errorCode)) n = Number(/^\d+/.exec(e.errorCode)![0]);
    if (!Number.isFinite(n)) {
      const m = /AADSTS(\d+)/.exec(text);
      if (m) n = Number(m[1]);
    }
    if (Number.isFinite(n) && n > 0) {
      // msal's throttle cache re-throws a recent 429/5xx with errorCode = the AADSTS numbers and no status.
      const throttleCached = /^\d+([,\s]+\d+)*$/.test(e.errorCode) && se.status === undefined && !AADSTS_TABLE[n];
      return aadstsError(n, ctx, { status: throttleCached ? 503 : se.status, description: extractAadstsDescription(text), cause: e });
    }
    const host = ctx.authorityHost ?? 'Entra ID';
    if (e.errorCode === 'network_error') {
      const timeout = /ETIMEDOUT|timeout/i.test(text);
      return new MdeNetworkError(
        timeout ? `The Entra ID token endpoint (${host}) did not answer in time.` : `Could not reach the Entra ID token endpoint (${host}): ${e.errorMessage || 'network error'}.`,
        {
          code: timeout ? 'Timeout' : 'NetworkError',
          hint: /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/.test(text)
            ? 'the TLS certificate of the authority host is not trusted: for private endpoints or the simulator, add its CA certificate to the connection.'
            : 'check the network path (proxy, firewall, DNS) to the authority host and the cloud setting.',
          cause: e,
        },
      );
    }
    if (e.errorCode === 'endpoints_resolution_error') {
      return new MdeAuthError(`Could not read the sign-in endpoints of ${host}.`, {
        code: 'AuthorityUnreachable',
        hint: 'check the authority host URL, that it is reachable, and that its TLS certificate is trusted (custom CA).',
        cause: e,
      });
    }
    return new MdeAuthError(`Could not get a token from Entra ID (${e.errorCode}${e.errorMessage ? `: ${e.errorMessage.split(/\r?\n/)[0]}` : ''}).`, { code: 'TokenError', cause: e });
  }
  const msg = e instanceof Error ? e.message : String(e);
  return new MdeAuthError(`Could not get a token from Entra ID: ${msg.split(/\r?\n/)[0]}`, { code: 'TokenError', cause: e });
}

/** Token errors that a short wait may cure (the endpoint's 429 / 5xx, or msal's cached copy of one). */
const TRANSIENT_TOKEN_CODES = new Set(['TokenServiceUnavailable', 'TokenThrottled']);
const THROTTLE_MARGIN_MS = 100;

/** The transient error, once the request timeout has been spent waiting for the endpoint. */
function stillUnavailable(e: MdeAuthError, attempts: number, waitedMs: number): MdeAuthError {
  const waited = waitedMs >= 1000 ? ` for ${Math.round(waitedMs / 1000)} s` : '';
  return new MdeAuthError(`${e.summary} Asked ${attempts} time${attempts > 1 ? 's' : ''}${waited}; the request timeout of the connection does not leave room to wait any longer.`, {
    code: e.code,
    status: e.status,
    aadsts: e.aadsts,
    retryAfterMs: e.retryAfterMs,
    hint: 'the sign-in service is having a problem (see status.azure.com); messages wait for it up to the request timeout of the connection, raise it to ride out longer outages.',
    cause: e,
  });
}

export class TokenProvider {
  readonly tenantId: string;
  readonly clientId: string;
  private readonly credential: MsalCredential;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private readonly marginMs: number;
  private cca: ConfidentialClientApplication | undefined;
  private readonly inflight = new Map<string, Promise<TokenInfo>>();
  private readonly last = new Map<Audience, TokenInfo>();
  private posts = 0;
  private closed = false;
  private readonly closeCtl = new AbortController();
  /** Until when (epoch ms) msal's throttle cache refuses to ask the token endpoint again. */
  private throttledUntil = 0;
  /** The connection names its own MDE audience (Advanced settings), so an unknown resource is most likely that value. */
  private readonly mdeAudienceOverridden: boolean;

  constructor(
    settings: ConnectionSettings,
    readonly cloud: ResolvedCloud,
    private readonly agent?: https.Agent,
    private readonly opts: TokenProviderOptions = {},
  ) {
    this.tenantId = assertTenantId(settings.tenantId);
    this.clientId = assertClientId(settings.clientId);
    this.credential = buildMsalCredential(settings.credential);
    this.timeoutMs = opts.timeoutMs ?? settings.timeoutMs ?? 30_000;
    this.mdeAudienceOverridden = typeof settings.cloud.mdeAudience === 'string' && settings.cloud.mdeAudience.trim() !== '';
    this.now = opts.now ?? Date.now;
    this.marginMs = opts.refreshMarginMs ?? 5 * 60_000;
  }

  /** Network token POSTs made so far (tests, benchmarks). */
  get tokenRequests(): number {
    return this.posts;
  }

  private context(audience?: Audience, resource?: string): AadstsContext {
    const ctx: AadstsContext = { tenantId: this.tenantId, clientId: this.clientId, authorityHost: this.cloud.authorityHost };
    if (resource) ctx.resource = resource;
    if (audience === 'mde' && this.mdeAudienceOverridden) ctx.resourceOverridden = true;
    return ctx;
  }

  private client(): ConfidentialClientApplication {
    if (this.cca) return this.cca;
    const host = this.cloud.authorityHost.replace(/\/+$/, '');
    const t = encodeURIComponent(this.tenantId);
    const auth: Configuration['auth'] = {
      clientId: this.clientId,
      authority: `${host}/${t}`,
      ...this.credential,
    };
    if (!this.cloud.knownToMsal) {
      // Custom host: no instance discovery, no metadata GET — one POST per cold token, and
      // AADSTS errors (unknown tenant ...) come straight from the token endpoint.
      auth.knownAuthorities = [new URL(host).host];
      auth.authorityMetadata = JSON.stringify({
        issuer: `${host}/${t}/v2.0`,
        token_endpoint: `${host}/${t}/oauth2/v2.0/token`,
        authorization_endpoint: `${host}/${t}/oauth2/v2.0/authorize`,
        end_session_endpoint: `${host}/${t}/oauth2/v2.0/logout`,
        jwks_uri: `${host}/${t}/discovery/v2.0/keys`,
      });
    }
    const debug = this.opts.debug;
    const { ConfidentialClientApplication, LogLevel } = msal();
    this.cca = new ConfidentialClientApplication({
      auth,
      system: {
        networkClient: createNetworkClient({
          timeoutMs: this.timeoutMs,
          agent: this.agent,
          onPost: () => this.posts++,
          onThrottled: (until) => (this.throttledUntil = until),
        }),
        loggerOptions: {
          piiLoggingEnabled: false,
          logLevel: debug ? LogLevel.Info : LogLevel.Error,
          loggerCallback: (_level, message, containsPii) => {
            if (debug && !containsPii) debug(`msal: ${message}`);
          },
        },
      },
    });
    return this.cca;
  }

  private resourceFor(audience: Audience): string {
    if (audience === 'mde') return this.cloud.mdeResource;
    if (audience === 'graph') return this.cloud.graphResource;
    throw new MdeInputError(`Unknown token audience ${JSON.stringify(audience)}: use "mde" or "graph".`);
  }

  private fresh(info: TokenInfo | undefined): info is TokenInfo {
    return !!info && info.expiresOn.getTime() - this.now() > this.marginMs;
  }

  async getToken(audience: Audience, opts: GetTokenOptions = {}): Promise<TokenInfo> {
    if (this.closed) throw new MdeInputError('This connection was closed (the flow was redeployed).', { code: 'ConnectionClosed' });
    const resource = this.resourceFor(audience);
    const cached = this.last.get(audience);
    if (this.fresh(cached)) {
      if (!opts.forceRefresh) return { ...cached, fromCache: true };
      if (opts.staleToken && cached.accessToken !== opts.staleToken) return { ...cached, fromCache: true };
    }
    const skipCache = !!opts.forceRefresh || !!cached; // cached but within the margin → bypass msal's cache too
    const key = `${this.tenantId}|${this.clientId}|${audience}`;
    let p = this.inflight.get(key);
    if (p) {
      const r = await this.withFallback(p, cached, opts);
      // Joined a flight that may have been served from msal's cache with the rejected token.
      if (!opts.forceRefresh || !opts.staleToken || r.accessToken !== opts.staleToken) return r;
      return this.getToken(audience, opts);
    }
    // With a current token to fall back on, an early refresh fails fast instead of waiting.
    const waitForEndpoint = !!opts.forceRefresh || !this.canFallBack(cached);
    p = this.acquire(audience, resource, skipCache, waitForEndpoint).finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return this.withFallback(p, cached, opts);
  }

  /**
   * An early refresh (within the margin) that fails still lets the current token be used while
   * it has more than a minute left — never an expired one, and never after a 401 (forceRefresh).
   */
  private canFallBack(cached: TokenInfo | undefined): cached is TokenInfo {
    return !!cached && cached.expiresOn.getTime() - this.now() > 60_000;
  }

  private async withFallback(p: Promise<TokenInfo>, cached: TokenInfo | undefined, opts: GetTokenOptions): Promise<TokenInfo> {
    try {
      return await p;
    } catch (e) {
      if (!opts.forceRefresh && this.canFallBack(cached) && !(e instanceof MdeInputError)) {
        this.opts.debug?.(`early token refresh failed (${(e as Error).message}); using the current token until it is closer to expiry`);
        return { ...cached, fromCache: true };
      }
      throw e;
    }
  }

  /**
   * One flight: after a 429 / 5xx from the token endpoint msal refuses to ask again until the
   * Retry-After has passed (it re-throws the cached error meanwhile), so a blip would fail every
   * message of that window. Wait it out instead, as long as the request timeout allows; every
   * caller of this flight shares the wait and the outcome.
   */
  private async acquire(audience: Audience, resource: string, skipCache: boolean, waitForEndpoint: boolean): Promise<TokenInfo> {
    const started = Date.now();
    const deadline = started + this.timeoutMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.acquireOnce(audience, resource, skipCache);
      } catch (e) {
        if (!waitForEndpoint || !(e instanceof MdeAuthError) || !TRANSIENT_TOKEN_CODES.has(e.code) || this.closed) throw e;
        // A little past msal's throttle time: it compares with `<`, and both clocks round.
        const waitMs = Math.max(this.throttledUntil - Date.now(), 0) + THROTTLE_MARGIN_MS;
        if (Date.now() + waitMs > deadline) throw stillUnavailable(e, attempt, Date.now() - started);
        this.opts.debug?.(`token endpoint unavailable (${e.code}); asking again in ${waitMs} ms (attempt ${attempt + 1})`);
        try {
          await sleep(waitMs, this.closeCtl.signal);
        } catch {
          throw new MdeInputError('This connection was closed (the flow was redeployed).', { code: 'ConnectionClosed' });
        }
      }
    }
  }

  private async acquireOnce(audience: Audience, resource: string, skipCache: boolean): Promise<TokenInfo> {
    const scopes = [scopeFor(resource)];
    try {
      const cca = this.client();
      let r = await cca.acquireTokenByClientCredential({ scopes, skipCache });
      let info = r ? this.toInfo(r) : undefined;
      if (info && !skipCache && !this.fresh(info)) {
        this.opts.debug?.('token from msal cache is within the refresh margin; fetching a new one');
        r = await cca.acquireTokenByClientCredential({ scopes, skipCache: true });
        info = r ? this.toInfo(r) : undefined;
      }
      if (!info) throw new MdeAuthError('Entra ID returned no token.', { code: 'TokenError' });
      if (info.expiresOn.getTime() <= this.now()) {
        throw new MdeAuthError('Entra ID returned a token that has already expired; check the system clock.', { code: 'TokenExpired' });
      }
      if (this.closed) return info;
      this.last.set(audience, info);
      this.opts.debug?.(`token for ${audience} acquired (fromCache=${info.fromCache}, expires ${info.expiresOn.toISOString()}, ${info.roles.length} roles)`);
      return info;
    } catch (e) {
      throw mapTokenError(e, this.context(audience, resource));
    }
  }

  private toInfo(r: AuthenticationResult): TokenInfo {
    const claims = decodeJwt(r.accessToken);
    const expiresOn = r.expiresOn instanceof Date ? r.expiresOn : claims?.exp ? new Date(claims.exp * 1000) : new Date(this.now() + 3_600_000);
    return {
      accessToken: r.accessToken,
      expiresOn,
      roles: rolesOf(claims),
      tenantId: typeof claims?.tid === 'string' ? claims.tid : r.tenantId || this.tenantId,
      appId: typeof claims?.appid === 'string' ? claims.appid : typeof claims?.azp === 'string' ? claims.azp : this.clientId,
      audience: audienceOf(claims),
      fromCache: r.fromCache,
    };
  }

  /** Last token handed out for an audience (no request). */
  peek(audience: Audience): TokenInfo | undefined {
    const t = this.last.get(audience);
    return t ? { ...t } : undefined;
  }

  close(): void {
    this.closed = true;
    this.closeCtl.abort();
    this.last.clear();
    this.inflight.clear();
    this.cca = undefined;
  }
}
