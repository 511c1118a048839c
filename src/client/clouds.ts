// Cloud table: which login host, API host, Graph host and token audience belong together.
// Values from shared/docs/mde-api.md section 1 (hosts, GCC / GCC High / DoD, audiences).
import { describe } from './validate';

export type CloudName = 'commercial' | 'gcc' | 'gcc-high' | 'dod' | 'custom';
export const CLOUD_NAMES: readonly CloudName[] = ['commercial', 'gcc', 'gcc-high', 'dod', 'custom'];

/**
 * Commercial geo hosts ("use a server closer to your geolocation", Learn's list of API URIs:
 * us, eu, uk, au, swa, ina, aea); '' = the global host.
 */
export const COMMERCIAL_REGIONS = ['', 'us', 'eu', 'uk', 'au', 'swa', 'ina', 'aea'] as const;
export type CommercialRegion = (typeof COMMERCIAL_REGIONS)[number];

export interface CloudSettings {
  cloud: CloudName;
  /** Commercial only: '' (global) or a geo. */
  region?: string;
  /** Custom only: MDE API origin, e.g. https://127.0.0.1:8443 (the client appends /api/...). */
  apiBaseUrl?: string;
  /** Custom only: Entra authority host origin, e.g. https://127.0.0.1:8443. */
  authorityHost?: string;
  /** Custom only: Microsoft Graph origin (the client appends /v1.0/...). */
  graphBaseUrl?: string;
  /**
   * Any cloud: the token audience (v1 resource / v2 scope without `/.default`) for the MDE API,
   * instead of the cloud's default. Sources disagree for GCC High / DoD
   * (`https://securitycenter.onmicrosoft.us/windowsatpservice` or `https://api-gov.securitycenter.microsoft.us`).
   */
  mdeAudience?: string;
}

export interface ResolvedCloud {
  name: CloudName;
  /** Origin of the Entra ID authority, e.g. https://login.microsoftonline.com */
  authorityHost: string;
  /** True for hosts msal-node knows (no instance discovery needed). */
  knownToMsal: boolean;
  /** Origin of the MDE API (without /api). */
  apiBaseUrl: string;
  /** Origin of Microsoft Graph (without /v1.0). */
  graphBaseUrl: string;
  /** v1 `resource` / v2 scope (+ '/.default') for the WindowsDefenderATP API. */
  mdeResource: string;
  /** v1 `resource` / v2 scope (+ '/.default') for Microsoft Graph. */
  graphResource: string;
  /** Defender portal, for links in help and errors. */
  portalUrl: string;
}

const COMMERCIAL_MDE_RESOURCE = 'https://api.securitycenter.microsoft.com';
const GOV_MDE_RESOURCE = 'https://securitycenter.onmicrosoft.us/windowsatpservice';

export function scopeFor(resource: string): string {
  return `${resource.replace(/\/+$/, '')}/.default`;
}

function origin(label: string, value: string | undefined): string {
  if (!value || !value.trim()) throw new Error(`The custom cloud needs ${label}.`);
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new Error(`${label} "${value}" is not a valid URL.`);
  }
  if (url.protocol !== 'https:') throw new Error(`${label} must use https:// (Entra ID and MDE only speak TLS).`);
  return url.origin;
}

/**
 * An MDE token audience: an https URL (`https://api-gov.securitycenter.microsoft.us`) or an app
 * ID URI (`api://...`); no query, fragment or credentials; a trailing slash is dropped.
 */
export function checkAudience(value: unknown, label = 'The MDE token audience'): string {
  const allowed = 'an https URL such as https://api.securitycenter.microsoft.com or an app ID URI such as api://<app-id>';
  if (typeof value !== 'string' || !value.trim()) throw new Error(`${label} must be ${allowed}, got ${describe(value)}.`);
  const text = value.trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`${label} must be ${allowed}, got ${describe(value)}.`);
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'api:') || !url.host || url.username || url.password || url.search || url.hash || /\s/.test(text) || text.length > 256) {
    throw new Error(`${label} must be ${allowed} (no query, fragment or credentials), got ${describe(value)}.`);
  }
  if (/\/\.default$/i.test(url.pathname)) throw new Error(`${label} is written without "/.default" (the client adds that scope suffix), got ${describe(value)}.`);
  return text.replace(/\/+$/, '');
}

