// IP addresses: organisation prevalence statistics (get-ip-statistics.md) and related alerts
// (get-ip-related-alerts.md). The address is checked before anything is sent.
import * as net from 'node:net';
import type { MdeHttp } from '../transport/http';
import type { Alert } from '../types';
import { MdeInputError } from '../errors';
import { describe } from '../validate';
import type { RequestOptions } from './alerts';
import { readCollection, type CollectionResult } from './collection';
import { lookBackHours, segment } from './look-back';

/** get-ip-statistics.md (InOrgIPStats). A valid address never seen has prevalence 0. */
export interface IpStats {
  ipAddress: string;
  organizationPrevalence: number;
  orgFirstSeen: string | null;
  orgLastSeen: string | null;
  [key: string]: unknown;
}

/** An IPv4 or IPv6 address as text; an IPv6 zone (`fe80::1%eth0`) names a local interface, not a host. */
export function ipAddress(v: unknown): string {
  const ip = typeof v === 'string' ? v.trim() : undefined;
  if (ip === undefined || net.isIP(ip) === 0 || ip.includes('%')) {
    throw new MdeInputError(`The IP address must be an IPv4 or IPv6 address as text, such as 203.0.113.50, got ${describe(v)}.`, 'InvalidIpAddress');
  }
  return ip;
}

/** GET /api/ips/{ip}/stats[?lookBackHours=] (Ip.Read.All). */
export async function getIpStats(http: MdeHttp, ip: unknown, hours?: unknown, opts: RequestOptions = {}): Promise<IpStats> {
  const a = ipAddress(ip);
  const look = lookBackHours(hours);
  const res = await http.request<IpStats>({ audience: 'mde', family: 'other', method: 'GET', path: `/api/ips/${segment(a)}/stats`, searchParams: { lookBackHours: look }, signal: opts.signal, onWait: opts.onWait });
  const stats = { ...res.body };
  delete (stats as Record<string, unknown>)['@odata.context'];
  return stats;
}

/** GET /api/ips/{ip}/alerts (Alert.Read.All; an unknown but valid address → empty). */
export async function listIpAlerts(http: MdeHttp, ip: unknown, maxResults: number, opts: RequestOptions = {}): Promise<CollectionResult<Alert>> {
  return readCollection<Alert>(http, 'other', `/api/ips/${segment(ipAddress(ip))}/alerts`, maxResults, opts);
}
