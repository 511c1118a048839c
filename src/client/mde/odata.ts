// OData builders that make injection impossible: every value goes through a quoting or
// formatting function; enum values are validated against the documented lists.
import type { AlertListQuery } from '../types';
import { MdeInputError } from '../errors';
import { GUID_RE, describe, isGuid } from '../validate';

export { isGuid };

// ---------------------------------------------------------------- literals

const CONTROL_RE = /[\u0000-\u001f\u007f]/;

/** `O'Brien` → `'O''Brien'`. Rejects control characters. */
export function odataString(v: unknown, label = 'value'): string {
  if (typeof v !== 'string') throw new MdeInputError(`${label} must be text, got ${describe(v)}.`);
  if (CONTROL_RE.test(v)) throw new MdeInputError(`${label} contains a control character (line break, tab ...), which is not allowed.`);
  return `'${v.replace(/'/g, "''")}'`;
}

/** `2026-11-24T10:00:00Z` (seconds precision, or milliseconds when not zero). */
export function odataDateTime(d: Date | string | number, label = 'date'): string {
  let date: Date | undefined;
  if (d instanceof Date) date = d;
  else if (typeof d === 'string') date = parseIsoDateTime(d, label);
  else if (typeof d === 'number' && Number.isFinite(d)) date = new Date(d);
  if (!date || Number.isNaN(date.getTime())) throw new MdeInputError(`${label} is not a valid date: ${describe(d)}.`);
  const iso = date.toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

export function odataNumber(v: unknown, label = 'value'): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new MdeInputError(`${label} must be a number, got ${describe(v)}.`);
  return String(v);
}

/** A literal for any supported value type. */
export function odataLiteral(v: unknown, label = 'value'): string {
  if (typeof v === 'string') return odataString(v, label);
  if (typeof v === 'number') return odataNumber(v, label);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof Date) return odataDateTime(v, label);
  throw new MdeInputError(`${label} cannot be used in a filter: ${describe(v)}.`);
}

// ---------------------------------------------------------------- expressions

const PROP_RE = /^[A-Za-z_][A-Za-z0-9_]*(\/[A-Za-z_][A-Za-z0-9_]*)*$/;

export function odataProperty(name: string): string {
  if (typeof name !== 'string' || !PROP_RE.test(name)) throw new MdeInputError(`${describe(name)} is not a valid property name.`);
  return name;
}

export const eq = (prop: string, v: unknown): string => `${odataProperty(prop)} eq ${odataLiteral(v, prop)}`;
export const ne = (prop: string, v: unknown): string => `${odataProperty(prop)} ne ${odataLiteral(v, prop)}`;
export const gt = (prop: string, v: unknown): string => `${odataProperty(prop)} gt ${odataLiteral(v, prop)}`;
export const ge = (prop: string, v: unknown): string => `${odataProperty(prop)} ge ${odataLiteral(v, prop)}`;
export const lt = (prop: string, v: unknown): string => `${odataProperty(prop)} lt ${odataLiteral(v, prop)}`;
export const le = (prop: string, v: unknown): string => `${odataProperty(prop)} le ${odataLiteral(v, prop)}`;
export const startswith = (prop: string, v: string): string => `startswith(${odataProperty(prop)},${odataString(v, prop)})`;

/**
 * `prop in ('a','b')` is undocumented for MDE, so one value → `eq`, several → `(eq or eq)`.
 */
export function anyOf(prop: string, values: readonly unknown[]): string {
  if (!values.length) throw new MdeInputError(`${prop}: at least one value is needed.`);
  if (values.length === 1) return eq(prop, values[0]);
  return `(${values.map((v) => eq(prop, v)).join(' or ')})`;
}
export { anyOf as in_ };

/** True when `x` is one parenthesised group: `(a or b)` yes, `(a) or (b)` no. */
function isWrapped(x: string): boolean {
  if (!x.startsWith('(') || !x.endsWith(')')) return false;
  let depth = 0;
  let inStr = false;
  for (let i = 0; i < x.length; i++) {
    const ch = x[i];
    if (ch === "'") inStr = !inStr;
    else if (!inStr && ch === '(') depth++;
    else if (!inStr && ch === ')' && --depth === 0 && i < x.length - 1) return false;
  }
  return depth === 0;
}

