// Custom indicators (mde-api.md §4.5; Microsoft's post-ti-indicator.md, get-ti-indicators-collection.md,
// delete-ti-indicator-by-id.md, import-ti-indicators.md): submit or update, list with $filter and
// paging, delete, batch import. Writes are never resent on a 5xx or a timeout.
import type { MdeHttp } from '../transport/http';
import { MdeInputError } from '../errors';
import { describe } from '../validate';
import type { RequestOptions } from './alerts';
import { and, anyOf, eq, ge, top as checkTop } from './odata';
import {
  IMPORT_BATCH_MAX, INDICATOR_ACTIONS, INDICATOR_SEVERITIES, INDICATOR_TYPES,
  checkIndicator, checkIndicatorId, type IndicatorSubmission,
} from './indicator-values';
import { parseSince } from './odata';

/** The Indicator entity (ti-indicator.md); MDE adds fields over time, so the rest is kept as it comes. */
export interface Indicator extends Record<string, unknown> {
  id: string;
  indicatorValue: string;
  indicatorType: string;
  action: string;
}

/** One row of an import answer (import-ti-indicators.md). */
export interface ImportResult {
  id: string | null;
  indicator: string;
  isFailed: boolean;
  failureReason: string | null;
}

function stripContext<T extends Record<string, unknown>>(o: T): T {
  const c = { ...o };
  delete (c as Record<string, unknown>)['@odata.context'];
  return c;
}

/** The exact request a submission sends (also what a dry run shows). */
export function submitRequest(body: IndicatorSubmission): { method: 'POST'; path: string; body: IndicatorSubmission } {
  return { method: 'POST', path: '/api/indicators', body };
}

/**
 * POST /api/indicators. MDE documents it as "Submit or Update": the same value and type update
 * the existing indicator. It is still not resent on a 5xx or a timeout: the answer would be lost,
 * and the caller's cap already counted it.
 */
export async function submitIndicator(http: MdeHttp, indicator: unknown, opts: RequestOptions = {}): Promise<Indicator> {
  const body = checkIndicator(indicator);
  const res = await http.request<Indicator>({
    audience: 'mde', family: 'other', method: 'POST', path: '/api/indicators', json: body, idempotent: false, signal: opts.signal, onWait: opts.onWait,
  });
  return stripContext(res.body);
}

/** DELETE /api/indicators/{id}: 204 documented, 200 with an empty body seen in practice (mde-api.md §7.8). */
export async function deleteIndicator(http: MdeHttp, id: unknown, opts: RequestOptions = {}): Promise<void> {
  const iid = checkIndicatorId(id);
  // Not resent on a 5xx: the brief for destructive calls is "never twice by accident".
  await http.request({ audience: 'mde', family: 'other', method: 'DELETE', path: `/api/indicators/${iid}`, idempotent: false, signal: opts.signal, onWait: opts.onWait });
}

/** Splits a checked list into the documented batch size (500 at most). */
export function importChunks<T>(items: readonly T[], size = IMPORT_BATCH_MAX): T[][] {
  if (!Number.isInteger(size) || size < 1 || size > IMPORT_BATCH_MAX) throw new MdeInputError(`The import batch size must be a whole number from 1 to ${IMPORT_BATCH_MAX}, got ${describe(size)}.`);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** POST /api/indicators/import with one batch (≤ 500, already checked). */
export async function importIndicatorBatch(http: MdeHttp, batch: readonly IndicatorSubmission[], opts: RequestOptions = {}): Promise<ImportResult[]> {
  if (batch.length < 1 || batch.length > IMPORT_BATCH_MAX) throw new MdeInputError(`An import batch holds 1 to ${IMPORT_BATCH_MAX} indicators, got ${batch.length}.`);
  const res = await http.request<{ value?: ImportResult[] }>({
    audience: 'mde', family: 'other', method: 'POST', path: '/api/indicators/import', json: { Indicators: batch }, idempotent: false, signal: opts.signal, onWait: opts.onWait,
  });
  return Array.isArray(res.body?.value) ? res.body.value : [];
}

// ---------------------------------------------------------------- list

/** Filters on properties get-ti-indicators-collection.md documents for $filter. */
export interface IndicatorListQuery {
  indicatorType?: string[];
  action?: string[];
  severity?: string[];
  indicatorValue?: string;
  title?: string;
  application?: string;
  createdBy?: string;
  generateAlert?: boolean;
  /** creationTimeDateTimeUtc ge …: an ISO date or a duration such as 7d. */
  createdSince?: string;
  pageSize?: number;
  maxResults?: number;
}

export const LIST_FILTER_KEYS = ['indicatorType', 'action', 'severity', 'indicatorValue', 'title', 'application', 'createdBy', 'generateAlert', 'createdSince', 'pageSize', 'maxResults'] as const;

function enumList(label: string, v: unknown, allowed: readonly string[]): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new MdeInputError(`${label} must be a list of text values, got ${describe(v)}.`);
  for (const x of v) if (!allowed.includes(x)) throw new MdeInputError(`${label} "${x}" is not a value Defender uses. Allowed: ${allowed.join(', ')}.`);
  return v;
}

