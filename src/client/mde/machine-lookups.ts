// Machine lookups beyond get / resolve: a filtered, paged device list, find by internal IP at a
// time, logged-on users, a device's alerts, and adding / removing one device tag (mde-api.md §4.2).
// Every value is checked before a request leaves; a value of the wrong type is refused, never coerced.
import * as net from 'node:net';
import type { MdeHttp } from '../transport/http';
import type { Alert, Machine } from '../types';
import { MdeInputError } from '../errors';
import { listAlerts } from './alerts';
import { readCollection, type CollectionResult } from './collection';
import { anyOf, freeText, machineId, odataDateTime, parseSince, top } from './odata';
import type { RequestOptions } from './alerts';
import { listMachines } from './machines';
import { describe } from '../validate';

// Enum values as the Machine entity documents them (machine.md), case-sensitive in filters.
export const MACHINE_HEALTH_STATUSES = ['Active', 'Inactive', 'ImpairedCommunication', 'NoSensorData', 'NoSensorDataImpairedCommunication', 'Unknown'] as const;
export const MACHINE_RISK_SCORES = ['None', 'Informational', 'Low', 'Medium', 'High'] as const;
export const MACHINE_EXPOSURE_LEVELS = ['None', 'Low', 'Medium', 'High'] as const;
export const MACHINE_ONBOARDING_STATUSES = ['Onboarded', 'CanBeOnboarded', 'Unsupported', 'InsufficientInfo'] as const;

/** get-machines.md: `$top` is at most 10,000, which is also the page size. */
export const MAX_MACHINE_PAGE = 10_000;
export const MAX_MACHINE_RESULTS = 1_000_000;

/**
 * Filters on properties get-machines.md documents as filterable, and only those: health
 * (healthStatus), risk (riskScore), exposure (exposureLevel), OS (osPlatform), onboarding
 * (onboardingStatus), one device tag (machineTags) and last seen since (lastSeen).
 */
export interface MachineListQuery {
  healthStatus?: string[];
  riskScore?: string[];
  exposureLevel?: string[];
  osPlatform?: string[];
  onboardingStatus?: string[];
  tag?: string;
  /** Last seen at or after: a duration (`7d`), an ISO date, a Date or epoch milliseconds. */
  lastSeenSince?: unknown;
  pageSize?: number;
  maxResults?: number;
}

export const MACHINE_QUERY_KEYS: readonly (keyof MachineListQuery)[] = [
  'healthStatus', 'riskScore', 'exposureLevel', 'osPlatform', 'onboardingStatus', 'tag', 'lastSeenSince', 'pageSize', 'maxResults',
];

function textList(v: unknown, label: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new MdeInputError(`${label} must be a list of text values, got ${describe(v)}.`);
  return v.map((x) => {
    if (typeof x !== 'string') throw new MdeInputError(`${label} must be a list of text values; it holds ${describe(x)}.`);
    return x;
  });
}

/** Exact (case-sensitive) match against the documented values: the API compares enums exactly. */
function enumList(v: unknown, label: string, allowed: readonly string[]): string[] {
  return textList(v, label).map((x) => {
    if (!allowed.includes(x)) throw new MdeInputError(`${label} ${describe(x)} is not a value Defender uses. Allowed: ${allowed.join(', ')}.`);
    return x;
  });
}

export interface CheckedMachineQuery {
  filter: string;
  pageSize: number;
  maxResults: number;
}

/** Validates a list query and builds its `$filter` ('' when no condition). Nothing is sent. */
export function checkMachineQuery(q: MachineListQuery, now: number = Date.now()): CheckedMachineQuery {
  if (!q || typeof q !== 'object' || Array.isArray(q)) throw new MdeInputError(`The machine query must be an object, got ${describe(q)}.`);
  for (const key of Object.keys(q)) {
    if (!(MACHINE_QUERY_KEYS as readonly string[]).includes(key)) {
      throw new MdeInputError(`The machine query has an unknown property ${describe(key)}. Use: ${MACHINE_QUERY_KEYS.join(', ')}.`);
    }
  }
  const parts: string[] = [];
  const health = enumList(q.healthStatus, 'Health status', MACHINE_HEALTH_STATUSES);
  if (health.length) parts.push(anyOf('healthStatus', health));
  const risk = enumList(q.riskScore, 'Risk score', MACHINE_RISK_SCORES);
  if (risk.length) parts.push(anyOf('riskScore', risk));
  const exposure = enumList(q.exposureLevel, 'Exposure level', MACHINE_EXPOSURE_LEVELS);
  if (exposure.length) parts.push(anyOf('exposureLevel', exposure));
  const os = textList(q.osPlatform, 'OS platform').map((x) => freeText(x, 'OS platform', 64));
  if (os.length) parts.push(anyOf('osPlatform', os));
  const onboarding = enumList(q.onboardingStatus, 'Onboarding status', MACHINE_ONBOARDING_STATUSES);
  if (onboarding.length) parts.push(anyOf('onboardingStatus', onboarding));
  if (q.tag !== undefined) {
    const tag = freeText(q.tag, 'Tag');
    // exposed-apis-odata-samples.md: machineTags/any(tag: tag eq 'ExampleTag').
    parts.push(`machineTags/any(tag: tag eq '${tag.replace(/'/g, "''")}')`);
  }
  if (q.lastSeenSince !== undefined) parts.push(`lastSeen ge ${odataDateTime(parseSince(q.lastSeenSince, now, 'Last seen since'), 'Last seen since')}`);
  return {
    filter: parts.join(' and '),
    pageSize: q.pageSize === undefined ? MAX_MACHINE_PAGE : top(q.pageSize, 'Page size', MAX_MACHINE_PAGE),
    maxResults: q.maxResults === undefined ? 10_000 : top(q.maxResults, 'Maximum results', MAX_MACHINE_RESULTS),
  };
}

