// Which token audiences each Microsoft host accepts. A token for the right API but the wrong
// cloud (a commercial MDE audience sent to the US Government host, a graph.microsoft.com token
// sent to graph.microsoft.us) is refused with 401, as the service does, so a wrong pairing of
// cloud, host and audience fails a test. Other host names (loopback, private endpoints) accept
// every audience of the right API.
const COMMERCIAL_MDE = [
  'https://api.securitycenter.microsoft.com',
  'https://securitycenter.onmicrosoft.com/windowsatpservice',
  'https://api.securitycenter.windows.com',
];
const GOV_MDE = ['https://securitycenter.onmicrosoft.us/windowsatpservice', 'https://api-gov.securitycenter.microsoft.us'];

/** Exact host names (lower case) → accepted audiences. */
export const DEFAULT_HOST_AUDIENCES: Readonly<Record<string, readonly string[]>> = {
  // GCC signs in at login.microsoftonline.com and uses the commercial WindowsDefenderATP app.
  'api-gcc.securitycenter.microsoft.us': COMMERCIAL_MDE,
  'api-gov.securitycenter.microsoft.us': GOV_MDE,
  'graph.microsoft.com': ['https://graph.microsoft.com'],
  'graph.microsoft.us': ['https://graph.microsoft.us'],
  'dod-graph.microsoft.us': ['https://dod-graph.microsoft.us'],
};

/** Commercial MDE hosts: api.security.microsoft.com, its geo hosts, and the older securitycenter names. */
const COMMERCIAL_MDE_HOST = /^(?:(?:[a-z]+\.)?api\.security\.microsoft\.com|api(?:-[a-z0-9]+)?\.securitycenter\.(?:microsoft|windows)\.com)$/;

function normalize(aud: string): string {
  return aud.replace(/\/+$/, '').toLowerCase();
}

/** Host header → host name in lower case, without the port. */
export function hostName(hostHeader: string | undefined): string {
  const h = (hostHeader ?? '').trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  return h.replace(/:\d+$/, '');
}

/**
 * The audiences `host` accepts for `api`, or undefined when any audience of that API is fine.
 * `overrides` (simulator option `hostAudiences`) replace the defaults host by host.
 */
export function acceptedAudiences(host: string, api: 'mde' | 'graph', overrides: Record<string, readonly string[]> = {}): readonly string[] | undefined {
  const name = hostName(host);
  const own = Object.entries(overrides).find(([h]) => h.toLowerCase() === name)?.[1] ?? DEFAULT_HOST_AUDIENCES[name];
  if (own) return own;
  if (api === 'mde' && COMMERCIAL_MDE_HOST.test(name)) return COMMERCIAL_MDE;
  return undefined;
}

/** True when `aud` may be presented to `host` (audience kind already checked by the caller). */
export function audienceFitsHost(aud: string, host: string, api: 'mde' | 'graph', overrides?: Record<string, readonly string[]>): boolean {
  const accepted = acceptedAudiences(host, api, overrides);
  if (!accepted) return true;
  return accepted.some((a) => normalize(a) === normalize(aud));
}