export function resolveCloud(settings: CloudSettings): ResolvedCloud {
  const cloud = resolveCloudDefaults(settings);
  if (settings.mdeAudience === undefined || settings.mdeAudience === '') return cloud;
  return { ...cloud, mdeResource: checkAudience(settings.mdeAudience) };
}

function resolveCloudDefaults(settings: CloudSettings): ResolvedCloud {
  switch (settings.cloud) {
    case 'commercial': {
      const region = (settings.region ?? '').trim().toLowerCase();
      if (!(COMMERCIAL_REGIONS as readonly string[]).includes(region)) {
        throw new Error(`Unknown commercial region "${settings.region}". Use one of: global, ${COMMERCIAL_REGIONS.filter(Boolean).join(', ')}.`);
      }
      return {
        name: 'commercial',
        authorityHost: 'https://login.microsoftonline.com',
        knownToMsal: true,
        apiBaseUrl: region ? `https://${region}.api.security.microsoft.com` : 'https://api.security.microsoft.com',
        graphBaseUrl: 'https://graph.microsoft.com',
        mdeResource: COMMERCIAL_MDE_RESOURCE,
        graphResource: 'https://graph.microsoft.com',
        portalUrl: 'https://security.microsoft.com',
      };
    }
    case 'gcc':
      return {
        name: 'gcc',
        authorityHost: 'https://login.microsoftonline.com',
        knownToMsal: true,
        apiBaseUrl: 'https://api-gcc.securitycenter.microsoft.us',
        graphBaseUrl: 'https://graph.microsoft.com',
        mdeResource: 'https://securitycenter.onmicrosoft.com/windowsatpservice',
        graphResource: 'https://graph.microsoft.com',
        portalUrl: 'https://security.microsoft.com',
      };
    case 'gcc-high':
      return {
        name: 'gcc-high',
        authorityHost: 'https://login.microsoftonline.us',
        knownToMsal: true,
        apiBaseUrl: 'https://api-gov.securitycenter.microsoft.us',
        graphBaseUrl: 'https://graph.microsoft.us',
        mdeResource: GOV_MDE_RESOURCE,
        graphResource: 'https://graph.microsoft.us',
        portalUrl: 'https://security.microsoft.us',
      };
    case 'dod':
      return {
        name: 'dod',
        authorityHost: 'https://login.microsoftonline.us',
        knownToMsal: true,
        apiBaseUrl: 'https://api-gov.securitycenter.microsoft.us',
        graphBaseUrl: 'https://dod-graph.microsoft.us',
        mdeResource: GOV_MDE_RESOURCE,
        graphResource: 'https://dod-graph.microsoft.us',
        portalUrl: 'https://security.apps.mil',
      };
    case 'custom': {
      const authorityHost = origin('an authority host', settings.authorityHost);
      const apiBaseUrl = origin('an API base URL', settings.apiBaseUrl);
      const graphBaseUrl = settings.graphBaseUrl && settings.graphBaseUrl.trim() ? origin('a Graph base URL', settings.graphBaseUrl) : apiBaseUrl;
      return {
        name: 'custom',
        authorityHost,
        knownToMsal: false,
        apiBaseUrl,
        graphBaseUrl,
        // Private endpoints and the simulator still issue tokens for the public audiences.
        mdeResource: COMMERCIAL_MDE_RESOURCE,
        graphResource: 'https://graph.microsoft.com',
        portalUrl: apiBaseUrl,
      };
    }
    default:
      throw new Error(`Unknown cloud "${(settings as { cloud: unknown }).cloud}". Use commercial, gcc, gcc-high, dod or custom.`);
  }
}