export interface MachineListResult {
  machines: Machine[];
  pages: number;
  /** True when maxResults stopped the listing while more devices may exist. */
  truncated: boolean;
  filter: string;
}

/** Pages with `$top` / `$skip` (with `$top` the service sends no nextLink), up to maxResults. */
export async function listMachinesPaged(http: MdeHttp, q: MachineListQuery = {}, opts: RequestOptions & { onPage?: (total: number) => void } = {}): Promise<MachineListResult> {
  const c = checkMachineQuery(q);
  const machines: Machine[] = [];
  let pages = 0;
  for (;;) {
    const want = Math.min(c.pageSize, c.maxResults - machines.length);
    const page = await listMachines(http, { filter: c.filter || undefined, top: want, skip: machines.length, signal: opts.signal, onWait: opts.onWait });
    pages++;
    machines.push(...page);
    opts.onPage?.(machines.length);
    if (page.length < want) return { machines, pages, truncated: false, filter: c.filter };
    if (machines.length >= c.maxResults) return { machines, pages, truncated: true, filter: c.filter };
  }
}

/** find-machines-by-ip.md: "The given timestamp must be in the past 30 days." */
export const FIND_BY_IP_MAX_AGE_MS = 30 * 86_400_000;
/** Clock skew between this host and the service that a "now" timestamp may carry. */
const FUTURE_TOLERANCE_MS = 5 * 60_000;

export function internalIp(v: unknown): string {
  if (typeof v !== 'string' || net.isIP(v.trim()) === 0) throw new MdeInputError(`The IP address must be an IPv4 or IPv6 address as text, such as 10.248.240.38, got ${describe(v)}.`);
  return v.trim();
}

/** The timestamp findbyip asks about: an ISO date-time, a Date or epoch milliseconds within the last 30 days. */
export function findByIpTimestamp(v: unknown, now: number = Date.now()): Date {
  let t: Date;
  if (v instanceof Date || typeof v === 'number' || (typeof v === 'string' && /^\d{4}-/.test(v.trim()))) t = parseSince(v, now, 'The timestamp');
  else throw new MdeInputError(`The timestamp must be an ISO date-time such as 2026-11-24T08:44:05Z, a Date or epoch milliseconds, got ${describe(v)}.`);
  if (t.getTime() < now - FIND_BY_IP_MAX_AGE_MS) throw new MdeInputError(`The timestamp ${t.toISOString()} is more than 30 days ago; Defender only finds machines by IP within the last 30 days.`);
  if (t.getTime() > now + FUTURE_TOLERANCE_MS) throw new MdeInputError(`The timestamp ${t.toISOString()} is in the future.`);
  return t;
}

/** Machines seen with this internal IP within 15 minutes either side of `timestamp` (find-machines-by-ip.md). */
export async function findMachinesByIp(http: MdeHttp, ip: unknown, timestamp: unknown, opts: RequestOptions = {}): Promise<Machine[]> {
  const address = internalIp(ip);
  const at = odataDateTime(findByIpTimestamp(timestamp), 'The timestamp');
  const res = await http.request<{ value?: Machine[] }>({
    audience: 'mde',
    family: 'machines',
    method: 'GET',
    path: `/api/machines/findbyip(ip='${address}',timestamp=${at})`,
    signal: opts.signal,
    onWait: opts.onWait,
  });
  return Array.isArray(res.body?.value) ? res.body.value : [];
}

export interface LogonUser {
  id: string;
  accountName?: string;
  accountDomain?: string;
  firstSeen?: string;
  lastSeen?: string;
  logonTypes?: string;
  isDomainAdmin?: boolean;
  isOnlyNetworkUser?: boolean;
  [key: string]: unknown;
}

/**
 * GET /api/machines/{id}/logonusers (get-machine-log-on-users.md; needs User.Read.All). The page
 * documents no $top / $skip, so paging follows @odata.nextLink, up to maxResults.
 */
