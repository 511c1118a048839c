// Loose alert filters (a msg.filter object, a dialog's text fields) → a checked AlertListQuery.
// Every value is checked for type and range; nothing is coerced, dropped or replaced by a default,
// and every error names the property, describes what came and says what is allowed.
import { MdeInputError } from './errors';
import { MAX_ALERT_PAGE } from './alerts';
import {
  ALERT_CATEGORIES, ALERT_SEVERITIES, ALERT_STATUSES, ALERT_TIME_FIELDS, alertCategory, alertSeverity, alertStatus, freeText, machineId,
  orderBy, parseSince, rawFilter,
} from './odata';
import type { AlertListQuery } from './types';
import { describe } from './validate';

export const ALERT_FILTER_KEYS = [
  'severity', 'status', 'category', 'detectionSource', 'assignedTo', 'incidentId', 'machineId', 'timeField', 'since', 'until',
  'rawFilter', 'expandEvidence', 'orderBy', 'pageSize', 'maxResults',
] as const;
export type AlertFilterKey = (typeof ALERT_FILTER_KEYS)[number];

/** A checked part of a query. A key present with `undefined` means "no condition on it". */
export type AlertQueryPart = Partial<AlertListQuery>;

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

const LISTS: Record<'severity' | 'status' | 'category' | 'detectionSource', { check: (v: unknown) => string; allowed: string }> = {
  severity: { check: alertSeverity, allowed: enumHint(ALERT_SEVERITIES) },
  status: { check: alertStatus, allowed: enumHint(ALERT_STATUSES) },
  category: { check: alertCategory, allowed: enumHint(ALERT_CATEGORIES) },
  detectionSource: { check: (v) => freeText(v, 'Detection source'), allowed: 'a detection source such as WindowsDefenderAv (no line breaks, at most 256 characters)' },
};

/** A comma-separated string or an array of strings; each item checked against its list. */
function listValue(key: keyof typeof LISTS, name: string, v: unknown): string[] | undefined {
  const { check, allowed } = LISTS[key];
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

/**
 * Checks one filter value. `''` means "no condition"; `null`, numbers where text is expected,
 * objects, booleans ... are refused with a message naming the property.
 */
export function parseAlertFilterValue<K extends AlertFilterKey>(key: K, v: unknown, name: string, now = Date.now()): AlertListQuery[K] | undefined {
  if (v === null) {
    throw new MdeInputError(`${name} is null: give a value, '' for no condition on it, or leave the property out.`);
  }
  return parseValue(key, v, name, now) as AlertListQuery[K] | undefined;
}

function parseValue(key: AlertFilterKey, v: unknown, name: string, now: number): unknown {
  switch (key) {
    case 'severity':
    case 'status':
    case 'category':
    case 'detectionSource':
      return listValue(key, name, v);
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
      const s = text(name, v, ALERT_TIME_FIELDS.join(' or '));
      if (s === undefined) return undefined;
      const hit = ALERT_TIME_FIELDS.find((f) => f.toLowerCase() === s.trim().toLowerCase());
      return hit ?? fail(name, v, ALERT_TIME_FIELDS.join(' or '));
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
      return v;
    case 'orderBy': {
      const s = text(name, v, 'text such as "alertCreationTime desc"');
      return s === undefined ? undefined : checkWith(name, v, 'a property name optionally followed by asc or desc, such as "alertCreationTime desc"', () => orderBy(s));
    }
    case 'pageSize':
      return wholeNumber(name, v, 1, MAX_ALERT_PAGE);
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
 * Checks a filter object (msg.filter): a plain object whose keys are all known (a typo such as
 * `severty` must not silently widen the query) and whose values are all valid.
 */
export function parseAlertFilterObject(raw: unknown, label = 'msg.filter', now = Date.now()): AlertQueryPart {
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
        `${label} has an unknown property ${describe(key)}${near ? ` (did you mean "${near}"?)` : ''}. Allowed: ${ALERT_FILTER_KEYS.join(', ')}.`,
        { hint: 'an unknown filter property would otherwise be ignored and the query would match more alerts than intended.' },
      );
    }
    const k = key as AlertFilterKey;
    (out as Record<string, unknown>)[k] = parseAlertFilterValue(k, (raw as Record<string, unknown>)[k], `${label}.${k}`, now);
  }
  return out;
}

/** Joins checked parts (later ones win key by key) into a query, dropping "no condition" keys. */
export function mergeAlertQuery(...parts: AlertQueryPart[]): AlertListQuery {
  const merged: Record<string, unknown> = Object.assign({}, ...parts);
  for (const k of Object.keys(merged)) if (merged[k] === undefined) delete merged[k];
  return merged as AlertListQuery;
}