function wholeNumber(label: string, v: unknown, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) throw new MdeInputError(`${label} must be a whole number from 1 to ${max}, got ${describe(v)}.`);
  return v;
}

/** Checks a list query (from the dialog or msg.filter) and builds its $filter. Unknown keys are refused. */
export function buildIndicatorFilter(q: Record<string, unknown>, now = Date.now()): { filter: string; pageSize: number; maxResults: number } {
  for (const key of Object.keys(q)) {
    if (!(LIST_FILTER_KEYS as readonly string[]).includes(key)) throw new MdeInputError(`The indicator filter has an unknown property "${key}"; allowed: ${LIST_FILTER_KEYS.join(', ')}.`);
  }
  const parts: string[] = [];
  if (q.indicatorType !== undefined) parts.push(anyOf('indicatorType', enumList('indicatorType', q.indicatorType, INDICATOR_TYPES)));
  if (q.action !== undefined) parts.push(anyOf('action', enumList('action', q.action, INDICATOR_ACTIONS)));
  if (q.severity !== undefined) parts.push(anyOf('severity', enumList('severity', q.severity, INDICATOR_SEVERITIES)));
  for (const key of ['indicatorValue', 'title', 'application', 'createdBy'] as const) {
    const v = q[key];
    if (v === undefined) continue;
    if (typeof v !== 'string' || !v) throw new MdeInputError(`${key} must be non-empty text, got ${describe(v)}.`);
    parts.push(eq(key, v));
  }
  if (q.generateAlert !== undefined) {
    if (typeof q.generateAlert !== 'boolean') throw new MdeInputError(`generateAlert must be true or false, got ${describe(q.generateAlert)}.`);
    parts.push(eq('generateAlert', q.generateAlert));
  }
  if (q.createdSince !== undefined) {
    if (typeof q.createdSince !== 'string') throw new MdeInputError(`createdSince must be an ISO date or a duration such as 7d, got ${describe(q.createdSince)}.`);
    parts.push(ge('creationTimeDateTimeUtc', parseSince(q.createdSince, now, 'createdSince')));
  }
  const pageSize = q.pageSize === undefined ? 1000 : wholeNumber('pageSize', q.pageSize, 10_000);
  const maxResults = q.maxResults === undefined ? 10_000 : wholeNumber('maxResults', q.maxResults, 100_000);
  return { filter: and(...parts), pageSize, maxResults };
}

export interface IndicatorListResult {
  indicators: Indicator[];
  pages: number;
  truncated: boolean;
  filter: string;
}

/** GET /api/indicators, paged with $top / $skip (no nextLink comes back when $top is given). */
export async function listIndicators(http: MdeHttp, q: Record<string, unknown> = {}, opts: RequestOptions = {}): Promise<IndicatorListResult> {
  const c = buildIndicatorFilter(q);
  const indicators: Indicator[] = [];
  let pages = 0;
  for (;;) {
    const want = Math.min(c.pageSize, c.maxResults - indicators.length);
    const res = await http.request<{ value?: Indicator[] }>({
      audience: 'mde', family: 'other', method: 'GET', path: '/api/indicators',
      searchParams: { $filter: c.filter || undefined, $top: checkTop(want), $skip: indicators.length || undefined },
      signal: opts.signal, onWait: opts.onWait,
    });
    pages++;
    const page = Array.isArray(res.body?.value) ? res.body.value : [];
    indicators.push(...page);
    if (page.length < want) return { indicators, pages, truncated: false, filter: c.filter };
    if (indicators.length >= c.maxResults) return { indicators, pages, truncated: true, filter: c.filter };
  }
}
