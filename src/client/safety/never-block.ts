// The never-block list of a connection: values a blocking indicator (Warn / Block /
// BlockAndRemediate / AlertAndBlock) must never target. Alert, Audit and Allowed indicators are
// not checked: they stop nothing. Matching is pure and happens before any request.
import * as net from 'node:net';
import { MdeInputError } from '../errors';
import { describe } from '../validate';
import { isHostName, parseHttpUrl, urlHost, type IndicatorType } from '../mde/indicator-values';

/**
 * Hosts the Defender for Endpoint sensor and Windows need to reach. Source: Microsoft's
 * "Configure your network environment to ensure connectivity with Defender for Endpoint service"
 * (defender-endpoint/configure-environment.md, which points to the URL spreadsheets and names
 * *.endpoint.security.microsoft.com, settings-win.data.microsoft.com, *.events.data.microsoft.com,
 * *.ods.opinsights.azure.com, *.oms.opinsights.azure.com, *.blob.core.windows.net and
 * *.azure-automation.net) and "Configure device proxy and Internet connectivity settings"
 * (configure-proxy-internet.md: the sensor's WinHTTP traffic, CRL and certificate trust list
 * downloads from crl.microsoft.com / ctldl.windowsupdate.com). The broad suffixes (microsoft.com,
 * windows.com, windowsupdate.com) cover the spreadsheet's per-region hosts, which change.
 * Blocking any of them can cut devices off from Defender itself.
 * Left out on purpose: *.blob.core.windows.net and *.azure-automation.net. Anyone can host
 * content there (malware on a storage account is common), so a wildcard would make a malicious
 * blob unblockable; the sensor's own storage accounts are per-region names a user can list.
 */
export const MICROSOFT_SENSOR_HOSTS: readonly string[] = [
  '*.microsoft.com',
  '*.windows.com',
  '*.windowsupdate.com',
  '*.securitycenter.windows.com',
  '*.endpoint.security.microsoft.com',
  '*.events.data.microsoft.com',
  '*.ods.opinsights.azure.com',
  '*.oms.opinsights.azure.com',
  '*.microsoftonline.com',
];

/** Address ranges that are never a blocking target (private, loopback, link-local, CGNAT ...). */
export const NON_PUBLIC_RANGES: readonly string[] = [
  '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.168.0.0/16',
  '::/128', '::1/128', 'fc00::/7', 'fe80::/10',
];

interface DomainRule { kind: 'domain'; suffix: string; entry: string }
interface RangeRule { kind: 'range'; list: net.BlockList; entry: string }
interface HashRule { kind: 'hash'; value: string; entry: string }
type Rule = DomainRule | RangeRule | HashRule;

export interface NeverBlockOptions {
  /** Entries the user lists: domains (contoso.com, *.contoso.com), IPs, CIDR ranges, hashes. */
  entries: readonly string[];
  /** Include MICROSOFT_SENSOR_HOSTS (default true). */
  microsoftEndpoints?: boolean;
  /** The tenant's own domains (e.g. the tenant ID when it is a verified domain). */
  tenantDomains?: readonly string[];
}

function parseEntry(raw: string, origin: string): Rule {
  const entry = raw.trim();
  const refuse = (): never => {
    throw new MdeInputError(`The never-block entry ${describe(raw)} (${origin}) is not a domain (contoso.com or *.contoso.com), an IP address, a CIDR range or a file hash.`, 'InvalidSetting');
  };
  if (/^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64})$/i.test(entry)) return { kind: 'hash', value: entry.toLowerCase(), entry };
  const slash = entry.indexOf('/');
  const address = slash >= 0 ? entry.slice(0, slash) : entry;
  const family = net.isIPv4(address) ? 'ipv4' : net.isIPv6(address) ? 'ipv6' : undefined;
  if (family) {
    const max = family === 'ipv4' ? 32 : 128;
    const prefixText = slash >= 0 ? entry.slice(slash + 1) : String(max);
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) refuse();
    const list = new net.BlockList();
    list.addSubnet(address, Number(prefixText), family);
    return { kind: 'range', list, entry };
  }
  const host = entry.replace(/^\*\./, '').replace(/\.$/, '').toLowerCase();
  if (!isHostName(host)) refuse();
  return { kind: 'domain', suffix: host, entry };
}

function ipFamily(ip: string): 'ipv4' | 'ipv6' {
  return net.isIPv4(ip) ? 'ipv4' : 'ipv6';
}

/** What a blocking indicator targets, in the forms the rules match against. */
function targets(type: IndicatorType, value: string): { host?: string; ip?: string; hash?: string } {
  if (type === 'IpAddress') return { ip: value };
  if (type === 'DomainName') return { host: value.toLowerCase().replace(/\.$/, '') };
  if (type === 'Url') {
    const host = urlHost(parseHttpUrl(value, 'indicatorValue')).toLowerCase().replace(/\.$/, '');
    return net.isIP(host) ? { ip: host } : { host };
  }
  return { hash: value.toLowerCase() };
}

export class NeverBlockList {
  private readonly rules: Rule[];

  /** Throws MdeInputError (code InvalidSetting) naming the first entry that is not understood. */
  constructor(options: NeverBlockOptions) {
    const rules: Rule[] = [];
    for (const e of options.entries) if (e.trim()) rules.push(parseEntry(e, 'never-block list of the Defender connection'));
    for (const d of options.tenantDomains ?? []) if (isHostName(d)) rules.push(parseEntry(d, "the tenant's domain"));
    for (const r of NON_PUBLIC_RANGES) rules.push(parseEntry(r, 'private and local ranges'));
    if (options.microsoftEndpoints !== false) for (const h of MICROSOFT_SENSOR_HOSTS) rules.push(parseEntry(h, 'Microsoft endpoints'));
    this.rules = rules;
  }

  /** The never-block entry that `value` of `type` falls under, or null. */
  match(type: IndicatorType, value: string): string | null {
    const t = targets(type, value);
    for (const rule of this.rules) {
      if (rule.kind === 'domain' && t.host && (t.host === rule.suffix || t.host.endsWith(`.${rule.suffix}`))) return rule.entry;
      if (rule.kind === 'range' && t.ip && rule.list.check(t.ip, ipFamily(t.ip))) return rule.entry;
      if (rule.kind === 'hash' && t.hash && t.hash === rule.value) return rule.entry;
    }
    return null;
  }

  /** Every entry, as the user sees them (for the status / error). */
  get entries(): string[] {
    return this.rules.map((r) => r.entry);
  }
}
