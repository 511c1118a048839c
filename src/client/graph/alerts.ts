// Microsoft Graph alerts (`/v1.0/security/alerts_v2`): list with filters, get, update, comment
// (security-list-alerts_v2.md, security-alert-get.md, security-alert-update.md,
// security-alert-post-comments.md). Family `graph-alerts` of the governor.
import type { MdeHttp } from '../transport/http';
import type { GraphAlert, GraphAlertComment, TimeRange } from '../types';
import { MdeError, MdeInputError } from '../errors';
import { alertId, freeText } from '../mde/odata';
import {
  classificationPair,
  commonFilterParts,
  GRAPH_ALERT_UPDATE_STATUSES,
  graphAlertStatus,
  graphDetectionSource,
  graphEnum,
  graphServiceSource,
  anyOfFilter,
  valueList,
  wholeNumber,
} from './odata';
import { entity, graphCall, graphPage, type GraphCallOptions } from './request';
import { describe } from '../validate';

const PATH = '/v1.0/security/alerts_v2';
/** The Graph security API's documented $top ceiling (security-error-codes.md, Constraints). */
export const GRAPH_MAX_PAGE = 1000;

export interface GraphAlertQuery {
  /** Graph members: unknown, informational, low, medium, high. */
  severity?: string[];
  /** new, inProgress, resolved (unknown). */
  status?: string[];
  serviceSource?: string[];
  classification?: string[];
  determination?: string[];
  /** Owner text, or null for unassigned alerts. */
  assignedTo?: string | null;
  createdDateTime?: TimeRange;
  lastUpdateDateTime?: TimeRange;
  /** Not a documented $filter property of alerts_v2: applied to each page here. */
  detectionSource?: string[];
  /** Not a documented $filter property of alerts_v2: applied to each page here. */
  incidentId?: string;
  /** `$top` per request, 1..1000 (default 1000). */
  pageSize?: number;
  /** Stop after this many alerts (default 100 000). */
  maxResults?: number;
}

export interface GraphAlertListOptions extends GraphCallOptions {
  onPage?: (info: { page: number; count: number; total: number }) => void;
}

export interface GraphAlertListResult {
  alerts: GraphAlert[];
  pages: number;
  /** True when maxResults stopped the listing while more alerts may exist. */
  truncated: boolean;
  /** The $filter sent ('' for none). */
  filter: string;
  /** Filters applied here because the API does not document them for $filter. */
  clientSideFilters: string[];
}

const QUERY_KEYS = ['severity', 'status', 'serviceSource', 'classification', 'determination', 'assignedTo', 'createdDateTime', 'lastUpdateDateTime', 'detectionSource', 'incidentId', 'pageSize', 'maxResults'];

/** Graph incident ids are decimal digits in text ("2972395"). */
export function graphIncidentId(v: unknown, label = 'Incident ID'): string {
  if (typeof v !== 'string' || !/^\d{1,19}$/.test(v.trim())) throw new MdeInputError(`${label} must be the incident's number as text, such as "2972395", got ${describe(v)}.`);
  return v.trim();
}

interface CheckedAlertQuery {
  filter: string;
  pageSize: number;
  maxResults: number;
  localFilter?: (a: GraphAlert) => boolean;
  clientSideFilters: string[];
}

export function checkGraphAlertQuery(q: GraphAlertQuery): CheckedAlertQuery {
  if (!q || typeof q !== 'object' || Array.isArray(q)) throw new MdeInputError(`The alert query must be an object, got ${describe(q)}.`);
  const unknown = Object.keys(q).find((k) => !QUERY_KEYS.includes(k));
  if (unknown) throw new MdeInputError(`Alert filter "${unknown}" is not known. Use: ${QUERY_KEYS.join(', ')}.`);
  const parts = commonFilterParts(q, graphAlertStatus);
  const services = valueList(q.serviceSource, 'Service source').map(graphServiceSource);
  if (services.length) parts.push(anyOfFilter('serviceSource', services));
  const clientSideFilters: string[] = [];
  const tests: ((a: GraphAlert) => boolean)[] = [];
  const detections = valueList(q.detectionSource, 'Detection source').map(graphDetectionSource);
  if (detections.length) {
    clientSideFilters.push('detectionSource');
    tests.push((a) => detections.includes(String(a.detectionSource)));
  }
  if (q.incidentId !== undefined && q.incidentId !== '') {
    const incident = graphIncidentId(q.incidentId);
    clientSideFilters.push('incidentId');
    tests.push((a) => a.incidentId === incident);
  }
  return {
    filter: parts.join(' and '),
    pageSize: q.pageSize === undefined ? GRAPH_MAX_PAGE : wholeNumber(q.pageSize, 'Page size', 1, GRAPH_MAX_PAGE),
    maxResults: q.maxResults === undefined ? 100_000 : wholeNumber(q.maxResults, 'Maximum results', 1, 10_000_000),
    localFilter: tests.length ? (a) => tests.every((t) => t(a)) : undefined,
    clientSideFilters,
  };
}

