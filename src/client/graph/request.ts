// Requests to the Graph security resources through the shared MdeHttp stack (token, governor,
// retries), with two Graph-specific pieces: the 403 message names the role in Graph's own words
// ("API requires one of 'A, B'"), and list paging follows @odata.nextLink as given, but only to
// the connection's own Graph host (a nextLink elsewhere would receive our bearer token).
import type { MdeHttp } from '../transport/http';
import type { ApiFamily, ApiRequest, ApiResponse } from '../types';
import { MdeApiError, MdeError, missingRoleHint } from '../errors';

export interface GraphCallOptions {
  signal?: AbortSignal;
  onWait?: ApiRequest['onWait'];
}

/** "Missing role permissions on the request. API requires one of 'A, B'. Roles on the request ''." → ['A', 'B']. */
export function graphRequiredRoles(message: string | undefined): string[] | undefined {
  const m = /requires one of\s*'([^']*)'/i.exec(message ?? '');
  if (!m) return undefined;
  const roles = m[1]!.split(/\s*,\s*/).filter((r) => /^[A-Za-z]+(\.[A-Za-z]+)+$/.test(r));
  return roles.length ? roles : undefined;
}

function withRoles(e: unknown): unknown {
  if (!(e instanceof MdeApiError) || e.status !== 403) return e;
  const roles = graphRequiredRoles(e.mde?.message);
  if (!roles) return e;
  return new MdeApiError(`The app is missing a permission for this call: it needs ${roles.length > 1 ? 'one of ' : ''}${roles.join(', ')} (403 ${e.code}).`, {
    code: e.code,
    status: 403,
    mde: e.mde,
    hint: missingRoleHint(roles, 'graph'),
  });
}

export async function graphCall<T>(http: MdeHttp, req: Omit<ApiRequest, 'audience'>): Promise<ApiResponse<T>> {
  try {
    return await http.request<T>({ ...req, audience: 'graph' });
  } catch (e) {
    throw withRoles(e);
  }
}

/** Drops `@odata.context` (where the answer came from, not part of the entity). */
export function entity<T extends Record<string, unknown>>(body: T): T {
  const copy = { ...body };
  delete (copy as Record<string, unknown>)['@odata.context'];
  return copy;
}

export interface GraphPage<T> {
  value: T[];
  nextLink?: string;
  count?: number;
}

/** One GET of a collection, by path + query or by a nextLink. */
export async function graphPage<T>(http: MdeHttp, family: ApiFamily, target: { path: string; searchParams?: ApiRequest['searchParams'] } | { nextLink: string }, opts: GraphCallOptions): Promise<GraphPage<T>> {
  let path: string;
  let searchParams: ApiRequest['searchParams'];
  if ('nextLink' in target) {
    ({ path, searchParams } = nextLinkTarget(http, target.nextLink));
  } else {
    ({ path, searchParams } = target);
  }
  const res = await graphCall<{ value?: T[]; '@odata.nextLink'?: unknown; '@odata.count'?: unknown }>(http, { family, method: 'GET', path, searchParams, signal: opts.signal, onWait: opts.onWait });
  const body = res.body ?? {};
  if (!Array.isArray(body.value)) throw new MdeApiError('Microsoft Graph answered a list request without a "value" array.', { code: 'InvalidResponse', status: res.status });
  return {
    value: body.value,
    nextLink: typeof body['@odata.nextLink'] === 'string' ? body['@odata.nextLink'] : undefined,
    count: typeof body['@odata.count'] === 'number' ? body['@odata.count'] : undefined,
  };
}

/** A nextLink split into path + query on our Graph origin; anything else is refused. */
export function nextLinkTarget(http: MdeHttp, nextLink: string): { path: string; searchParams: Record<string, string> } {
  let url: URL;
  try {
    url = new URL(nextLink);
  } catch {
    throw new MdeError('Microsoft Graph sent an @odata.nextLink that is not a URL; paging stopped.', { code: 'InvalidResponse' });
  }
  const origin = new URL(http.baseUrl('graph')).origin;
  if (url.origin !== origin) {
    throw new MdeError(`Microsoft Graph sent an @odata.nextLink to another host (${url.host}); paging stopped so the access token is not sent there.`, { code: 'InvalidResponse' });
  }
  return { path: url.pathname, searchParams: Object.fromEntries(url.searchParams) };
}
