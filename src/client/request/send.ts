// The generic request: one call to any MDE or Graph path through the connection's MdeHttp (token,
// governor, retries), or a collection read page by page (following @odata.nextLink, or by
// $skip / $top). A call that may change state is never resent unless the caller says it is safe;
// a nextLink is followed only on the connection's own API origin, so the token goes nowhere else.
import type { MdeHttp } from '../transport/http';
import type { ApiFamily, ApiRequest, Audience } from '../types';
import { MdeApiError, MdeError, MdeInputError } from '../errors';
import { graphCall } from '../graph/request';
import { PATH_PREFIXES } from './path';
import { describe } from '../validate';

export type RequestMethod = ApiRequest['method'];
export const REQUEST_METHODS: readonly RequestMethod[] = ['GET', 'POST', 'PATCH', 'DELETE'];
export type QueryValues = Record<string, string | number | boolean>;

export type Paging = { mode: 'none' } | { mode: 'nextLink'; maxItems: number } | { mode: 'skip'; pageSize: number; maxItems: number };

export interface GenericRequest {
  audience: Audience;
  family: ApiFamily;
  method: RequestMethod;
  /** A checked, rendered path (see request-path.ts). */
  path: string;
  query?: QueryValues;
  /** JSON body (POST / PATCH only). */
  body?: unknown;
  /** POST / PATCH: resend after a 5xx or a timeout. Only for calls that change nothing or are idempotent. */
  safeToResend?: boolean;
  paging: Paging;
  signal?: AbortSignal;
  onWait?: ApiRequest['onWait'];
  onPage?: (info: { pages: number; count: number }) => void;
}

export interface GenericResult {
  status: number;
  /** The parsed body (paging: the collected items). */
  payload: unknown;
  pages: number;
  /** Items collected (paging), or the length of a `value` array in a single answer. */
  count?: number;
  /** Paging stopped at maxItems while the service had more. */
  truncated?: boolean;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Query parameters: a plain object of text, finite numbers and booleans. Anything else is refused. */
export function checkQuery(raw: unknown, label: string): QueryValues {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw) || raw instanceof Date) {
    throw new MdeInputError(`${label} must be an object of query parameters such as {"$filter": "healthStatus eq 'Active'"}, got ${describe(raw)}.`);
  }
  const out: QueryValues = {};
  for (const key of Object.keys(raw)) {
    const property = Object.getOwnPropertyDescriptor(raw, key);
    const v = property && 'value' in property ? (property.value as unknown) : undefined;
    if (!key.trim() || CONTROL.test(key)) throw new MdeInputError(`${label} has a parameter name ${describe(key)}; names must be non-empty text without control characters.`);
    if (typeof v === 'string') {
      if (CONTROL.test(v)) throw new MdeInputError(`${label}.${key} contains a control character (line break, tab ...), which is not allowed.`);
      out[key] = v;
    } else if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean') {
      out[key] = v;
    } else {
      throw new MdeInputError(`${label}.${key} is ${describe(v)}; a query value must be text, a finite number or a boolean.`);
    }
  }
  return out;
}

/** A JSON body: a plain object or a list that JSON can represent. */
export function checkBody(raw: unknown, method: RequestMethod): unknown {
  if (raw === null || typeof raw !== 'object' || raw instanceof Date || Buffer.isBuffer(raw)) {
    throw new MdeInputError(`A ${method} request sends msg.payload as its JSON body, which must be an object or a list; got ${describe(raw)}.`, 'InvalidBody');
  }
  try {
    JSON.stringify(raw);
  } catch {
    throw new MdeInputError(`msg.payload cannot be sent as JSON (it refers to itself or holds a big integer).`, 'InvalidBody');
  }
  return raw;
}

async function call(http: MdeHttp, req: ApiRequest): Promise<{ status: number; body: unknown }> {
  const res = req.audience === 'graph' ? await graphCall<unknown>(http, req) : await http.request<unknown>(req);
  return { status: res.status, body: res.body };
}