/**
 * Pages of alerts, newest first (the service's order). Follows @odata.nextLink; when a full page
 * comes back without one (an API that treats $top as "only these"), continues with $skip, the
 * paging form the list page shows ($top=100&$skip=200).
 */
export async function* iterateGraphAlertPages(http: MdeHttp, q: GraphAlertQuery = {}, opts: GraphAlertListOptions = {}): AsyncGenerator<GraphAlert[], PagingResult, void> {
  const c = checkGraphAlertQuery(q);
  return yield* pagesOf<GraphAlert>(http, 'graph-alerts', { path: PATH, filter: c.filter, pageSize: c.pageSize, maxResults: c.maxResults, localFilter: c.localFilter }, opts);
}

export interface PagingResult {
  pages: number;
  /** True when maxResults stopped the listing while more items may exist. */
  truncated: boolean;
}

export interface PagingPlan<T> {
  path: string;
  filter: string;
  pageSize: number;
  maxResults: number;
  localFilter?: (item: T) => boolean;
  expand?: string;
}

/** Shared by alerts and incidents: nextLink paging with the $skip fallback, maxResults, a local filter. */
export async function* pagesOf<T>(http: MdeHttp, family: 'graph-alerts' | 'graph-incidents', plan: PagingPlan<T>, opts: GraphAlertListOptions): AsyncGenerator<T[], PagingResult, void> {
  let pages = 0;
  let total = 0;
  /** Items the service has sent so far (before the local filter): the $skip of a fallback request. */
  let seen = 0;
  let next: string | undefined;
  let previousFirst: unknown;
  for (;;) {
    const target = next
      ? { nextLink: next }
      : { path: plan.path, searchParams: { $filter: plan.filter || undefined, $top: plan.pageSize, $skip: seen || undefined, $expand: plan.expand } };
    const page = await graphPage<T>(http, family, target, opts);
    pages++;
    const first = (page.value[0] as { id?: unknown } | undefined)?.id;
    if (!next && pages > 1 && first !== undefined && first === previousFirst) {
      throw new MdeError('Microsoft Graph sent the same page again for a $skip request; paging stopped.', { code: 'InvalidResponse' });
    }
    previousFirst = first;
    seen += page.value.length;
    const kept = plan.localFilter ? page.value.filter(plan.localFilter) : page.value;
    const room = plan.maxResults - total;
    const emitted = kept.length > room ? kept.slice(0, room) : kept;
    total += emitted.length;
    opts.onPage?.({ page: pages, count: emitted.length, total });
    if (emitted.length) yield emitted;
    const more = page.nextLink !== undefined || (page.value.length > 0 && page.value.length >= plan.pageSize);
    if (kept.length > room) return { pages, truncated: true };
    if (!more) return { pages, truncated: false };
    if (total >= plan.maxResults) return { pages, truncated: true };
    next = page.nextLink;
  }
}

export async function listGraphAlerts(http: MdeHttp, q: GraphAlertQuery = {}, opts: GraphAlertListOptions = {}): Promise<GraphAlertListResult> {
  const c = checkGraphAlertQuery(q);
  const alerts: GraphAlert[] = [];
  const it = pagesOf<GraphAlert>(http, 'graph-alerts', { path: PATH, filter: c.filter, pageSize: c.pageSize, maxResults: c.maxResults, localFilter: c.localFilter }, opts);
  for (;;) {
    const n = await it.next();
    if (n.done) return { alerts, pages: n.value.pages, truncated: n.value.truncated, filter: c.filter, clientSideFilters: c.clientSideFilters };
    for (const a of n.value) alerts.push(a);
  }
}

