// msal-node INetworkModule on got: timeouts, our keep-alive agent (with the extra CA), and
// failures thrown as msal AuthErrors with readable messages (anything else msal replaces by a
// message-less network_error). No retries here: msal's throttle cache + our single flight decide.
import type * as https from 'node:https';
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import { msal } from './msal';
import { loadGot } from './got';

export interface NetworkClientOptions {
  timeoutMs: number;
  agent?: https.Agent;
  /** Called for every token POST (counts network token requests). */
  onPost?: (url: string) => void;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the authority';
  }
}

export function createNetworkClient(opts: NetworkClientOptions): INetworkModule {
  const send = async <T>(method: 'GET' | 'POST', url: string, o: NetworkRequestOptions = {}, timeoutMs?: number): Promise<NetworkResponse<T>> => {
    const got = await loadGot();
    if (method === 'POST') opts.onPost?.(url);
    let res;
    try {
      res = await got(url, {
        method,
        headers: o.headers,
        body: method === 'POST' ? o.body : undefined,
        throwHttpErrors: false,
        retry: { limit: 0 },
        responseType: 'text',
        followRedirect: false,
        timeout: { request: timeoutMs && timeoutMs > 0 ? Math.min(timeoutMs, opts.timeoutMs) : opts.timeoutMs },
        agent: opts.agent ? { https: opts.agent } : undefined,
      });
    } catch (e) {
      const err = e as { code?: string; name?: string; message?: string };
      // Message names host + error code only: never the body (it holds the secret / assertion).
      throw new (msal().AuthError)('network_error', '', `${method} ${hostOf(url)}: ${err.code ?? err.name ?? 'error'} ${err.message ?? ''}`.trim());
    }
    let body: T;
    try {
      body = JSON.parse(res.body) as T;
    } catch {
      throw new (msal().AuthError)('network_error', '', `${hostOf(url)} answered HTTP ${res.statusCode} with a non-JSON body`);
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
    return { status: res.statusCode, headers, body };
  };
  return {
    sendGetRequestAsync: <T>(url: string, options?: NetworkRequestOptions, timeout?: number) => send<T>('GET', url, options, timeout),
    sendPostRequestAsync: <T>(url: string, options?: NetworkRequestOptions) => send<T>('POST', url, options),
  };
}
