// Domains: organisation prevalence statistics (get-domain-statistics.md), the machines that
// communicated with a domain (get-domain-related-machines.md) and related alerts
// (get-domain-related-alerts.md). The host name is checked before anything is sent.
import type { MdeHttp } from '../transport/http';
import type { Alert, Machine } from '../types';
import { MdeInputError } from '../errors';
import { describe } from '../validate';
import type { RequestOptions } from './alerts';
import { readCollection, type CollectionResult } from './collection';
import { lookBackHours, segment } from './look-back';

/** get-domain-statistics.md (InOrgDomainStats). An unknown domain has prevalence 0. */
export interface DomainStats {
  host: string;
  organizationPrevalence: number;
  orgFirstSeen: string | null;
  orgLastSeen: string | null;
  [key: string]: unknown;
}

const LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

/**
 * A DNS host name (`evil-cdn.example`, `client.wns.windows.com`): labels of letters, digits and
 * inner hyphens, at most 253 characters; an international name in its xn-- form. A URL, an
 * address with a port or path, a trailing dot or a wildcard is refused with what to send instead.
 */
export function domainName(v: unknown): string {
  if (typeof v !== 'string' || !v.trim()) throw new MdeInputError(`The domain must be a host name as text, such as evil-cdn.example, got ${describe(v)}.`, 'InvalidDomain');
  if (/[\u0000-\u001f\u007f]/.test(v)) throw new MdeInputError(`The domain ${describe(v)} contains a control character (line break, tab ...), which is not allowed.`, 'InvalidDomain');
  const d = v.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(d) || /[/?#:@\\]/.test(d)) {
    throw new MdeInputError(`The domain ${describe(v)} is not a host name: give the host only, such as evil-cdn.example (no scheme, port, path or query).`, 'InvalidDomain');
  }
  if (d.endsWith('.')) throw new MdeInputError(`The domain ${describe(v)} ends with a dot: give it without the trailing dot.`, 'InvalidDomain');
  const labels = d.split('.');
  if (d.length > 253 || !labels.every((l) => LABEL.test(l)) || /^\d+$/.test(labels[labels.length - 1]!)) {
    throw new MdeInputError(`The domain ${describe(v)} is not a valid host name: labels of letters, digits and inner hyphens (an international name in its xn-- form), separated by dots; an IP address goes to the IP modes.`, 'InvalidDomain');
  }
  return d;
}

/** GET /api/domains/{domain}/stats[?lookBackHours=] (URL.Read.All). */
export async function getDomainStats(http: MdeHttp, domain: unknown, hours?: unknown, opts: RequestOptions = {}): Promise<DomainStats> {
  const d = domainName(domain);
  const look = lookBackHours(hours);
  const res = await http.request<DomainStats>({ audience: 'mde', family: 'other', method: 'GET', path: `/api/domains/${segment(d)}/stats`, searchParams: { lookBackHours: look }, signal: opts.signal, onWait: opts.onWait });
  const stats = { ...res.body };
  delete (stats as Record<string, unknown>)['@odata.context'];
  return stats;
}

/** GET /api/domains/{domain}/machines (Machine.Read.All; "responses are limited to 500 devices"). */
export async function listDomainMachines(http: MdeHttp, domain: unknown, maxResults: number, opts: RequestOptions = {}): Promise<CollectionResult<Machine>> {
  return readCollection<Machine>(http, 'other', `/api/domains/${segment(domainName(domain))}/machines`, maxResults, opts);
}

/** GET /api/domains/{domain}/alerts (documented with Alert.ReadWrite.All only; unknown domain → empty). */
export async function listDomainAlerts(http: MdeHttp, domain: unknown, maxResults: number, opts: RequestOptions = {}): Promise<CollectionResult<Alert>> {
  return readCollection<Alert>(http, 'other', `/api/domains/${segment(domainName(domain))}/alerts`, maxResults, opts);
}
