// Pure checks for custom indicators (Microsoft's post-ti-indicator.md / import-ti-indicators.md /
// ti-indicator.md): every value is checked against its type before anything is sent, and a value
// of the wrong type is refused with a sentence naming the property, what came and what is allowed.
import * as net from 'node:net';
import { MdeInputError } from '../errors';
import { describe } from '../validate';
import { parseIsoDateTime } from './odata';

export const INDICATOR_TYPES = ['FileSha1', 'FileSha256', 'FileMd5', 'CertificateThumbprint', 'IpAddress', 'DomainName', 'Url'] as const;
export type IndicatorType = (typeof INDICATOR_TYPES)[number];

/** post-ti-indicator.md, "action": the documented values (Alert / AlertAndBlock are legacy but listed). */
export const INDICATOR_ACTIONS = ['Alert', 'Warn', 'Block', 'Audit', 'BlockAndRemediate', 'AlertAndBlock', 'Allowed'] as const;
export type IndicatorAction = (typeof INDICATOR_ACTIONS)[number];

/** Actions that stop something on devices: the never-block list and the cap apply to them. */
export const BLOCKING_ACTIONS: readonly IndicatorAction[] = ['Warn', 'Block', 'BlockAndRemediate', 'AlertAndBlock'];

export const INDICATOR_SEVERITIES = ['Informational', 'Low', 'Medium', 'High'] as const;

/** import-ti-indicators.md, "Limitations": maximum batch size for one API call. */
export const IMPORT_BATCH_MAX = 500;

/** The request-body properties post-ti-indicator.md documents (case-sensitive). */
export const INDICATOR_BODY_PROPERTIES = [
  'indicatorValue', 'indicatorType', 'action', 'application', 'title', 'description', 'expirationTime',
  'severity', 'recommendedActions', 'rbacGroupNames', 'educateUrl', 'generateAlert',
] as const;

/** A submission body as MDE documents it; optional fields are left out when not given. */
export interface IndicatorSubmission {
  indicatorValue: string;
  indicatorType: IndicatorType;
  action: IndicatorAction;
  title: string;
  description: string;
  application?: string;
  expirationTime?: string;
  severity?: (typeof INDICATOR_SEVERITIES)[number];
  recommendedActions?: string;
  rbacGroupNames?: string[];
  educateUrl?: string;
  generateAlert?: boolean;
}

export function isBlockingAction(action: string): boolean {
  return (BLOCKING_ACTIONS as readonly string[]).includes(action);
}

function refuse(label: string, v: unknown, allowed: string): never {
  throw new MdeInputError(`${label} is ${describe(v)}; allowed: ${allowed}.`);
}

function choice<T extends string>(label: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
  const near = typeof v === 'string' ? allowed.find((a) => a.toLowerCase() === v.toLowerCase()) : undefined;
  return refuse(label, v, near ? `"${near}" (the values are case-sensitive)` : allowed.join(', '));
}

function text(label: string, v: unknown, required: boolean): string | undefined {
  if (v === undefined || v === null) {
    if (required) throw new MdeInputError(`${label} is required (non-empty text).`);
    return undefined;
  }
  if (typeof v !== 'string') return refuse(label, v, 'text');
  if (required && !v.trim()) throw new MdeInputError(`${label} is required (non-empty text), got an empty string.`);
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(v)) throw new MdeInputError(`${label} contains a control character, which is not allowed.`);
  return v;
}

const HEX_LENGTH: Partial<Record<IndicatorType, { length: number; name: string }>> = {
  FileSha1: { length: 40, name: 'a SHA-1 hash (40 hexadecimal characters)' },
  FileSha256: { length: 64, name: 'a SHA-256 hash (64 hexadecimal characters)' },
  FileMd5: { length: 32, name: 'an MD5 hash (32 hexadecimal characters)' },
  // A certificate indicator names the certificate by its SHA-1 thumbprint (indicator-certificates.md).
  CertificateThumbprint: { length: 40, name: 'a certificate SHA-1 thumbprint (40 hexadecimal characters)' },
};

/** IPv4 / IPv6 ranges that are not on the public internet (IANA special-purpose registries). */
const NON_PUBLIC: Array<[string, number, 'ipv4' | 'ipv6', string]> = [
  ['0.0.0.0', 8, 'ipv4', '"this network"'],
  ['10.0.0.0', 8, 'ipv4', 'private (RFC 1918)'],
  ['100.64.0.0', 10, 'ipv4', 'carrier-grade NAT (RFC 6598)'],
  ['127.0.0.0', 8, 'ipv4', 'loopback'],
  ['169.254.0.0', 16, 'ipv4', 'link-local'],
  ['172.16.0.0', 12, 'ipv4', 'private (RFC 1918)'],
  ['192.0.0.0', 24, 'ipv4', 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'ipv4', 'documentation (TEST-NET-1)'],
  ['192.168.0.0', 16, 'ipv4', 'private (RFC 1918)'],
  ['198.18.0.0', 15, 'ipv4', 'benchmarking'],
  ['198.51.100.0', 24, 'ipv4', 'documentation (TEST-NET-2)'],
  ['203.0.113.0', 24, 'ipv4', 'documentation (TEST-NET-3)'],
  ['224.0.0.0', 4, 'ipv4', 'multicast'],
  ['240.0.0.0', 4, 'ipv4', 'reserved'],
  ['::', 128, 'ipv6', 'unspecified'],
  ['::1', 128, 'ipv6', 'loopback'],
  ['::ffff:0:0', 96, 'ipv6', 'IPv4-mapped'],
  ['64:ff9b:1::', 48, 'ipv6', 'local-use NAT64'],
  ['100::', 64, 'ipv6', 'discard-only'],
  ['2001:db8::', 32, 'ipv6', 'documentation'],
  ['fc00::', 7, 'ipv6', 'unique local (private)'],
  ['fe80::', 10, 'ipv6', 'link-local'],
  ['ff00::', 8, 'ipv6', 'multicast'],
];

