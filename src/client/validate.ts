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

const SHOWN_TEXT = 60;
const SHOWN_KEYS = 5;

function clipText(v: string, max: number): string {
  return JSON.stringify(v.length > max ? `${v.slice(0, max - 3)}...` : v);
}

/**
 * Short, safe description of a bad value for messages: never long, never multi-line, never
 * "[object Object]" (no toString is called), and it names the type of anything that is not text.
 */
export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return v === '' ? 'an empty string' : clipText(v, SHOWN_TEXT);
    case 'number':
      return Number.isNaN(v) ? 'the number NaN' : `the number ${String(v)}`;
    case 'boolean':
      return `the boolean ${String(v)}`;
    case 'bigint':
      return `the big integer ${String(v).slice(0, 30)}`;
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
  }
  try {
    return describeObject(v as object);
  } catch {
    // A revoked proxy or a hostile getter: say nothing more than its type.
    return 'an object';
  }
}

function describeObject(v: object): string {
  if (Array.isArray(v)) return v.length === 0 ? 'an empty array' : `an array of ${v.length} item${v.length === 1 ? '' : 's'}`;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'an invalid date' : `the date ${v.toISOString()}`;
  if (Buffer.isBuffer(v)) return `a buffer of ${v.length} bytes`;
  const keys = Object.keys(v);
  if (!keys.length) return 'an empty object';
  const shown = keys.slice(0, SHOWN_KEYS).map((k) => clipText(k, 24)).join(', ');
  return `an object with ${keys.length === 1 ? 'the key' : 'the keys'} ${shown}${keys.length > SHOWN_KEYS ? ', ...' : ''}`;
}