function group(parts: string[], op: 'and' | 'or'): string {
  const p = parts.filter((x) => x && x.trim());
  if (p.length === 0) return '';
  if (p.length === 1) return p[0]!;
  return p.map((x) => (/\s(and|or)\s/i.test(x) && !isWrapped(x) ? `(${x})` : x)).join(` ${op} `);
}
export const and = (...parts: string[]): string => group(parts, 'and');
export const or = (...parts: string[]): string => {
  const g = group(parts, 'or');
  return /\sor\s/i.test(g) && !isWrapped(g) ? `(${g})` : g;
};

// ---------------------------------------------------------------- enums

function canonical(list: readonly string[], v: unknown, label: string): string {
  if (typeof v !== 'string') throw new MdeInputError(`${label} must be text, got ${describe(v)}.`);
  const hit = list.find((x) => x.toLowerCase() === v.trim().toLowerCase());
  if (!hit) throw new MdeInputError(`${label} ${describe(v)} is not valid. Use one of: ${list.join(', ')}.`);
  return hit;
}

export const ALERT_SEVERITIES = ['UnSpecified', 'Informational', 'Low', 'Medium', 'High'] as const;
export const ALERT_STATUSES = ['Unknown', 'New', 'InProgress', 'Resolved'] as const;
export const ALERT_CATEGORIES = [
  'General', 'CommandAndControl', 'Collection', 'CredentialAccess', 'DefenseEvasion', 'Discovery', 'Exfiltration', 'Exploit',
  'Execution', 'InitialAccess', 'LateralMovement', 'Malware', 'Persistence', 'PrivilegeEscalation', 'Ransomware', 'SuspiciousActivity',
  'UnwantedSoftware', 'Impact', 'Reconnaissance', 'WebExploit', 'ResourceDevelopment', 'Tampering', 'MalwareFamily', 'ThreatManagement',
] as const;
export const ALERT_CLASSIFICATIONS = ['TruePositive', 'InformationalExpectedActivity', 'FalsePositive'] as const;
export const ALERT_DETERMINATIONS = [
  'MultiStagedAttack', 'MaliciousUserActivity', 'CompromisedUser', 'CompromisedAccount', 'Malware', 'Phishing', 'UnwantedSoftware',
  'SecurityTesting', 'LineOfBusinessApplication', 'ConfirmedUserActivity', 'ConfirmedActivity', 'Clean', 'NotMalicious',
  'InsufficientData', 'Other', 'NotAvailable',
] as const;
export const MACHINE_ACTION_TYPES = [
  'RunAntiVirusScan', 'Offboard', 'LiveResponse', 'CollectInvestigationPackage', 'Isolate', 'Unisolate', 'StopAndQuarantineFile',
  'RestrictCodeExecution', 'UnrestrictCodeExecution',
] as const;
export const MACHINE_ACTION_STATUSES = ['Pending', 'InProgress', 'Succeeded', 'Failed', 'TimeOut', 'Cancelled'] as const;

export const alertSeverity = (v: unknown): string => canonical(ALERT_SEVERITIES, v, 'Alert severity');
export const alertStatus = (v: unknown): string => canonical(ALERT_STATUSES, v, 'Alert status');
export const alertCategory = (v: unknown): string => canonical(ALERT_CATEGORIES, v, 'Alert category');
export const alertClassification = (v: unknown): string => canonical(ALERT_CLASSIFICATIONS, v, 'Alert classification');
export const alertDetermination = (v: unknown): string => canonical(ALERT_DETERMINATIONS, v, 'Alert determination');
export const machineActionType = (v: unknown): string => canonical(MACHINE_ACTION_TYPES, v, 'Machine action type');
export const machineActionStatus = (v: unknown): string => canonical(MACHINE_ACTION_STATUSES, v, 'Machine action status');