export async function getGraphAlert(http: MdeHttp, id: string, opts: GraphCallOptions = {}): Promise<GraphAlert> {
  const aid = alertId(id);
  const res = await graphCall<GraphAlert>(http, { family: 'graph-alerts', method: 'GET', path: `${PATH}/${encodeURIComponent(aid)}`, signal: opts.signal, onWait: opts.onWait });
  return entity(res.body);
}

/** The properties security-alert-update.md documents. */
export interface GraphAlertUpdate {
  status?: string;
  /** Owner text, or null to unassign. */
  assignedTo?: string | null;
  classification?: string;
  determination?: string;
}

const UPDATE_KEYS = ['status', 'assignedTo', 'classification', 'determination'];

/** Validates and canonicalises an alert update (exported for the node's checks and tests). */
export function buildGraphAlertUpdate(patch: GraphAlertUpdate): GraphAlertUpdate {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) throw new MdeInputError(`The alert update must be an object, got ${describe(patch)}.`);
  for (const k of Object.keys(patch)) {
    if (k === 'comment') throw new MdeInputError('A comment is not an alert property on Microsoft Graph: it is added with its own request (commentGraphAlert).');
    if (!UPDATE_KEYS.includes(k)) throw new MdeInputError(`Alert property "${k}" cannot be updated on Microsoft Graph. Use: ${UPDATE_KEYS.join(', ')}.`);
  }
  const out: GraphAlertUpdate = {};
  if (patch.status !== undefined) out.status = graphEnum(GRAPH_ALERT_UPDATE_STATUSES, patch.status, 'Alert status');
  if (patch.assignedTo !== undefined) out.assignedTo = patch.assignedTo === null ? null : freeText(patch.assignedTo, 'Assigned to');
  if (patch.classification !== undefined || patch.determination !== undefined) Object.assign(out, classificationPair(patch.classification, patch.determination));
  if (!Object.keys(out).length) throw new MdeInputError('Nothing to update: give a status, assignedTo, or a classification with its determination.');
  return out;
}

export async function updateGraphAlert(http: MdeHttp, id: string, patch: GraphAlertUpdate, opts: GraphCallOptions = {}): Promise<GraphAlert> {
  const aid = alertId(id);
  const body = buildGraphAlertUpdate(patch);
  const res = await graphCall<GraphAlert>(http, {
    family: 'graph-alerts',
    method: 'PATCH',
    path: `${PATH}/${encodeURIComponent(aid)}`,
    json: body,
    // Setting the same values again changes nothing.
    idempotent: true,
    signal: opts.signal,
    onWait: opts.onWait,
  });
  return entity(res.body);
}

const COMMENT_MAX = 30_000;
// Line breaks and tabs are fine in a comment; other control characters are not text.
const COMMENT_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

export function checkComment(v: unknown): string {
  if (typeof v !== 'string' || !v.trim()) throw new MdeInputError(`The comment must be non-empty text, got ${describe(v)}.`);
  if (v.length > COMMENT_MAX) throw new MdeInputError(`The comment is too long (${v.length} characters; ${COMMENT_MAX} at most).`);
  if (COMMENT_CONTROL.test(v)) throw new MdeInputError('The comment contains a control character other than a line break or a tab.');
  return v;
}

/**
 * Adds a comment (`POST /security/alerts_v2/{id}/comments`); answers every comment of the alert.
 * Never resent automatically after a 5xx or a timeout: the comment may already be there.
 */
export async function commentGraphAlert(http: MdeHttp, id: string, comment: string, opts: GraphCallOptions = {}): Promise<GraphAlertComment[]> {
  const aid = alertId(id);
  const text = checkComment(comment);
  const res = await graphCall<{ value?: GraphAlertComment[] }>(http, {
    family: 'graph-alerts',
    method: 'POST',
    path: `${PATH}/${encodeURIComponent(aid)}/comments`,
    json: { '@odata.type': 'microsoft.graph.security.alertComment', comment: text },
    idempotent: false,
    signal: opts.signal,
    onWait: opts.onWait,
  });
  return Array.isArray(res.body?.value) ? res.body.value : [];
}
