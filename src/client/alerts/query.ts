// Loose alert filters (a msg.filter object, a dialog's text fields) → a checked query for the API
// that serves the alerts: the MDE API (`/api/alerts`, AlertListQuery) or Microsoft Graph
// (`/security/alerts_v2`, GraphAlertQuery). Every value is checked for type and range against the
// chosen API's own values; nothing is coerced, dropped or replaced by a default, a filter the
// chosen API does not have is refused (never ignored: the query would match more than intended),
// and every error names the property, describes what came and says what is allowed.
import { MdeInputError } from '../errors';
import { MAX_ALERT_PAGE } from '../mde/alerts';
import { GRAPH_MAX_PAGE, type GraphAlertQuery } from '../graph/alerts';
import {
  GRAPH_ALERT_STATUSES, GRAPH_CLASSIFICATIONS, GRAPH_DETECTION_SOURCES, GRAPH_DETERMINATIONS, GRAPH_SERVICE_SOURCES, GRAPH_SEVERITIES,
  graphAlertStatus, graphClassification, graphDetectionSource, graphDetermination, graphServiceSource, graphSeverity,
} from '../graph/odata';
import {
  ALERT_CATEGORIES, ALERT_SEVERITIES, ALERT_STATUSES, ALERT_TIME_FIELDS, alertCategory, alertSeverity, alertStatus, freeText, machineId,
  orderBy, parseSince, rawFilter,
} from '../mde/odata';
import type { AlertListQuery } from '../types';
import { describe } from '../validate';

/** Which API serves the alerts. */
export type AlertApi = 'graph' | 'mde';

export const ALERT_FILTER_KEYS = [
  'severity', 'status', 'serviceSource', 'category', 'detectionSource', 'classification', 'determination', 'assignedTo', 'incidentId',
  'machineId', 'timeField', 'since', 'until', 'rawFilter', 'expandEvidence', 'orderBy', 'pageSize', 'maxResults',
] as const;
export type AlertFilterKey = (typeof ALERT_FILTER_KEYS)[number];

/** The time fields a since / until window applies to, in each API's own names. */
export const ALERT_TIME_FIELDS_BY_API = { mde: ALERT_TIME_FIELDS, graph: ['createdDateTime', 'lastUpdateDateTime'] } as const;
export type AlertTimeField = (typeof ALERT_TIME_FIELDS_BY_API)[AlertApi][number];
/** The same instant under the other API's name, for "did you mean" messages. */
const TIME_FIELD_TWIN: Record<string, string> = {
  alertCreationTime: 'createdDateTime', lastUpdateTime: 'lastUpdateDateTime', createdDateTime: 'alertCreationTime', lastUpdateDateTime: 'lastUpdateTime',
};

/** A checked query: every value canonical for the API it was checked for. */
export interface AlertFilterQuery {
  severity?: string[];
  status?: string[];
  /** Microsoft Graph only. */
  serviceSource?: string[];
  /** MDE API only. */
  category?: string[];
  detectionSource?: string[];
  /** Microsoft Graph only. */
  classification?: string[];
  /** Microsoft Graph only. */
  determination?: string[];
  /** null (Microsoft Graph only): alerts assigned to nobody. */
  assignedTo?: string | null;
  incidentId?: number;
  /** MDE API only. */
  machineId?: string;
  timeField?: AlertTimeField;
  since?: Date;
  until?: Date;
  /** MDE API only. */
  rawFilter?: string;
  expandEvidence?: boolean;
  /** MDE API only. */
  orderBy?: string;
  pageSize?: number;
  maxResults?: number;
}

/** A checked part of a query. A key present with `undefined` means "no condition on it". */
export type AlertQueryPart = Partial<AlertFilterQuery>;

export const API_NAMES: Record<AlertApi, string> = { mde: 'the MDE API', graph: 'Microsoft Graph' };

/**
 * Filters only one API has, and what to do instead on the other one. The rest exist on both,
 * each API with its own values (severity High on the MDE API is high on Graph).
 */
const ONLY_ON: Partial<Record<AlertFilterKey, { api: AlertApi; instead: string }>> = {
  category: { api: 'mde', instead: "Graph's alert list cannot filter on category: route on msg.payload.category after the node" },
  machineId: { api: 'mde', instead: "Graph's alert list has no device filter: each alert names its device in its evidence (deviceEvidence.mdeDeviceId)" },
  rawFilter: { api: 'mde', instead: "Graph's $filter is built from the filter fields only" },
  orderBy: { api: 'mde', instead: 'Microsoft Graph lists the newest alerts first' },
  serviceSource: { api: 'graph', instead: 'every alert of the MDE API comes from Defender for Endpoint' },
  classification: { api: 'graph', instead: 'the MDE API documents no $filter on classification; choose Microsoft Graph in the node' },
  determination: { api: 'graph', instead: 'the MDE API documents no $filter on determination; choose Microsoft Graph in the node' },
};