/** Free text (detection sources, tags ...): non-empty, ≤ 256 chars, no control characters. */
export function freeText(v: unknown, label: string, max = 256): string {
  if (typeof v !== 'string' || !v.trim()) throw new MdeInputError(`${label} must be non-empty text, got ${describe(v)}.`);
  if (CONTROL_RE.test(v)) throw new MdeInputError(`${label} contains a control character (line break, tab ...), which is not allowed.`);
  if (v.length > max) throw new MdeInputError(`${label} is longer than ${max} characters.`);
  return v.trim();
}

// ---------------------------------------------------------------- ids

/** Device id: 40 hex characters. */
export function machineId(v: unknown): string {
  if (typeof v !== 'string' || !/^[0-9a-fA-F]{40}$/.test(v.trim())) {
    throw new MdeInputError(`Machine ID must be the 40-character hexadecimal device ID, got ${describe(v)}.`, {
      hint: 'use the device ID from the alert (machineId) or the device page; to look a device up by name, pass its DNS name to the name lookup instead.',
    });
  }
  return v.trim().toLowerCase();
}

const ALERT_ID_RE = /^(?:da|ar|ed|fa|dl|pa|ra|sa|ta|wc)?[A-Za-z0-9_\-]{6,128}$/;
/** Alert id (da637…_-88, ar…, da<guid>_1 ...): lenient, but no quotes, spaces or slashes. */
export function alertId(v: unknown): string {
  if (typeof v !== 'string') throw new MdeInputError(`The alert ID must be text such as da637308392288907382_-880718168, got ${describe(v)}.`);
  if (!ALERT_ID_RE.test(v.trim())) {
    throw new MdeInputError(`Alert ID ${describe(v)} is not valid: it should look like da637308392288907382_-880718168.`);
  }
  return v.trim();
}

export function guid(v: unknown, label = 'ID'): string {
  if (typeof v !== 'string' || !GUID_RE.test(v.trim())) throw new MdeInputError(`${label} must be a GUID, got ${describe(v)}.`);
  return v.trim().toLowerCase();
}

export function top(v: unknown, label = '$top', max = 10_000): number {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > max) throw new MdeInputError(`${label} must be a whole number from 1 to ${max}, got ${describe(v)}.`);
  return n;
}

export function skip(v: unknown, label = '$skip'): number {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new MdeInputError(`${label} must be a whole number ≥ 0, got ${describe(v)}.`);
  return n;
}

/** `$orderby`: `prop` or `prop asc|desc`, comma-separated. */
export function orderBy(v: unknown): string {
  if (typeof v !== 'string' || !/^\s*[A-Za-z_][A-Za-z0-9_]*(\s+(asc|desc))?(\s*,\s*[A-Za-z_][A-Za-z0-9_]*(\s+(asc|desc))?)*\s*$/i.test(v)) {
    throw new MdeInputError(`Sort order ${describe(v)} is not valid: use a property name optionally followed by asc or desc, e.g. "alertCreationTime desc".`);
  }
  return v.trim().replace(/\s+/g, ' ');
}

/**
 * Expert `$filter` text AND-ed with a generated one: only a sanity check (balanced quotes and
 * parentheses, no control characters); the API itself rejects bad syntax with ODataError.
 */
export const MAX_RAW_FILTER_LENGTH = 4000;