/** A nextLink as path + query on the connection's own origin for `audience`; anything else is refused. */
export function sameHostNextLink(http: MdeHttp, audience: Audience, nextLink: unknown): { path: string; searchParams: Record<string, string> } {
  const api = audience === 'graph' ? 'Microsoft Graph' : 'Defender for Endpoint';
  let url: URL;
  try {
    url = new URL(String(nextLink));
  } catch {
    throw new MdeError(`${api} sent an @odata.nextLink that is not a URL; paging stopped.`, { code: 'InvalidResponse' });
  }
  const origin = new URL(http.baseUrl(audience)).origin;
  if (url.origin !== origin) {
    throw new MdeError(`${api} sent an @odata.nextLink to another host (${url.host}); paging stopped so the access token is not sent there.`, { code: 'ForeignNextLink' });
  }
  if (!PATH_PREFIXES[audience].some((p) => url.pathname.startsWith(p))) {
    throw new MdeError(`${api} sent an @odata.nextLink outside ${PATH_PREFIXES[audience].join(' / ')}; paging stopped.`, { code: 'InvalidResponse' });
  }
  return { path: url.pathname, searchParams: Object.fromEntries(url.searchParams) };
}

function pageItems(body: unknown, api: string, status: number): { items: unknown[]; nextLink: unknown } {
  const o = body && typeof body === 'object' ? (body as Record<string, unknown>) : undefined;
  if (!o || !Array.isArray(o.value)) {
    throw new MdeApiError(`${api} answered a paged request without a "value" list; choose paging "none" for a path that returns one entity.`, { code: 'InvalidResponse', status });
  }
  return { items: o.value as unknown[], nextLink: o['@odata.nextLink'] };
}

export async function sendGenericRequest(http: MdeHttp, r: GenericRequest): Promise<GenericResult> {
  const api = r.audience === 'graph' ? 'Microsoft Graph' : 'Defender for Endpoint';
  const base = { audience: r.audience, family: r.family, signal: r.signal, onWait: r.onWait };
  if (r.paging.mode === 'none') {
    const writes = r.method === 'POST' || r.method === 'PATCH';
    const res = await call(http, {
      ...base,
      method: r.method,
      path: r.path,
      searchParams: r.query,
      json: writes ? r.body : undefined,
      // GET and DELETE are resent by the client (DELETE is idempotent); writes only when declared safe.
      idempotent: writes ? r.safeToResend === true : undefined,
    });
    const value = res.body && typeof res.body === 'object' ? (res.body as { value?: unknown }).value : undefined;
    return { status: res.status, payload: res.body, pages: 1, count: Array.isArray(value) ? value.length : undefined };
  }

  const items: unknown[] = [];
  let pages = 0;
  let status = 0;
  const max = r.paging.maxItems;
  if (r.paging.mode === 'nextLink') {
    let target: { path: string; searchParams?: ApiRequest['searchParams'] } = { path: r.path, searchParams: r.query };
    const seen = new Set<string>();
    for (;;) {
      const res = await call(http, { ...base, method: 'GET', ...target });
      status = res.status;
      pages++;
      const page = pageItems(res.body, api, res.status);
      items.push(...page.items);
      r.onPage?.({ pages, count: items.length });
      if (page.nextLink === undefined || page.nextLink === null) return { status, payload: items.slice(0, max), pages, count: Math.min(items.length, max), truncated: items.length > max };
      if (items.length >= max) return { status, payload: items.slice(0, max), pages, count: max, truncated: true };
      // A link seen before would page forever (a service or proxy fault): stop with what we know.
      if (seen.has(String(page.nextLink))) throw new MdeError(`${api} sent the same @odata.nextLink twice; paging stopped.`, { code: 'InvalidResponse' });
      seen.add(String(page.nextLink));
      target = sameHostNextLink(http, r.audience, page.nextLink);
    }
  }

  const { pageSize } = r.paging;
  for (;;) {
    const want = Math.min(pageSize, max - items.length);
    const skip = items.length;
    const res = await call(http, { ...base, method: 'GET', path: r.path, searchParams: { ...r.query, $top: want, ...(skip ? { $skip: skip } : {}) } });
    status = res.status;
    pages++;
    const page = pageItems(res.body, api, res.status);
    items.push(...page.items.slice(0, want));
    r.onPage?.({ pages, count: items.length });
    if (page.items.length < want) return { status, payload: items, pages, count: items.length, truncated: false };
    // A full last page: the service may have more; we stopped at the limit.
    if (items.length >= max) return { status, payload: items, pages, count: items.length, truncated: true };
  }
}
