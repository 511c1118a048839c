// msal-node INetworkModule on got: timeouts, our keep-alive agent (with the extra CA), and
// failures thrown as msal AuthErrors with readable messages (anything else msal replaces by a
// message-less network_error). No retries here: msal's throttle cache + the token provider's
// single flight decide; this module only tells them how long the token endpoint asked to wait.
import type * as https from 'node:https';
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import { msal } from './msal';
import { requestBuffer } from '../transport/got';
import { redactSecrets } from '../errors';

export interface NetworkClientOptions {
  timeoutMs: number;
  agent?: https.Agent;
  /** Called for every token POST (counts network token requests). */
  onPost?: (url: string) => void;
  /**
   * The token endpoint answered 429 / 5xx: msal refuses to ask again until `untilMs` (epoch ms)
   * and throws its cached error meanwhile. Called with the time this module made msal use.
   */
  onThrottled?: (untilMs: number) => void;
}

/** First back-off step when the token endpoint fails without a Retry-After (doubled, at most 60 s). */
export const TOKEN_BACKOFF_BASE_S = 1;
const TOKEN_BACKOFF_MAX_S = 60;

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the authority';
  }
}

/** Retry-After (delta-seconds or HTTP-date) in whole seconds, at least 1; undefined if absent or unreadable. */
export function retryAfterSeconds(value: string | undefined, now: number): number | undefined {
  if (value === undefined || !value.trim()) return undefined;
  const s = value.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.max(1, Math.ceil(Number(s)));
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : Math.max(1, Math.ceil((t - now) / 1000));
}

export function createNetworkClient(opts: NetworkClientOptions): INetworkModule {
  // Token-endpoint failures in a row without a Retry-After: the back-off doubles with each one.
  let failuresInRow = 0;

  const send = async <T>(method: 'GET' | 'POST', url: string, o: NetworkRequestOptions = {}, timeoutMs?: number): Promise<NetworkResponse<T>> => {
    if (method === 'POST') opts.onPost?.(url);
    let res;
    try {
      res = await requestBuffer(url, {
        method,
        headers: o.headers,
        body: method === 'POST' ? o.body : undefined,
        throwHttpErrors: false,
        retry: { limit: 0 },
        followRedirect: false,
        timeout: { request: timeoutMs && timeoutMs > 0 ? Math.min(timeoutMs, opts.timeoutMs) : opts.timeoutMs },
        agent: opts.agent ? { https: opts.agent } : undefined,
      });
    } catch (e) {
      const err = e as { code?: string; name?: string; message?: string };
      // Message names host + error code only: never the body (it holds the secret / assertion).
      const detail = typeof err.message === 'string' ? redactSecrets(err.message.replace(/\s+/g, ' ')).slice(0, 200) : '';
      throw new (msal().AuthError)('network_error', '', `${method} ${hostOf(url)}: ${err.code ?? err.name ?? 'error'} ${detail}`.trim());
    }
    let body: T;
    try {
      body = JSON.parse(res.body.toString('utf8')) as T;
    } catch {
      throw new (msal().AuthError)('network_error', '', `${hostOf(url)} answered HTTP ${res.statusCode} with a non-JSON body`);
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
    const status = res.statusCode;
    if (status === 429 || (status >= 500 && status < 600)) {
      // msal caches this answer and throws it again, without asking, until the Retry-After has
      // passed — 60 s when there is none (or it is a date, which msal cannot read). Give msal
      // what the server asked for in seconds, or a short back-off that grows while the outage lasts.
      let wait = retryAfterSeconds(headers['retry-after'], Date.now());
      if (wait === undefined) {
        wait = Math.min(TOKEN_BACKOFF_MAX_S, TOKEN_BACKOFF_BASE_S * 2 ** failuresInRow);
        failuresInRow++;
      }
      headers['retry-after'] = String(wait);
      opts.onThrottled?.(Date.now() + wait * 1000);
    } else if (status < 400) {
      failuresInRow = 0;
    }
    return { status, headers, body };
  };
  return {
    sendGetRequestAsync: <T>(url: string, options?: NetworkRequestOptions, timeout?: number) => send<T>('GET', url, options, timeout),
    sendPostRequestAsync: <T>(url: string, options?: NetworkRequestOptions) => send<T>('POST', url, options),
  };
}
