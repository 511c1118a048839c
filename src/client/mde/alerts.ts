// Alerts: list (manual $top/$skip paging), get, related entities, update.
import { buildQuery, type MdeHttp } from '../transport/http';
import type { Alert, AlertListQuery } from '../types';
import { MdeInputError } from '../errors';
import { alertClassification, alertDetermination, alertId, alertStatus, buildAlertFilter, freeText, machineId, orderBy, top } from './odata';
import { describe } from '../validate';

export interface ListAlertsOptions {
  signal?: AbortSignal;
  onWait?: Parameters<MdeHttp['request']>[0]['onWait'];
  /** Called after every page (progress / status). */
  onPage?: (info: { page: number; count: number; total: number }) => void;
}

export interface AlertListResult {
  alerts: Alert[];
  pages: number;
  /** True when maxResults stopped the listing while more alerts may exist. */
  truncated: boolean;
}

export const MAX_ALERT_PAGE = 10_000;
export const MAX_ALERT_RESULTS = 10_000_000;
/**
 * Longest request target (path + query) we send. Microsoft's front ends refuse longer URLs with
 * 414 / 431 (Azure Front Door stops at 8 KB), so a huge filter is refused here, in plain words.
 */
export const MAX_REQUEST_TARGET = 8_000;

const QUERY_KEYS: readonly (keyof AlertListQuery)[] = [
  'severity', 'status', 'category', 'detectionSource', 'assignedTo', 'incidentId', 'machineId', 'timeField', 'since', 'until',
  'rawFilter', 'expandEvidence', 'orderBy', 'pageSize', 'maxResults',
];

interface CheckedAlertQuery {
  path: string;
  filter: string;
  pageSize: number;
  maxResults: number;
  orderBy?: string;
  expandEvidence: boolean;
}

/** `/api/alerts`, or `/api/machines/{id}/alerts` for one device (/api/alerts documents no machineId filter). */
export function alertListPath(q: Pick<AlertListQuery, 'machineId'>): string {
  return q.machineId === undefined ? '/api/alerts' : `/api/machines/${machineId(q.machineId)}/alerts`;
}

function checkedQuery(q: AlertListQuery): CheckedAlertQuery {
  if (!q || typeof q !== 'object' || Array.isArray(q)) throw new MdeInputError(`The alert query must be an object, got ${describe(q)}.`);
  for (const key of Object.keys(q)) {
    if (!(QUERY_KEYS as readonly string[]).includes(key)) {
      throw new MdeInputError(`The alert query has an unknown property ${describe(key)}. Use: ${QUERY_KEYS.join(', ')}.`);
    }
  }
  if (q.expandEvidence !== undefined && typeof q.expandEvidence !== 'boolean') {
    throw new MdeInputError(`expandEvidence must be true or false, got ${describe(q.expandEvidence)}.`);
  }
  const checked: CheckedAlertQuery = {
    path: alertListPath(q),
    filter: buildAlertFilter(q),
    pageSize: q.pageSize === undefined ? MAX_ALERT_PAGE : top(q.pageSize, 'Page size', MAX_ALERT_PAGE),
    maxResults: q.maxResults === undefined ? 100_000 : top(q.maxResults, 'Maximum results', MAX_ALERT_RESULTS),
    orderBy: q.orderBy === undefined ? undefined : orderBy(q.orderBy),
    expandEvidence: q.expandEvidence === true,
  };
  // The longest URL any page will have: the largest $skip is below maxResults.
  const target = checked.path + buildQuery(searchParams(checked, checked.pageSize, checked.maxResults));
  if (target.length > MAX_REQUEST_TARGET) {
    throw new MdeInputError(
      `The alert filter is too long: the request URL would be ${target.length} characters, and Microsoft's front end refuses URLs over about ${MAX_REQUEST_TARGET}. Use fewer values or a shorter raw filter.`,
      { code: 'FilterTooLong' },
    );
  }
  return checked;
}

function searchParams(c: CheckedAlertQuery, top: number, skip: number): Record<string, string | number | undefined> {
  return {
    $filter: c.filter || undefined,
    $top: top,
    $skip: skip || undefined,
    $orderby: c.orderBy,
    $expand: c.expandEvidence ? 'evidence' : undefined,
  };
}

/** Checks a query as listAlerts would, without sending anything: the `$filter` text it would send. */
export function checkAlertQuery(q: AlertListQuery): { path: string; filter: string } {
  const c = checkedQuery(q);
  return { path: c.path, filter: c.filter };
}

/** Yields one array per page. With `$top` MDE returns no nextLink, so paging is by `$skip`. */
export async function* iterateAlertPages(http: MdeHttp, q: AlertListQuery, opts: ListAlertsOptions = {}): AsyncGenerator<Alert[], { pages: number; truncated: boolean }, void> {
  const c = checkedQuery(q);
  let skipped = 0;
  let pages = 0;
  for (;;) {
    const want = Math.min(c.pageSize, c.maxResults - skipped);
    const res = await http.request<{ value?: Alert[] }>({
      audience: 'mde',
      family: 'alerts',
      method: 'GET',
      path: c.path,
      searchParams: searchParams(c, want, skipped),
      signal: opts.signal,
      onWait: opts.onWait,
    });
    const page = Array.isArray(res.body?.value) ? res.body.value : [];
    pages++;
    skipped += page.length;
    opts.onPage?.({ page: pages, count: page.length, total: skipped });
    if (page.length) yield page;
    if (page.length < want) return { pages, truncated: false };
    if (skipped >= c.maxResults) return { pages, truncated: true };
  }
}

