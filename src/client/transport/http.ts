// HTTP to MDE / Graph over got: bearer injection, one token refresh on 401, a governor slot
// before every attempt, 429 + Retry-After retries (always), 5xx / reset / timeout retries only
// for idempotent requests (and never after a timeout when the request says so), jittered
// exponential back-off, typed errors that carry no header, token or got object.
import { setMaxListeners } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as https from 'node:https';
import type { ResolvedCloud } from '../clouds';
import type { ApiRequest, ApiResponse, Audience, RateBudgets, TokenInfo } from '../types';
import {
  MdeApiError,
  MdeConflictError,
  MdeError,
  MdeNetworkError,
  MdeRateLimitError,
  missingRoleHint,
  parseRequiredRoles,
  redactSecrets,
  type MdeErrorBody,
} from '../errors';
import { governorFor, type Governor, type GovernorClock, type RateSlot } from './governor';
import type { SharedState } from '../state/shared-state';
import { requestBuffer, type BufferedResponse } from './got';
import type { GetTokenOptions } from '../auth/token-provider';

export const PACKAGE_VERSION: string = (() => {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
})();

export const DEFAULT_USER_AGENT = `MdatpPartner-NodeRED-DefenderEndpoint/${PACKAGE_VERSION}`;

export interface TokenSource {
  getToken(audience: Audience, opts?: GetTokenOptions): Promise<TokenInfo>;
}

export interface MdeHttpOptions {
  cloud: ResolvedCloud;
  tenantId: string;
  tokens: TokenSource;
  agent?: https.Agent;
  /** Per attempt (default 30 000 ms); a request may set its own (ApiRequest.timeoutMs). */
  timeoutMs?: number;
  userAgent?: string;
  rateLimits?: Partial<RateBudgets> | false;
  retry?: { limit?: number; maxRetryAfterMs?: number; baseDelayMs?: number };
  /** Tests: clock for the (shared) governors this instance creates. */
  governorClock?: GovernorClock;
  /** Shared state (Redis): rate windows shared with every process using this tenant + app. */
  sharedState?: SharedState;
  debug?: (message: string) => void;
}

export interface HttpStats {
  /** HTTP attempts sent. */
  requests: number;
  /** Attempts after the first, for any reason except the 401 refresh. */
  retries: number;
  responses429: number;
  responses401: number;
  responses5xx: number;
  networkErrors: number;
  tokenRefreshes: number;
  byStatus: Record<number, number>;
}

const RETRY_NETWORK_CODES = new Set(['ETIMEDOUT', 'ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ENETUNREACH', 'EHOSTUNREACH', 'ERR_STREAM_PREMATURE_CLOSE', 'EAI_AGAIN', 'ECONNREFUSED']);
/** The request never reached the server: safe to resend even a non-idempotent POST. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'EAI_AGAIN']);
const RETRY_STATUS = new Set([408, 500, 502, 503, 504]);
/** The server's own "took too long" answers: treated like our timeout for resendOnTimeout. */
const TIMEOUT_STATUS = new Set([408, 504]);
export const DEFAULT_TIMEOUT_MS = 30_000;

/** Retry-After: delta-seconds or an HTTP-date → ms (undefined when absent/garbage). */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v === null || String(v).trim() === '') return undefined;
  const s = String(v).trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const t = Date.parse(s);
  if (Number.isNaN(t)) return undefined;
  return Math.max(0, t - now);
}

/** Exponential back-off with ±20 % jitter: base, 2·base, 4·base ... */
export function backoffDelay(retryIndex: number, baseDelayMs: number, random: () => number = Math.random): number {
  const d = baseDelayMs * 2 ** Math.max(0, retryIndex);
  return Math.round(d * (0.8 + 0.4 * random()));
}