/** The filter keys `api` understands. */
export function alertFilterKeys(api: AlertApi): AlertFilterKey[] {
  return ALERT_FILTER_KEYS.filter((k) => !ONLY_ON[k] || ONLY_ON[k]!.api === api);
}

/** Upper bound for maxResults from a flow: 100,000 alerts is already hundreds of MB in memory. */
export const MAX_ALERTS_PER_MESSAGE = 100_000;
const MAX_LIST_VALUES = 50;

/** Names a property in messages: `msg.filter.severity`, `the "severity" setting` ... */
export type PropertyNamer = (key: AlertFilterKey) => string;

function fail(name: string, got: unknown, allowed: string): never {
  throw new MdeInputError(`${name} must be ${allowed}, got ${describe(got)}.`);
}

/** Text from a dialog or a message: `''` (and only `''`) means "not set". */
function text(name: string, v: unknown, allowed: string): string | undefined {
  if (typeof v !== 'string') fail(name, v, allowed);
  return v.trim() === '' ? undefined : v;
}

function enumHint(list: readonly string[]): string {
  return `one of ${list.join(', ')}`;
}

type ListKey = 'severity' | 'status' | 'serviceSource' | 'category' | 'detectionSource' | 'classification' | 'determination';
type ListCheck = { check: (v: unknown) => string; allowed: string };

const LISTS: Record<AlertApi, Partial<Record<ListKey, ListCheck>>> = {
  mde: {
    severity: { check: alertSeverity, allowed: enumHint(ALERT_SEVERITIES) },
    status: { check: alertStatus, allowed: enumHint(ALERT_STATUSES) },
    category: { check: alertCategory, allowed: enumHint(ALERT_CATEGORIES) },
    detectionSource: { check: (v) => freeText(v, 'Detection source'), allowed: 'a detection source such as WindowsDefenderAv (no line breaks, at most 256 characters)' },
  },
  graph: {
    severity: { check: graphSeverity, allowed: enumHint(GRAPH_SEVERITIES) },
    status: { check: graphAlertStatus, allowed: enumHint(GRAPH_ALERT_STATUSES) },
    serviceSource: { check: graphServiceSource, allowed: enumHint(GRAPH_SERVICE_SOURCES) },
    detectionSource: { check: graphDetectionSource, allowed: `a Graph detection source such as antivirus, customDetection or microsoftDefenderForEndpoint (one of the ${GRAPH_DETECTION_SOURCES.length} detectionSource members of Graph's alert resource)` },
    classification: { check: graphClassification, allowed: enumHint(GRAPH_CLASSIFICATIONS) },
    determination: { check: graphDetermination, allowed: enumHint(GRAPH_DETERMINATIONS) },
  },
};

/** A comma-separated string or an array of strings; each item checked against its list. */
function listValue(key: ListKey, name: string, v: unknown, api: AlertApi): string[] | undefined {
  const { check, allowed } = LISTS[api][key]!;
  const what = `text (comma-separated) or an array of text, each ${allowed}`;
  let items: string[];
  if (typeof v === 'string') {
    items = v.split(/[,\n]/).map((x) => x.trim()).filter(Boolean);
  } else if (Array.isArray(v)) {
    items = v.map((item, i) => {
      if (typeof item !== 'string' || !item.trim()) fail(`${name}[${i}]`, item, `non-empty text, ${allowed}`);
      return item.trim();
    });
  } else {
    fail(name, v, what);
  }
  if (items.length > MAX_LIST_VALUES) throw new MdeInputError(`${name} has ${items.length} values; at most ${MAX_LIST_VALUES} are allowed.`);
  const checked = items.map((item) => {
    try {
      return check(item);
    } catch {
      return fail(name, item, allowed);
    }
  });
  return checked.length ? [...new Set(checked)] : undefined;
}

/** A whole number (or its digits as text, as dialogs store numbers) within [min, max]. */
function wholeNumber(name: string, v: unknown, min: number, max: number): number | undefined {
  const allowed = `a whole number from ${min} to ${max}`;
  if (typeof v === 'string') {
    if (v.trim() === '') return undefined;
    if (!/^\s*\d{1,16}\s*$/.test(v)) fail(name, v, allowed);
    v = Number(v);
  }
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) fail(name, v, allowed);
  return v as number;
}