export function rawFilter(v: unknown, label = 'The raw filter'): string {
  if (typeof v !== 'string' || !v.trim()) throw new MdeInputError(`${label} must be non-empty OData $filter text, got ${describe(v)}.`);
  if (v.length > MAX_RAW_FILTER_LENGTH) {
    throw new MdeInputError(`${label} is ${v.length} characters long; at most ${MAX_RAW_FILTER_LENGTH} are allowed (Microsoft's front end refuses longer request URLs).`);
  }
  if (CONTROL_RE.test(v)) throw new MdeInputError(`${label} contains a control character (line break, tab ...).`);
  const quotes = (v.match(/'/g) ?? []).length;
  if (quotes % 2) throw new MdeInputError(`${label} has an unbalanced quote (write a quote inside a value as two quotes: O''Brien).`);
  let depth = 0;
  let inStr = false;
  for (const ch of v) {
    if (ch === "'") inStr = !inStr;
    else if (!inStr && ch === '(') depth++;
    else if (!inStr && ch === ')' && --depth < 0) break;
  }
  if (depth !== 0) throw new MdeInputError(`${label} has unbalanced parentheses.`);
  return v.trim();
}

// ---------------------------------------------------------------- durations

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;
const ISO_HINT = 'use an ISO date such as 2026-01-31 or 2026-01-31T08:00:00Z';

/**
 * A strict ISO 8601 date or date-time: every field in range and the day existing in its month
 * (Date.parse turns 2026-02-30 into March 2). Date-only means midnight UTC; a date-time without a
 * zone is local time, as Date.parse reads it.
 */
export function parseIsoDateTime(v: string, label = 'Date'): Date {
  const m = ISO_RE.exec(v.trim());
  if (!m) throw new MdeInputError(`${label} ${describe(v)} is not a date: ${ISO_HINT}.`);
  const [, y, mo, d, h, mi, sec, frac, zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) {
    throw new MdeInputError(`${label} ${describe(v)} is not a real date: ${month >= 1 && month <= 12 ? `that month has ${daysInMonth} days` : 'months run from 01 to 12'}.`);
  }
  if (h === undefined) return new Date(Date.UTC(year, month - 1, day));
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(sec ?? 0);
  if (hour > 23 || minute > 59 || second > 59) throw new MdeInputError(`${label} ${describe(v)} is not a real time of day (00:00:00 to 23:59:59).`);
  const ms = frac ? Number(frac.slice(0, 3).padEnd(3, '0')) : 0;
  if (!zone) return new Date(year, month - 1, day, hour, minute, second, ms);
  let offsetMinutes = 0;
  if (zone.toUpperCase() !== 'Z') {
    const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
    const zh = Number(z[2]);
    const zm = Number(z[3]);
    if (zh > 14 || zm > 59) throw new MdeInputError(`${label} ${describe(v)} has an impossible time zone offset.`);
    offsetMinutes = (z[1] === '-' ? -1 : 1) * (zh * 60 + zm);
  }
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMinutes * 60_000);
}

/** Epoch milliseconds before 2000 are almost always seconds or a counter, not a time. */
const EARLIEST_EPOCH_MS = Date.UTC(2000, 0, 1);
const LATEST_EPOCH_MS = Date.UTC(9999, 11, 31);

/**
 * `15m`, `24h`, `7d`, `2w`, `30s`, ISO durations (`P7D`, `PT12H`) → now − duration; ISO dates →
 * that instant (strictly: 2026-02-30 is refused); a Date passes through; a number is epoch
 * milliseconds.
 */
export function parseSince(v: unknown, now: number = Date.now(), label = 'Time'): Date {
  const kinds = 'a duration like 15m, 24h, 7d, P7D, an ISO date like 2026-01-31T08:00:00Z, a Date or epoch milliseconds';
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) throw new MdeInputError(`${label} is an invalid Date.`);
    return v;
  }
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < EARLIEST_EPOCH_MS || v > LATEST_EPOCH_MS) {
      throw new MdeInputError(`${label} must be ${kinds}; got ${describe(v)}${Number.isInteger(v) && v > 0 && v < EARLIEST_EPOCH_MS ? ' (seconds? epoch times here are in milliseconds)' : ''}.`);
    }
    return new Date(v);
  }
  if (typeof v !== 'string' || !v.trim()) throw new MdeInputError(`${label} must be ${kinds}; got ${describe(v)}.`);
  const s = v.trim();
  const short = /^(\d{1,9}(?:\.\d{1,6})?)\s*(s|m|min|h|d|w)$/i.exec(s);
  if (short) {
    const mult: Record<string, number> = { s: 1e3, m: 6e4, min: 6e4, h: 36e5, d: 864e5, w: 6048e5 };
    return checkedPast(now - Number(short[1]) * mult[short[2]!.toLowerCase()]!, v, label);
  }
  const iso = /^P(?:(\d{1,9})W)?(?:(\d{1,9})D)?(?:T(?:(\d{1,9})H)?(?:(\d{1,9})M)?(?:(\d{1,9}(?:\.\d{1,6})?)S)?)?$/i.exec(s);
  if (iso && s.length > 1 && !/T$/i.test(s)) {
    const [, w, d, h, m, sec] = iso;
    const ms = (Number(w ?? 0) * 7 + Number(d ?? 0)) * 864e5 + Number(h ?? 0) * 36e5 + Number(m ?? 0) * 6e4 + Number(sec ?? 0) * 1e3;
    return checkedPast(now - ms, v, label);
  }
  if (/^\d{4}-/.test(s)) return parseIsoDateTime(s, label);
  throw new MdeInputError(`${label} ${describe(v)} is not ${kinds}.`);
}

