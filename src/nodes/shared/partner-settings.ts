// Partner (MSSP) mode of mde-config: one multi-tenant app registration, a list of customer
// tenants. The list comes from the dialog (or a hand-edited / imported flow): every entry is
// checked strictly, a bad one is refused at deploy (InvalidSetting), never dropped or defaulted.
import { CLOUD_NAMES, COMMERCIAL_REGIONS, resolveCloud, type CloudName } from '../../client/clouds';
import { MdeInputError } from '../../client/errors';
import { describe, GUID_RE } from '../../client/validate';
import { choiceSetting, textSetting, type Settings } from './action-settings';
import type { TypedValue } from './node-types';

export const CONNECTION_MODES = ['tenant', 'partner'] as const;
export type ConnectionMode = (typeof CONNECTION_MODES)[number];

export interface PartnerTenant {
  /** Tenant ID (GUID) or verified domain, as listed (trimmed). */
  tenant: string;
  /** Display name shown in the editor, status and messages. */
  name: string;
  /** Cloud for this tenant's API calls; absent: the connection's cloud. */
  cloud?: CloudName;
  /** Commercial geo for this tenant's API host; absent: the connection's region. */
  region?: string;
}

const DOMAIN_RE = /^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const ENTRY_KEYS = ['tenant', 'name', 'cloud', 'region'];
/** Clouds an app registration of one Entra cloud can reach (same authority host). */
const SAME_AUTHORITY: Record<CloudName, CloudName[]> = {
  commercial: ['commercial', 'gcc'],
  gcc: ['commercial', 'gcc'],
  'gcc-high': ['gcc-high', 'dod'],
  dod: ['gcc-high', 'dod'],
  custom: [],
};

function refuse(sentence: string): never {
  throw new MdeInputError(`${sentence} Open the Defender connection (mde-config) and correct the customer tenant list.`, 'InvalidSetting');
}

export function readConnectionMode(value: unknown): ConnectionMode {
  if (value === undefined || value === null || value === '') return 'tenant';
  if (typeof value === 'string' && (CONNECTION_MODES as readonly string[]).includes(value)) return value as ConnectionMode;
  return refuse(`The connection mode (mode) is ${describe(value)}; allowed: "tenant" or "partner".`);
}

/** Lower-case key for comparing tenants (IDs and domains are case-insensitive). */
export function tenantKey(tenant: string): string {
  return tenant.trim().toLowerCase();
}

/**
 * The customer tenant list of a partner connection. `appCloud` is the cloud of the app
 * registration: a tenant may only name a cloud served by the same Entra authority.
 */
export function readPartnerTenants(value: unknown, appCloud: CloudName): PartnerTenant[] {
  if (!Array.isArray(value)) return refuse(`The customer tenant list (tenants) is ${describe(value)}; a partner connection needs a list of at least one tenant.`);
  if (!value.length) return refuse('The customer tenant list (tenants) is empty; a partner connection needs at least one tenant.');
  const seen = new Map<string, number>();
  return value.map((raw, index) => {
    const at = `Customer tenant ${index + 1}`;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) refuse(`${at} is ${describe(raw)}; expected { tenant, name, cloud?, region? }.`);
    const entry = raw as Record<string, unknown>;
    const unknown = Object.keys(entry).find((k) => !ENTRY_KEYS.includes(k));
    if (unknown) refuse(`${at} has an unknown property "${unknown}"; allowed: ${ENTRY_KEYS.join(', ')}.`);
    const tenant = typeof entry.tenant === 'string' ? entry.tenant.trim() : entry.tenant;
    if (typeof tenant !== 'string' || !(GUID_RE.test(tenant) || DOMAIN_RE.test(tenant)) || ['common', 'organizations', 'consumers'].includes(tenant.toLowerCase())) {
      refuse(`${at}: the tenant is ${describe(entry.tenant)}; allowed: a tenant ID GUID or a verified domain such as customer.onmicrosoft.com.`);
    }
    const key = tenantKey(tenant);
    const first = seen.get(key);
    if (first !== undefined) refuse(`${at} repeats customer tenant ${first + 1} (${tenant}); list each tenant once.`);
    seen.set(key, index);
    if (entry.name !== undefined && typeof entry.name !== 'string') refuse(`${at}: the display name is ${describe(entry.name)}; allowed: text.`);
    const name = typeof entry.name === 'string' && entry.name.trim() ? entry.name.trim() : tenant;
    const out: PartnerTenant = { tenant, name };
    if (entry.cloud !== undefined && entry.cloud !== '') {
      const allowed = SAME_AUTHORITY[appCloud];
      if (typeof entry.cloud !== 'string' || !(CLOUD_NAMES as readonly string[]).includes(entry.cloud) || !allowed.includes(entry.cloud as CloudName)) {
        refuse(`${at}: the cloud is ${describe(entry.cloud)}; allowed with a ${appCloud} app registration: ${allowed.length ? allowed.map((c) => `"${c}"`).join(', ') + ' or empty' : 'empty (the connection\'s own hosts)'}.`);
      }
      out.cloud = entry.cloud as CloudName;
    }
    if (entry.region !== undefined && entry.region !== '') {
      const cloud = out.cloud ?? appCloud;
      if (typeof entry.region !== 'string' || cloud !== 'commercial' || !(COMMERCIAL_REGIONS as readonly string[]).includes(entry.region.trim().toLowerCase())) {
        refuse(`${at}: the region is ${describe(entry.region)}; allowed: ${cloud === 'commercial' ? COMMERCIAL_REGIONS.filter(Boolean).join(', ') + ' or empty (global)' : 'empty (a region applies to the commercial cloud only)'}.`);
      }
      out.region = (entry.region as string).trim().toLowerCase();
      resolveCloud({ cloud: 'commercial', region: out.region });
    }
    return out;
  });
}

/** The listed tenant a message names, or undefined (compared case-insensitively, as listed). */
export function findPartnerTenant(tenants: readonly PartnerTenant[], requested: string): PartnerTenant | undefined {
  const key = tenantKey(requested);
  return tenants.find((t) => tenantKey(t.tenant) === key);
}

/**
 * The admin consent link a customer's Global Administrator opens to consent to the app in
 * their tenant (Microsoft identity platform, tenant-wide admin consent:
 * {authority}/{tenant}/adminconsent?client_id=...).
 */
export function adminConsentUrl(authorityHost: string, tenant: string, clientId: string): string {
  return `${authorityHost.replace(/\/+$/, '')}/${encodeURIComponent(tenant)}/adminconsent?client_id=${encodeURIComponent(clientId)}`;
}

export const TENANT_INPUT_TYPES = ['msg', 'flow', 'global', 'env', 'str'] as const;

/**
 * Where a node reads the customer tenant of a message on a partner connection (its "Tenant"
 * TypedInput): default msg.tenantId. A stored value of the wrong type is refused, never defaulted.
 */
export function readTenantInput(def: Settings): TypedValue {
  const type = choiceSetting(def, 'tenantType', TENANT_INPUT_TYPES, 'msg');
  const value = textSetting(def, 'tenant', 'tenantId').trim();
  if (!value) {
    throw new MdeInputError('The node setting "tenant" is empty; allowed: where the customer tenant is read (msg.tenantId by default). Open the node and choose a value.', 'InvalidSetting');
  }
  return { type, value };
}
