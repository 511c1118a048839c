// One MDE collection read in full: the first page, then each @odata.nextLink (only on the
// connection's own API host, so the token goes nowhere else) until the service stops sending one
// or maxResults is reached. For the lists whose reference pages document no $top / $skip
// (logged-on users, software, vulnerabilities, an entity's machines or alerts).
import type { MdeHttp } from '../transport/http';
import type { ApiFamily } from '../types';
import { MdeApiError, MdeError } from '../errors';
import { sameHostNextLink } from '../request/send';
import { top } from './odata';
import type { RequestOptions } from './alerts';

/** The cap a caller may ask for; the service's own lists are far smaller. */
export const MAX_COLLECTION_RESULTS = 1_000_000;

export interface CollectionResult<T> {
  items: T[];
  pages: number;
  /** True when maxResults stopped the reading while the service offered more. */
  truncated: boolean;
}

export async function readCollection<T>(http: MdeHttp, family: ApiFamily, path: string, maxResults: number, opts: RequestOptions = {}): Promise<CollectionResult<T>> {
  const max = top(maxResults, 'Max results', MAX_COLLECTION_RESULTS);
  const items: T[] = [];
  const seen = new Set<string>();
  let target: { path: string; searchParams?: Record<string, string> } = { path };
  let pages = 0;
  for (;;) {
    const res = await http.request<{ value?: unknown; '@odata.nextLink'?: unknown }>({ audience: 'mde', family, method: 'GET', ...target, signal: opts.signal, onWait: opts.onWait });
    pages++;
    const value = res.body?.value;
    if (!Array.isArray(value)) throw new MdeApiError(`Defender for Endpoint answered GET ${path} without a "value" list.`, { code: 'InvalidResponse', status: res.status });
    items.push(...(value as T[]));
    const next = res.body?.['@odata.nextLink'];
    if (typeof next !== 'string' || !next) return { items: items.slice(0, max), pages, truncated: items.length > max };
    if (items.length >= max) return { items: items.slice(0, max), pages, truncated: true };
    // The same link twice would page forever (a service or proxy fault): stop and say so.
    if (seen.has(next)) throw new MdeError(`Defender for Endpoint sent the same @odata.nextLink twice for ${path}; paging stopped.`, { code: 'InvalidResponse' });
    seen.add(next);
    target = sameHostNextLink(http, 'mde', next);
  }
}