export async function listAlerts(http: MdeHttp, q: AlertListQuery = {}, opts: ListAlertsOptions = {}): Promise<AlertListResult> {
  const alerts: Alert[] = [];
  const it = iterateAlertPages(http, q, opts);
  for (;;) {
    const n = await it.next();
    if (n.done) return { alerts, pages: n.value.pages, truncated: n.value.truncated };
    for (const a of n.value) alerts.push(a);
  }
}

export interface RequestOptions {
  signal?: AbortSignal;
  onWait?: Parameters<MdeHttp['request']>[0]['onWait'];
}

export async function getAlert(http: MdeHttp, id: string, opts: RequestOptions & { expandEvidence?: boolean } = {}): Promise<Alert> {
  const aid = alertId(id);
  const res = await http.request<Alert>({
    audience: 'mde',
    family: 'alerts',
    method: 'GET',
    path: `/api/alerts/${encodeURIComponent(aid)}`,
    searchParams: { $expand: opts.expandEvidence ? 'evidence' : undefined },
    signal: opts.signal,
    onWait: opts.onWait,
  });
  return res.body;
}

export type AlertRelatedKind = 'machine' | 'user' | 'files' | 'ips' | 'domains';
export const ALERT_RELATED_KINDS: readonly AlertRelatedKind[] = ['machine', 'user', 'files', 'ips', 'domains'];

/** `machine` / `user` → the entity; `files` / `ips` / `domains` → the `value` array. */
export async function getAlertRelated(http: MdeHttp, id: string, kind: AlertRelatedKind, opts: RequestOptions = {}): Promise<unknown> {
  const aid = alertId(id);
  if (!ALERT_RELATED_KINDS.includes(kind)) throw new MdeInputError(`Related entity ${describe(kind)} is not valid. Use one of: ${ALERT_RELATED_KINDS.join(', ')}.`);
  const res = await http.request<Record<string, unknown>>({
    audience: 'mde',
    family: 'alerts',
    method: 'GET',
    path: `/api/alerts/${encodeURIComponent(aid)}/${kind}`,
    signal: opts.signal,
    onWait: opts.onWait,
  });
  if (kind === 'machine' || kind === 'user') {
    const b = { ...(res.body ?? {}) };
    delete b['@odata.context'];
    return b;
  }
  return Array.isArray(res.body?.value) ? res.body.value : [];
}

export interface AlertPatch {
  status?: string;
  assignedTo?: string;
  classification?: string;
  determination?: string;
  comment?: string;
}

/** Validates and canonicalises a PATCH body (exported for tests / the node's dialog check). */
export function buildAlertPatch(patch: AlertPatch): AlertPatch {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) throw new MdeInputError('The alert update must be an object.');
  const allowed = new Set(['status', 'assignedTo', 'classification', 'determination', 'comment']);
  for (const k of Object.keys(patch)) {
    if (!allowed.has(k)) throw new MdeInputError(`Alert property "${k}" cannot be updated. Use: ${[...allowed].join(', ')}.`);
  }
  const out: AlertPatch = {};
  if (patch.status !== undefined) {
    const s = alertStatus(patch.status);
    if (s === 'Unknown') throw new MdeInputError('An alert status can be set to New, InProgress or Resolved.');
    out.status = s;
  }
  if (patch.assignedTo !== undefined) out.assignedTo = freeText(patch.assignedTo, 'Assigned to');
  if (patch.classification !== undefined) out.classification = alertClassification(patch.classification);
  if (patch.determination !== undefined) out.determination = alertDetermination(patch.determination);
  if (patch.comment !== undefined) {
    if (typeof patch.comment !== 'string' || !patch.comment.trim()) throw new MdeInputError('The comment must be non-empty text.');
    if (patch.comment.length > 30_000) throw new MdeInputError('The comment is too long (30 000 characters at most).');
    out.comment = patch.comment;
  }
  if (!Object.keys(out).length) throw new MdeInputError('Nothing to update: give a status, assignedTo, classification, determination or comment.');
  return out;
}

export async function updateAlert(http: MdeHttp, id: string, patch: AlertPatch, opts: RequestOptions = {}): Promise<Alert> {
  const aid = alertId(id);
  const body = buildAlertPatch(patch);
  const res = await http.request<Alert>({
    audience: 'mde',
    family: 'alerts',
    method: 'PATCH',
    path: `/api/alerts/${encodeURIComponent(aid)}`,
    json: body,
    // Setting the same fields twice is harmless; a comment would be added twice.
    idempotent: body.comment === undefined,
    signal: opts.signal,
    onWait: opts.onWait,
  });
  return res.body;
}
