// Shared input validators (pure). Throw MdeInputError with a message naming the field.
import { MdeInputError } from './errors';

export const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN_RE = /^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

export function isGuid(v: unknown): v is string {
  return typeof v === 'string' && GUID_RE.test(v);
}

export function assertGuid(v: unknown, label: string): string {
  if (!isGuid(v)) {
    throw new MdeInputError(`${label} must be a GUID like 7d3c6a52-9f14-4e8b-a0c2-5b1e9d4f6a83, got ${describe(v)}.`);
  }
  return v;
}

/** Tenant: a GUID or a verified domain (contoso.onmicrosoft.com). Never /common. */
export function assertTenantId(v: unknown): string {
  const t = typeof v === 'string' ? v.trim() : v;
  if (typeof t === 'string' && ['common', 'organizations', 'consumers'].includes(t.toLowerCase())) {
    throw new MdeInputError(`The tenant ID cannot be "${t}": app-only tokens need your own tenant.`, {
      hint: 'enter the Directory (tenant) ID GUID from the app registration overview, or a verified domain such as contoso.onmicrosoft.com.',
    });
  }
  if (typeof t !== 'string' || !(GUID_RE.test(t) || DOMAIN_RE.test(t))) {
    throw new MdeInputError(`The tenant ID must be a GUID or a domain name such as contoso.onmicrosoft.com, got ${describe(v)}.`, {
      hint: 'copy the Directory (tenant) ID from the app registration overview in the Entra admin center.',
    });
  }
  return t;
}

export function assertClientId(v: unknown): string {
  const t = typeof v === 'string' ? v.trim() : v;
  if (!isGuid(t)) {
    throw new MdeInputError(`The client ID must be the application (client) ID GUID, got ${describe(v)}.`, {
      hint: 'copy the Application (client) ID from the app registration overview (not the object ID, not the secret ID).',
    });
  }
  return t;
}

/** Short, safe description of a bad value for messages (never long, never multi-line). */
export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') {
    if (v === '') return 'an empty string';
    const s = v.length > 60 ? `${v.slice(0, 57)}...` : v;
    return JSON.stringify(s);
  }
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return Array.isArray(v) ? 'an array' : `a ${typeof v}`;
}