/** Why `ip` is not a public address (e.g. "private (RFC 1918)"), or null when it is public. */
export function nonPublicReason(ip: string): string | null {
  const family = net.isIPv4(ip) ? 'ipv4' : net.isIPv6(ip) ? 'ipv6' : undefined;
  if (!family) return 'not an IP address';
  for (const [address, prefix, fam, reason] of NON_PUBLIC) {
    if (fam !== family) continue;
    const list = new net.BlockList();
    list.addSubnet(address, prefix, fam);
    if (list.check(ip, fam)) return reason;
  }
  return null;
}

const LABEL_RE = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;
const TLD_RE = /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/i;

/** A fully qualified host name: at least two labels, letters-only (or punycode) top-level label. */
export function isHostName(v: string): boolean {
  if (v.length > 253 || net.isIP(v)) return false;
  const labels = v.split('.');
  return labels.length >= 2 && labels.every((l) => LABEL_RE.test(l)) && TLD_RE.test(labels[labels.length - 1]);
}

/** An http(s) URL with a host; returns the parsed URL. */
export function parseHttpUrl(v: string, label: string): URL {
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw new MdeInputError(`${label} ${describe(v)} is not a URL; allowed: an http:// or https:// URL.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new MdeInputError(`${label} ${describe(v)} is not an http(s) URL (scheme ${url.protocol.replace(/:$/, '')}); allowed: an http:// or https:// URL.`);
  if (/\s/.test(v)) throw new MdeInputError(`${label} ${describe(v)} contains white space; allowed: an http:// or https:// URL.`);
  const host = urlHost(url);
  if (!net.isIP(host) && !isHostName(host)) throw new MdeInputError(`${label} ${describe(v)} has no valid host name.`);
  return url;
}

/** The host of a URL without IPv6 brackets. */
export function urlHost(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/**
 * Checks a value against its indicator type and returns it as MDE should receive it. Nothing is
 * rewritten: a hash in capitals stays as given, a URL is not normalized.
 */
export function checkIndicatorValue(type: IndicatorType, v: unknown, label = 'indicatorValue'): string {
  if (typeof v !== 'string') return refuse(label, v, `text (${type === 'IpAddress' ? 'an IP address' : type === 'DomainName' ? 'a domain name' : type === 'Url' ? 'a URL' : HEX_LENGTH[type]!.name})`);
  const value = v;
  if (!value || value !== value.trim()) throw new MdeInputError(`${label} ${describe(v)} is empty or has leading/trailing spaces; give the exact value.`);
  const hex = HEX_LENGTH[type];
  if (hex) {
    if (!new RegExp(`^[0-9a-fA-F]{${hex.length}}$`).test(value)) {
      const hint = /^[0-9a-fA-F]+$/.test(value) ? ` (it has ${value.length} hexadecimal characters)` : '';
      throw new MdeInputError(`${label} ${describe(v)} is not ${hex.name} for indicator type ${type}${hint}.`);
    }
    return value;
  }
  if (type === 'IpAddress') {
    if (value.includes('/')) throw new MdeInputError(`${label} ${describe(v)} is a range: CIDR notation is not supported for IP indicators (post-ti-indicator.md); give one address.`);
    if (!net.isIP(value)) throw new MdeInputError(`${label} ${describe(v)} is not an IPv4 or IPv6 address.`);
    const reason = nonPublicReason(value);
    if (reason) throw new MdeInputError(`${label} ${value} is a ${reason} address; IP indicators apply to public addresses only.`);
    return value;
  }
  if (type === 'DomainName') {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) || value.includes('/')) throw new MdeInputError(`${label} ${describe(v)} is a URL, not a domain name; use indicator type Url, or give the host name only.`);
    if (value.includes('*')) throw new MdeInputError(`${label} ${describe(v)} has a wildcard; a domain indicator is one host name (it covers its subdomains).`);
    if (!isHostName(value)) throw new MdeInputError(`${label} ${describe(v)} is not a domain name (like example.com).`);
    return value;
  }
  parseHttpUrl(value, label);
  return value;
}