function checkedPast(t: number, v: unknown, label: string): Date {
  if (!Number.isFinite(t) || t < Date.UTC(1970, 0, 1)) throw new MdeInputError(`${label} ${describe(v)} reaches back before 1970: use a shorter duration or a date.`);
  return new Date(t);
}

// ---------------------------------------------------------------- alert filter

/** The time fields a since / until window may apply to (both documented as filterable). */
export const ALERT_TIME_FIELDS = ['alertCreationTime', 'lastUpdateTime'] as const;

function instant(v: Date | string | number, label: string): Date {
  return v instanceof Date ? v : typeof v === 'string' ? parseIsoDateTime(v, label) : new Date(v);
}

/**
 * AlertListQuery → `$filter` text ('' when no condition). Validates everything. Only properties
 * /api/alerts documents as filterable are used; a device's alerts come from its own path
 * (/api/machines/{id}/alerts), so `machineId` never appears here.
 */
export function buildAlertFilter(q: AlertListQuery): string {
  const parts: string[] = [];
  const list = (v: unknown, label: string): unknown[] => {
    if (v === undefined) return [];
    if (!Array.isArray(v)) throw new MdeInputError(`${label} must be a list of text values, got ${describe(v)}.`);
    return v;
  };
  const sev = list(q.severity, 'Severity').map(alertSeverity);
  if (sev.length) parts.push(anyOf('severity', sev));
  const st = list(q.status, 'Status').map(alertStatus);
  if (st.length) parts.push(anyOf('status', st));
  const cat = list(q.category, 'Category').map(alertCategory);
  if (cat.length) parts.push(anyOf('category', cat));
  const ds = list(q.detectionSource, 'Detection source').map((v) => freeText(v, 'Detection source'));
  if (ds.length) parts.push(anyOf('detectionSource', ds));
  if (q.assignedTo !== undefined) parts.push(eq('assignedTo', freeText(q.assignedTo, 'Assigned to')));
  if (q.incidentId !== undefined) {
    if (typeof q.incidentId !== 'number' || !Number.isSafeInteger(q.incidentId) || q.incidentId < 0) {
      throw new MdeInputError(`Incident ID must be a whole number, got ${describe(q.incidentId)}.`);
    }
    parts.push(`incidentId eq ${q.incidentId}`);
  }
  const field = q.timeField ?? 'alertCreationTime';
  if (!(ALERT_TIME_FIELDS as readonly unknown[]).includes(field)) {
    throw new MdeInputError(`Time field must be ${ALERT_TIME_FIELDS.join(' or ')}, got ${describe(field)}.`);
  }
  if (q.since !== undefined) parts.push(`${field} ge ${odataDateTime(q.since, 'Since')}`);
  if (q.until !== undefined) parts.push(`${field} le ${odataDateTime(q.until, 'Until')}`);
  if (q.since !== undefined && q.until !== undefined && instant(q.since, 'Since').getTime() > instant(q.until, 'Until').getTime()) {
    throw new MdeInputError('"Since" is later than "until".');
  }
  if (q.rawFilter !== undefined) {
    const raw = rawFilter(q.rawFilter);
    parts.push(parts.length ? `(${raw})` : raw);
  }
  return parts.join(' and ');
}