/** `''`, blank text or an empty list: "no condition on it". */
function isEmpty(v: unknown): boolean {
  return (typeof v === 'string' && v.trim() === '') || (Array.isArray(v) && v.length === 0);
}

/**
 * Checks one filter value for `api` (default the MDE API). `''` means "no condition"; `null`,
 * numbers where text is expected, objects, booleans ... are refused with a message naming the
 * property, and so is any condition on a filter the API does not have.
 */
export function parseAlertFilterValue<K extends AlertFilterKey>(key: K, v: unknown, name: string, now = Date.now(), api: AlertApi = 'mde'): AlertFilterQuery[K] | undefined {
  const only = ONLY_ON[key];
  if (only && only.api !== api) {
    if (isEmpty(v)) return undefined;
    throw new MdeInputError(`${name} is a filter of ${API_NAMES[only.api]} only, and this node reads alerts from ${API_NAMES[api]} (got ${describe(v)}).`, {
      hint: `${only.instead}. Leave it out (or '' for no condition): a filter that is not applied would match more alerts than intended.`,
    });
  }
  if (v === null) {
    if (key === 'assignedTo' && api === 'graph') return null as AlertFilterQuery[K];
    throw new MdeInputError(`${name} is null: give a value, '' for no condition on it, or leave the property out${key === 'assignedTo' ? ' (null, for alerts assigned to nobody, exists on Microsoft Graph only)' : ''}.`);
  }
  return parseValue(key, v, name, now, api) as AlertFilterQuery[K] | undefined;
}

function parseValue(key: AlertFilterKey, v: unknown, name: string, now: number, api: AlertApi): unknown {
  switch (key) {
    case 'severity':
    case 'status':
    case 'serviceSource':
    case 'category':
    case 'detectionSource':
    case 'classification':
    case 'determination':
      return listValue(key, name, v, api);
    case 'assignedTo': {
      const s = text(name, v, 'text: one user principal name such as analyst@contoso.com');
      return s === undefined ? undefined : checkWith(name, v, 'one user principal name such as analyst@contoso.com (no line breaks, at most 256 characters)', () => freeText(s, name));
    }
    case 'incidentId':
      return wholeNumber(name, v, 0, Number.MAX_SAFE_INTEGER);
    case 'machineId': {
      const s = text(name, v, 'the 40-character hexadecimal device ID (text)');
      return s === undefined ? undefined : checkWith(name, v, 'the 40-character hexadecimal device ID', () => machineId(s));
    }
    case 'timeField': {
      const fields: readonly string[] = ALERT_TIME_FIELDS_BY_API[api];
      const s = text(name, v, fields.join(' or '));
      if (s === undefined) return undefined;
      const hit = fields.find((f) => f.toLowerCase() === s.trim().toLowerCase());
      if (hit) return hit;
      const twin = Object.keys(TIME_FIELD_TWIN).find((f) => f.toLowerCase() === s.trim().toLowerCase());
      if (twin) {
        throw new MdeInputError(`${name} must be ${fields.join(' or ')}, got ${describe(v)}: that is the name ${API_NAMES[api === 'mde' ? 'graph' : 'mde']} gives it; on ${API_NAMES[api]} it is ${TIME_FIELD_TWIN[twin]}.`);
      }
      return fail(name, v, fields.join(' or '));
    }
    case 'since':
    case 'until':
      if (v === '' || (typeof v === 'string' && v.trim() === '')) return undefined;
      return parseSince(v, now, name);
    case 'rawFilter': {
      const s = text(name, v, "OData $filter text such as \"status ne 'Resolved'\"");
      return s === undefined ? undefined : rawFilter(s, name);
    }
    case 'expandEvidence':
      if (typeof v !== 'boolean') fail(name, v, 'true or false');
      if (api === 'graph' && v === false) {
        throw new MdeInputError(`${name} cannot be false on Microsoft Graph: every alert comes with its evidence there. Leave it out.`);
      }
      return v;
    case 'orderBy': {
      const s = text(name, v, 'text such as "alertCreationTime desc"');
      return s === undefined ? undefined : checkWith(name, v, 'a property name optionally followed by asc or desc, such as "alertCreationTime desc"', () => orderBy(s));
    }
    case 'pageSize':
      // Graph documents $top up to 1000 (security-error-codes.md, Constraints); the MDE API 10,000.
      return wholeNumber(name, v, 1, api === 'graph' ? GRAPH_MAX_PAGE : MAX_ALERT_PAGE);
    case 'maxResults':
      return wholeNumber(name, v, 1, MAX_ALERTS_PER_MESSAGE);
  }
}

function checkWith<T>(name: string, got: unknown, allowed: string, check: () => T): T {
  try {
    return check();
  } catch {
    return fail(name, got, allowed);
  }
}