export async function getLogonUsers(http: MdeHttp, id: string, maxResults = 10_000, opts: RequestOptions = {}): Promise<CollectionResult<LogonUser>> {
  return readCollection<LogonUser>(http, 'machines', `/api/machines/${machineId(id)}/logonusers`, maxResults, opts);
}

/** A device's alerts from /api/machines/{id}/alerts (get-machine-related-alerts.md), paged like listAlerts. */
export async function listMachineAlerts(http: MdeHttp, id: string, q: { pageSize?: number; maxResults?: number } = {}, opts: RequestOptions = {}): Promise<{ alerts: Alert[]; pages: number; truncated: boolean }> {
  return listAlerts(http, { machineId: machineId(id), pageSize: q.pageSize, maxResults: q.maxResults ?? 10_000 }, opts);
}

export type TagAction = 'Add' | 'Remove';

export function tagAction(v: unknown): TagAction {
  if (v === 'Add' || v === 'Remove') return v;
  throw new MdeInputError(`The tag action must be "Add" or "Remove", got ${describe(v)}.`);
}

/** A device tag: non-empty text without control characters (add-or-remove-machine-tags.md). */
export function tagValue(v: unknown): string {
  return freeText(v, 'The tag');
}

export function tagRequestBody(value: unknown, action: unknown): { Value: string; Action: TagAction } {
  return { Value: tagValue(value), Action: tagAction(action) };
}

/**
 * POST /api/machines/{id}/tags {Value, Action} → the updated machine. Not resent after a 5xx or a
 * timeout: resending "Add" is harmless alone, but not when another flow removed the tag meanwhile,
 * so a lost answer is reported and the caller decides.
 */
export async function setMachineTag(http: MdeHttp, id: string, value: unknown, action: unknown, opts: RequestOptions = {}): Promise<Machine> {
  const mid = machineId(id);
  const body = tagRequestBody(value, action);
  const res = await http.request<Machine>({ audience: 'mde', family: 'machines', method: 'POST', path: `/api/machines/${mid}/tags`, json: body, idempotent: false, signal: opts.signal, onWait: opts.onWait });
  const machine = { ...res.body };
  delete (machine as Record<string, unknown>)['@odata.context'];
  return machine;
}

/** GET /api/machines/{id}/software (get-installed-software.md; needs Software.Read.All); nextLink paging up to maxResults. */
export async function getInstalledSoftware(http: MdeHttp, id: string, maxResults = 10_000, opts: RequestOptions = {}): Promise<CollectionResult<Record<string, unknown>>> {
  return readCollection<Record<string, unknown>>(http, 'machines', `/api/machines/${machineId(id)}/software`, maxResults, opts);
}

/**
 * GET /api/machines/{id}/vulnerabilities (get-discovered-vulnerabilities.md; needs
 * Vulnerability.Read.All; 50 calls a minute); nextLink paging up to maxResults.
 */
export async function getDiscoveredVulnerabilities(http: MdeHttp, id: string, maxResults = 10_000, opts: RequestOptions = {}): Promise<CollectionResult<Record<string, unknown>>> {
  return readCollection<Record<string, unknown>>(http, 'machines', `/api/machines/${machineId(id)}/vulnerabilities`, maxResults, opts);
}

/** add-or-remove-multiple-machine-tags.md: "up to 500 machines per API call". */
export const MAX_MACHINES_PER_TAG_CALL = 500;

/** The IDs of a bulk tag request: 1 to 500 valid device IDs, duplicates removed. */
export function bulkMachineIds(v: unknown): string[] {
  if (!Array.isArray(v) || v.length === 0) throw new MdeInputError(`The machine IDs must be a non-empty list, got ${describe(v)}.`);
  const ids = [...new Set(v.map((x) => machineId(x)))];
  if (ids.length > MAX_MACHINES_PER_TAG_CALL) {
    throw new MdeInputError(`${ids.length} machines were given; Defender tags at most ${MAX_MACHINES_PER_TAG_CALL} per request. Split the list.`);
  }
  return ids;
}

export function bulkTagRequestBody(ids: unknown, value: unknown, action: unknown): { Value: string; Action: TagAction; MachineIds: string[] } {
  return { ...tagRequestBody(value, action), MachineIds: bulkMachineIds(ids) };
}

/**
 * POST /api/machines/AddOrRemoveTagForMultipleMachines {Value, Action, MachineIds} → the updated
 * machines. Never resent after a 5xx or a timeout, like the single-machine call.
 */
export async function setTagForMachines(http: MdeHttp, ids: unknown, value: unknown, action: unknown, opts: RequestOptions = {}): Promise<Machine[]> {
  const body = bulkTagRequestBody(ids, value, action);
  const res = await http.request<{ value?: Machine[] }>({
    audience: 'mde', family: 'machines', method: 'POST', path: '/api/machines/AddOrRemoveTagForMultipleMachines', json: body, idempotent: false, signal: opts.signal, onWait: opts.onWait,
  });
  return Array.isArray(res.body?.value) ? res.body.value : [];
}
