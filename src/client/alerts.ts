// Alerts: list (manual $top/$skip paging), get, related entities, update.
import type { MdeHttp } from './http';
import type { Alert, AlertListQuery } from './types';
import { MdeInputError } from './errors';
import { alertClassification, alertDetermination, alertId, alertStatus, buildAlertFilter, freeText, orderBy, top } from './odata';
import { describe } from './validate';

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

const MAX_PAGE = 10_000;

function checkedQuery(q: AlertListQuery): { filter: string; pageSize: number; maxResults: number; orderBy?: string } {
  if (!q || typeof q !== 'object') throw new MdeInputError('The alert query must be an object.');
  const filter = buildAlertFilter(q);
  const pageSize = q.pageSize === undefined ? MAX_PAGE : top(q.pageSize, 'Page size', MAX_PAGE);
  const maxResults = q.maxResults === undefined ? 100_000 : top(q.maxResults, 'Maximum results', 10_000_000);
  return { filter, pageSize, maxResults, orderBy: q.orderBy ? orderBy(q.orderBy) : undefined };
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
      path: '/api/alerts',
      searchParams: {
        $filter: c.filter || undefined,
        $top: want,
        $skip: skipped || undefined,
        $orderby: c.orderBy,
        $expand: q.expandEvidence ? 'evidence' : undefined,
      },
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