export function buildQuery(params: ApiRequest['searchParams']): string {
  if (!params) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    // keep `$` literal in OData option names; encode values fully (space → %20, ' → %27)
    parts.push(`${encodeURIComponent(k).replace(/^%24/, '$')}=${encodeURIComponent(String(v)).replace(/'/g, '%27')}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

function apiName(audience: Audience): string {
  return audience === 'graph' ? 'Microsoft Graph' : 'Defender for Endpoint';
}

function clip(s: string, n = 400): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > n ? `${one.slice(0, n - 3)}...` : one;
}

export interface HttpErrorContext {
  audience: Audience;
  method: string;
  path: string;
  retryAfterMs?: number;
  /** A non-idempotent request got a 5xx / timeout and was deliberately not resent. */
  notReplayed?: boolean;
}

/** Error body (MDE `{error:{code,message,target}}` or Graph `{error:{code,message,innerError}}`). */
export function errorBodyOf(body: unknown): MdeErrorBody | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const e = (body as { error?: unknown }).error;
  if (!e || typeof e !== 'object') return undefined;
  const o = e as Record<string, unknown>;
  const inner = (o.innerError ?? o.innererror) as Record<string, unknown> | undefined;
  const out: MdeErrorBody = {};
  if (typeof o.code === 'string' || typeof o.code === 'number') out.code = String(o.code);
  if (typeof o.message === 'string') out.message = o.message;
  const target = typeof o.target === 'string' ? o.target : inner && typeof inner['request-id'] === 'string' ? (inner['request-id'] as string) : undefined;
  if (target !== undefined) out.target = target;
  if (inner !== undefined) out.innerError = inner;
  return out;
}

function defaultCode(status: number): string {
  switch (status) {
    case 400: return 'BadRequest';
    case 401: return 'Unauthorized';
    case 403: return 'Forbidden';
    case 404: return 'NotFound';
    case 405: return 'MethodNotAllowed';
    case 408: return 'Timeout';
    case 409: return 'Conflict';
    case 429: return 'TooManyRequests';
    case 500: return 'InternalServerError';
    case 502: return 'BadGateway';
    case 503: return 'ServiceUnavailable';
    case 504: return 'GatewayTimeout';
    default: return `Http${status}`;
  }
}

/** HTTP status + body → typed error with a readable message and hint (pure; exported for tests). */
export function mapHttpError(status: number, body: unknown, ctx: HttpErrorContext): MdeError {
  const mde = errorBodyOf(body);
  const code = mde?.code && mde.code.trim() ? mde.code : defaultCode(status);
  const api = apiName(ctx.audience);
  const server = mde?.message ? clip(mde.message) : '';
  const tail = server ? `: ${server.replace(/\.$/, '')}.` : '.';
  const base = { status, mde, retryAfterMs: ctx.retryAfterMs };
  if (code === 'ActiveRequestAlreadyExists') {
    return new MdeConflictError(`Defender for Endpoint already has an action of this kind pending for this device (ActiveRequestAlreadyExists)${tail}`, {
      ...base,
      code,
      hint: 'wait for the pending action to finish, or cancel it, before sending another one.',
    });
  }
  if (status === 429) {
    const wait = ctx.retryAfterMs !== undefined ? ` The server asked to wait ${Math.ceil(ctx.retryAfterMs / 1000)} s.` : '';
    return new MdeRateLimitError(`The ${api} API is rate limiting this tenant (429)${tail}${wait}`, {
      ...base,
      code: code === '429' ? 'TooManyRequests' : code,
      hint: 'MDE quotas are per tenant and shared by every app: spread the calls out (the client already queues and retries).',
    });
  }
  if (status === 401) {
    return new MdeApiError(`The ${api} API rejected the access token (401 ${code})${tail}`, {
      ...base,
      code,
      hint: `a fresh token was also refused: check that the cloud setting matches the tenant (the token audience comes from it) and that the ${ctx.audience === 'graph' ? 'Graph' : 'WindowsDefenderATP'} API is enabled for the app.`,
    });
  }
  if (status === 403) {
    const roles = parseRequiredRoles(mde?.message);
    const sentence = roles
      ? `The app is missing a permission for this call: it needs ${roles.length > 1 ? 'one of ' : ''}${roles.join(', ')} (403 ${code}).`
      : `The ${api} API refused the request (403 ${code})${tail}`;
    return new MdeApiError(sentence, {
      ...base,
      code,
      hint: code === 'DisabledFeature' ? 'this feature is not enabled for the tenant in the Defender portal settings.' : missingRoleHint(roles, ctx.audience),
    });
  }
  if (status === 404) {
    return new MdeApiError(server ? `Not found (404 ${code})${tail}` : `Not found (404): ${ctx.method} ${ctx.path} does not exist on the ${api} API.`, {
      ...base,
      code,
      hint: server ? undefined : 'check the API base URL / cloud setting and the ID.',
    });
  }
  if (status >= 500) {
    return new MdeApiError(`The ${api} API had a server error (${status} ${code})${tail}`, {
      ...base,
      code,
      hint: ctx.notReplayed
        ? 'the request was not sent again automatically because the action may already have been carried out; check the machine actions list before retrying.'
        : 'this is a problem on the Microsoft side; try again later.',
    });
  }
  return new MdeApiError(`The ${api} API rejected the request (${status} ${code})${tail}`, { ...base, code });
}

function abortedError(signal?: AbortSignal): MdeError {
  const r = signal?.reason as unknown;
  if (r instanceof MdeError) return r;
  return new MdeError('The request was cancelled.', { code: 'Aborted', cause: r });
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortedError(signal));
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(abortedError(signal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function isTimeout(e: unknown): boolean {
  const err = e as { code?: string; name?: string };
  return err.code === 'ETIMEDOUT' || err.name === 'TimeoutError';
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

function networkError(e: unknown, ctx: { audience: Audience; method: string; path: string; host: string; timeoutMs: number; resent: boolean }): MdeNetworkError {
  const err = e as { code?: string; name?: string; message?: string };
  const api = apiName(ctx.audience);
  if (isTimeout(e)) {
    return new MdeNetworkError(`The ${api} API (${ctx.host}) did not answer ${ctx.method} ${ctx.path} within ${seconds(ctx.timeoutMs)}${ctx.resent ? '' : '; it was not sent again'}.`, {
      code: 'Timeout',
      hint: ctx.resent
        ? 'the service or the network path is slow; raise the request timeout of the connection if it is too short for this call.'
        : 'the service or the network path is slow; a request that may already have been carried out (a POST action, a hunting query that spends quota) is not resent automatically — check its state before retrying.',
      cause: e,
    });
  }
  const tls = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/i.test(`${err.code ?? ''}`);
  const detail = typeof err.message === 'string' && err.message ? ` ${clip(redactSecrets(err.message), 200)}` : '';
  return new MdeNetworkError(`Could not reach the ${api} API (${ctx.host}) for ${ctx.method} ${ctx.path}: ${err.code ?? err.name ?? 'error'}${detail}.`, {
    code: 'NetworkError',
    hint: tls
      ? 'the TLS certificate is not trusted: for private endpoints or the simulator, add its CA certificate to the connection.'
      : err.code === 'ENOTFOUND'
        ? 'the host name does not resolve: check the cloud / API base URL setting and DNS.'
        : 'check the network path (proxy, firewall, DNS) to the API host.',
    cause: e,
  });
}

export class MdeHttp {
  readonly stats: HttpStats = { requests: 0, retries: 0, responses429: 0, responses401: 0, responses5xx: 0, networkErrors: 0, tokenRefreshes: 0, byStatus: {} };
  private readonly closeCtl = new AbortController();
  private readonly timeoutMs: number;
  private readonly userAgent: string;
  private readonly retryLimit: number;
  private readonly maxRetryAfterMs: number;
  private readonly baseDelayMs: number;

  constructor(private readonly opts: MdeHttpOptions) {
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.userAgent = opts.userAgent || DEFAULT_USER_AGENT;
    this.retryLimit = Math.max(0, opts.retry?.limit ?? 4);
    this.maxRetryAfterMs = opts.retry?.maxRetryAfterMs ?? 120_000;
    this.baseDelayMs = opts.retry?.baseDelayMs ?? 1_000;
    // every in-flight request listens on it (through AbortSignal.any)
    setMaxListeners(0, this.closeCtl.signal);
  }

  /** The connection's per-attempt timeout (a request may ask for a longer one). */
  get requestTimeoutMs(): number {
    return this.timeoutMs;
  }

  baseUrl(audience: Audience): string {
    return (audience === 'graph' ? this.opts.cloud.graphBaseUrl : this.opts.cloud.apiBaseUrl).replace(/\/+$/, '');
  }

  /** The shared governor for a family (undefined when rate limits are lifted). */
  governor(audience: Audience, family: ApiRequest['family']): Governor | undefined {
    if (this.opts.rateLimits === false) return undefined;
    return governorFor(this.baseUrl(audience), this.opts.tenantId, family, this.opts.rateLimits, this.opts.governorClock, this.opts.sharedState);
  }

  async request<T = unknown>(req: ApiRequest): Promise<ApiResponse<T>> {
    if (this.closeCtl.signal.aborted) throw new MdeError('This connection was closed (the flow was redeployed).', { code: 'ConnectionClosed' });
    if (!req.path.startsWith('/') || /(^|\/)\.\.?(\/|$)/.test(req.path)) throw new MdeError(`Bad API path ${JSON.stringify(req.path)}.`, { code: 'InvalidInput' });
    if (req.timeoutMs !== undefined && !(typeof req.timeoutMs === 'number' && Number.isFinite(req.timeoutMs) && req.timeoutMs >= 1)) {
      throw new MdeError(`Bad request timeout ${JSON.stringify(req.timeoutMs)}: a number of milliseconds of at least 1.`, { code: 'InvalidInput' });
    }
    const link = linkSignals(req.signal, this.closeCtl.signal);
    try {
      return await this.send<T>(req, link.signal);
    } finally {
      link.unlink();
    }
  }

  private async send<T>(req: ApiRequest, signal: AbortSignal): Promise<ApiResponse<T>> {
    const timeoutMs = req.timeoutMs ?? this.timeoutMs;
    const resendOnTimeout = req.resendOnTimeout !== false;
    const url = `${this.baseUrl(req.audience)}${req.path}${buildQuery(req.searchParams)}`;
    const host = new URL(url).host;
    const idempotent = req.idempotent ?? (req.method === 'GET' || req.method === 'DELETE');
    const governor = this.governor(req.audience, req.family);
    const ectx = { audience: req.audience, method: req.method, path: req.path };
    let retries = 0;
    let refreshed = false;
    let token: TokenInfo | undefined;

    const wait = async (ms: number, reason: 'retry-after' | 'backoff') => {
      req.onWait?.({ waitMs: ms, reason, queued: governor?.queued ?? 0 });
      await sleep(ms, signal);
    };

    for (;;) {
      if (signal.aborted) throw abortedError(signal);
      // Token first, then the slot, then send at once: the slot time is close to the time the
      // server counts the call (a slow token fetch must not push the call into the next window).
      token = await this.opts.tokens.getToken(req.audience, refreshed && token ? { forceRefresh: true, staleToken: token.accessToken } : undefined);
      let slot: RateSlot | undefined;
      if (governor) {
        const started = Date.now();
        slot = await governor.acquire({
          signal,
          onQueued: (i) => req.onWait?.({ waitMs: i.waitMs, reason: i.reason === 'retry-after' ? 'retry-after' : 'rate-budget', queued: i.queued }),
        });
        const waited = Date.now() - started;
        if (waited > 50) this.opts.debug?.(`${req.method} ${req.path}: waited ${waited} ms for the ${req.family} rate budget`);
        // A long queue wait may have aged the token: re-check (cheap, cached).
        if (waited > 60_000) token = await this.opts.tokens.getToken(req.audience);
      }
      this.stats.requests++;
      let res: BufferedResponse;
      try {
        const options = {
          method: req.method,
          headers: {
            authorization: `Bearer ${token.accessToken}`,
            'user-agent': this.userAgent,
            accept: 'application/json',
          },
          json: req.json,
          throwHttpErrors: false,
          retry: { limit: 0 },
          followRedirect: false,
          timeout: { request: timeoutMs },
          agent: this.opts.agent ? { https: this.opts.agent } : undefined,
          signal,
        };
        res = await requestBuffer(url, options);
      } catch (e) {
        slot?.counted();
        if (signal.aborted) throw abortedError(signal);
        this.stats.networkErrors++;
        const code = (e as { code?: string }).code ?? '';
        const timedOut = isTimeout(e);
        const retryable = RETRY_NETWORK_CODES.has(code) && (idempotent || NOT_SENT_CODES.has(code)) && !(timedOut && !resendOnTimeout);
        if (retryable && retries < this.retryLimit) {
          const d = backoffDelay(retries, this.baseDelayMs);
          retries++;
          this.stats.retries++;
          this.opts.debug?.(`${req.method} ${req.path}: ${code}, retry ${retries} in ${d} ms`);
          await wait(d, 'backoff');
          continue;
        }
        throw networkError(e, { ...ectx, host, timeoutMs, resent: retryable });
      }

      const status = res.statusCode;
      if (status === 429) slot?.refunded();
      else slot?.counted(Date.now() - res.respondedAt);
      this.stats.byStatus[status] = (this.stats.byStatus[status] ?? 0) + 1;
      const raw: Buffer = res.body;

      if (status < 400) {
        let body: unknown = raw;
        if (!req.rawBody) {
          if (raw.length === 0) body = undefined;
          else {
            try {
              body = JSON.parse(raw.toString('utf8'));
            } catch (e) {
              throw new MdeApiError(`The ${apiName(req.audience)} API answered ${req.method} ${req.path} with a body that is not JSON.`, { code: 'InvalidResponse', status, cause: e });
            }
          }
        }
        return { status, headers: res.headers, body: body as T, retries };
      }

      let errBody: unknown;
      try {
        errBody = raw.length ? JSON.parse(raw.toString('utf8')) : undefined;
      } catch {
        errBody = undefined;
      }

      if (status === 401) {
        this.stats.responses401++;
        if (!refreshed) {
          refreshed = true;
          this.stats.tokenRefreshes++;
          this.opts.debug?.(`${req.method} ${req.path}: 401, refreshing the token once`);
          continue;
        }
        throw mapHttpError(status, errBody, ectx);
      }

      const retryAfter = parseRetryAfter(res.headers['retry-after']);
      if (status === 429) {
        this.stats.responses429++;
        const d = retryAfter ?? backoffDelay(retries, this.baseDelayMs);
        governor?.pause(d);
        if (retries < this.retryLimit && d <= this.maxRetryAfterMs) {
          retries++;
          this.stats.retries++;
          await wait(d, 'retry-after');
          continue;
        }
        throw mapHttpError(status, errBody, { ...ectx, retryAfterMs: d });
      }

      if (RETRY_STATUS.has(status) || status > 500) {
        if (status >= 500) this.stats.responses5xx++;
        if (idempotent && RETRY_STATUS.has(status) && !(TIMEOUT_STATUS.has(status) && !resendOnTimeout) && retries < this.retryLimit) {
          const d = retryAfter !== undefined && retryAfter <= this.maxRetryAfterMs ? retryAfter : backoffDelay(retries, this.baseDelayMs);
          retries++;
          this.stats.retries++;
          await wait(d, retryAfter !== undefined ? 'retry-after' : 'backoff');
          continue;
        }
        throw mapHttpError(status, errBody, { ...ectx, retryAfterMs: retryAfter, notReplayed: !idempotent || (TIMEOUT_STATUS.has(status) && !resendOnTimeout) });
      }
      throw mapHttpError(status, errBody, { ...ectx, retryAfterMs: retryAfter });
    }
  }

  /** Aborts in-flight requests of this instance. The agent belongs to the connection. */
  close(): void {
    this.closeCtl.abort(new MdeError('This connection was closed (the flow was redeployed).', { code: 'ConnectionClosed' }));
  }
}

/**
 * A signal that aborts when either source does, with a way to drop the listeners again: the
 * connection's signal lives as long as the flow, so every request must leave it as it found it
 * (AbortSignal.any keeps its composite signals registered on the source until they are collected).
 */
function linkSignals(request: AbortSignal | undefined, connection: AbortSignal): { signal: AbortSignal; unlink(): void } {
  if (!request) return { signal: connection, unlink: () => undefined };
  const ctl = new AbortController();
  const fromRequest = () => ctl.abort(request.reason);
  const fromConnection = () => ctl.abort(connection.reason);
  if (request.aborted) fromRequest();
  else if (connection.aborted) fromConnection();
  else {
    request.addEventListener('abort', fromRequest, { once: true });
    connection.addEventListener('abort', fromConnection, { once: true });
  }
  return {
    signal: ctl.signal,
    unlink: () => {
      request.removeEventListener('abort', fromRequest);
      connection.removeEventListener('abort', fromConnection);
    },
  };
}