/** ISO 8601 date-time with a time zone, in the future. */
export function checkExpiration(v: unknown, now = Date.now(), label = 'expirationTime'): string {
  if (typeof v !== 'string') return refuse(label, v, 'an ISO 8601 date-time text such as 2027-01-31T00:00:00Z');
  const date = parseIsoDateTime(v, label);
  if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(v.trim())) throw new MdeInputError(`${label} ${describe(v)} has no time zone; add Z (UTC) or an offset such as +01:00.`);
  if (date.getTime() <= now) throw new MdeInputError(`${label} ${describe(v)} is in the past; an indicator must expire in the future.`);
  return v.trim();
}

/**
 * The body of one indicator, fully checked. `label` prefixes every message ("msg.payload",
 * "msg.payload[3]"). Unknown properties are refused (a typo must not silently drop a setting).
 */
export function checkIndicator(input: unknown, label = 'The indicator', now = Date.now()): IndicatorSubmission {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return refuse(label, input, 'an object with indicatorValue, indicatorType, action, title and description');
  const o = input as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if ((INDICATOR_BODY_PROPERTIES as readonly string[]).includes(key)) continue;
    const near = INDICATOR_BODY_PROPERTIES.find((p) => p.toLowerCase() === key.toLowerCase());
    throw new MdeInputError(`${label} has an unknown property "${key}"${near ? ` (MDE property names are case-sensitive: "${near}")` : ''}; allowed: ${INDICATOR_BODY_PROPERTIES.join(', ')}.`);
  }
  const p = (name: string) => `${label}.${name}`;
  if (o.indicatorType === undefined) throw new MdeInputError(`${p('indicatorType')} is required; allowed: ${INDICATOR_TYPES.join(', ')}.`);
  const indicatorType = choice(p('indicatorType'), o.indicatorType, INDICATOR_TYPES);
  if (o.indicatorValue === undefined) throw new MdeInputError(`${p('indicatorValue')} is required.`);
  const indicatorValue = checkIndicatorValue(indicatorType, o.indicatorValue, p('indicatorValue'));
  if (o.action === undefined) throw new MdeInputError(`${p('action')} is required; allowed: ${INDICATOR_ACTIONS.join(', ')}.`);
  const action = choice(p('action'), o.action, INDICATOR_ACTIONS);
  const out: IndicatorSubmission = {
    indicatorValue,
    indicatorType,
    action,
    title: text(p('title'), o.title, true)!,
    description: text(p('description'), o.description, true)!,
  };
  const application = text(p('application'), o.application, false);
  if (application !== undefined) out.application = application;
  if (o.expirationTime !== undefined && o.expirationTime !== null) out.expirationTime = checkExpiration(o.expirationTime, now, p('expirationTime'));
  if (o.severity !== undefined && o.severity !== null) out.severity = choice(p('severity'), o.severity, INDICATOR_SEVERITIES);
  const recommended = text(p('recommendedActions'), o.recommendedActions, false);
  if (recommended !== undefined) out.recommendedActions = recommended;
  if (o.rbacGroupNames !== undefined && o.rbacGroupNames !== null) {
    const g = o.rbacGroupNames;
    if (!Array.isArray(g) || !g.every((x) => typeof x === 'string' && x.trim() !== '')) return refuse(p('rbacGroupNames'), g, 'a list of device group names (an array of non-empty texts)');
    out.rbacGroupNames = [...g];
  }
  if (o.generateAlert !== undefined && o.generateAlert !== null) {
    if (typeof o.generateAlert !== 'boolean') return refuse(p('generateAlert'), o.generateAlert, 'true or false');
    out.generateAlert = o.generateAlert;
  }
  if (o.educateUrl !== undefined && o.educateUrl !== null) {
    if (typeof o.educateUrl !== 'string') return refuse(p('educateUrl'), o.educateUrl, 'an http(s) URL');
    // post-ti-indicator.md: "Supported for Block and Warn action types for URL indicators."
    if (indicatorType !== 'Url' || (action !== 'Block' && action !== 'Warn')) {
      throw new MdeInputError(`${p('educateUrl')} applies only to Url indicators with action Block or Warn (this one is ${indicatorType} / ${action}).`);
    }
    parseHttpUrl(o.educateUrl, p('educateUrl'));
    out.educateUrl = o.educateUrl;
  }
  // post-ti-indicator.md: "The GenerateAlert parameter must be set to TRUE when creating an action with Audit."
  if (action === 'Audit' && out.generateAlert !== true) throw new MdeInputError(`${p('generateAlert')} must be true for action Audit (Microsoft requires it).`);
  return out;
}

/** MDE indicator IDs are numeric strings ("995"). */
export function checkIndicatorId(v: unknown, label = 'The indicator ID'): string {
  if (typeof v !== 'string') return refuse(label, v, 'the indicator ID as text, digits only (e.g. "995")');
  if (!/^\d{1,19}$/.test(v)) throw new MdeInputError(`${label} ${describe(v)} is not an MDE indicator ID (digits only, e.g. "995").`);
  return v;
}