/** Levenshtein distance, for "did you mean" on a misspelt key (keys are short). */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

function closestKey(key: string): AlertFilterKey | undefined {
  const lower = key.toLowerCase();
  let best: { k: AlertFilterKey; d: number } | undefined;
  for (const k of ALERT_FILTER_KEYS) {
    const d = distance(lower, k.toLowerCase());
    if (d <= 2 && (!best || d < best.d)) best = { k, d };
  }
  return best?.k;
}

/**
 * Checks a filter object (msg.filter) for `api` (default the MDE API): a plain object whose keys
 * are all known (a typo such as `severty` must not silently widen the query), none of them a
 * filter the API lacks, and whose values are all valid.
 */
export function parseAlertFilterObject(raw: unknown, label = 'msg.filter', now = Date.now(), api: AlertApi = 'mde'): AlertQueryPart {
  const example = '{ "severity": ["High"], "status": ["New"] }';
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(label, raw, `an object such as ${example}`);
  const proto = Object.getPrototypeOf(raw) as unknown;
  if (proto !== Object.prototype && proto !== null) {
    throw new MdeInputError(`${label} must be a plain object such as ${example}, got an object with a different prototype.`);
  }
  const out: AlertQueryPart = {};
  for (const key of Object.keys(raw)) {
    if (!(ALERT_FILTER_KEYS as readonly string[]).includes(key)) {
      const near = closestKey(key);
      throw new MdeInputError(
        `${label} has an unknown property ${describe(key)}${near ? ` (did you mean "${near}"?)` : ''}. Allowed on ${API_NAMES[api]}: ${alertFilterKeys(api).join(', ')}.`,
        { hint: 'an unknown filter property would otherwise be ignored and the query would match more alerts than intended.' },
      );
    }
    const k = key as AlertFilterKey;
    (out as Record<string, unknown>)[k] = parseAlertFilterValue(k, (raw as Record<string, unknown>)[k], `${label}.${k}`, now, api);
  }
  return out;
}

/** Joins checked parts (later ones win key by key) into a query, dropping "no condition" keys. */
export function mergeAlertQuery(...parts: AlertQueryPart[]): AlertFilterQuery {
  const merged: Record<string, unknown> = Object.assign({}, ...parts);
  for (const k of Object.keys(merged)) if (merged[k] === undefined) delete merged[k];
  return merged as AlertFilterQuery;
}

/** A query checked for the MDE API as listAlerts takes it. */
export function toMdeAlertQuery(q: AlertFilterQuery): AlertListQuery {
  for (const key of Object.keys(q) as AlertFilterKey[]) {
    if (ONLY_ON[key]?.api === 'graph' || (key === 'timeField' && !(ALERT_TIME_FIELDS as readonly unknown[]).includes(q.timeField))) {
      throw new MdeInputError(`The alert query's ${key} was checked for Microsoft Graph, not for the MDE API.`);
    }
  }
  if (q.assignedTo === null) throw new MdeInputError("The alert query's assignedTo is null, which only Microsoft Graph understands.");
  return q as AlertListQuery;
}

/**
 * A query checked for Microsoft Graph as listGraphAlerts takes it: since / until become a
 * createdDateTime or lastUpdateDateTime range, the incident number its text.
 */
export function toGraphAlertQuery(q: AlertFilterQuery): GraphAlertQuery {
  const out: GraphAlertQuery = {};
  for (const key of Object.keys(q) as AlertFilterKey[]) {
    if (ONLY_ON[key]?.api === 'mde') throw new MdeInputError(`The alert query's ${key} was checked for the MDE API, not for Microsoft Graph.`);
  }
  for (const key of ['severity', 'status', 'serviceSource', 'classification', 'determination', 'detectionSource'] as const) {
    if (q[key] !== undefined) out[key] = q[key];
  }
  if (q.assignedTo !== undefined) out.assignedTo = q.assignedTo;
  if (q.incidentId !== undefined) out.incidentId = String(q.incidentId);
  if (q.since !== undefined || q.until !== undefined) {
    const field = q.timeField ?? 'createdDateTime';
    if (field !== 'createdDateTime' && field !== 'lastUpdateDateTime') throw new MdeInputError(`The alert query's time field ${describe(field)} is not a Microsoft Graph property.`);
    out[field] = { ...(q.since ? { from: q.since.toISOString() } : {}), ...(q.until ? { to: q.until.toISOString() } : {}) };
  }
  if (q.pageSize !== undefined) out.pageSize = q.pageSize;
  if (q.maxResults !== undefined) out.maxResults = q.maxResults;
  return out;
}
