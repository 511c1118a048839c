// Microsoft Graph incidents (`/v1.0/security/incidents`): list and get, with their alerts
// ($expand=alerts), update, comment (security-list-incidents.md, security-incident-get.md,
// security-incident-update.md, security-incident-post-comments.md). Family `graph-incidents`.
import type { MdeHttp } from '../transport/http';
import type { GraphAlertComment, GraphIncident, TimeRange } from '../types';
import { MdeInputError } from '../errors';
import { freeText } from '../mde/odata';
import { classificationPair, commonFilterParts, GRAPH_INCIDENT_UPDATE_STATUSES, graphEnum, graphIncidentStatus, wholeNumber } from './odata';
import { checkComment, GRAPH_MAX_PAGE, graphIncidentId, pagesOf, type GraphAlertListOptions, type PagingResult } from './alerts';
import { entity, graphCall, type GraphCallOptions } from './request';
import { describe } from '../validate';

const PATH = '/v1.0/security/incidents';

export interface IncidentQuery {
  severity?: string[];
  /** active, resolved, inProgress, redirected, awaitingAction. */
  status?: string[];
  classification?: string[];
  determination?: string[];
  /** Owner text, or null for unassigned incidents. */
  assignedTo?: string | null;
  createdDateTime?: TimeRange;
  lastUpdateDateTime?: TimeRange;
  /** Each incident with its alerts ($expand=alerts). */
  expandAlerts?: boolean;
  /** `$top` per request, 1..1000 (default 100: an incident with its alerts can be large). */
  pageSize?: number;
  /** Stop after this many incidents (default 10 000). */
  maxResults?: number;
}

export interface IncidentListResult {
  incidents: GraphIncident[];
  pages: number;
  truncated: boolean;
  filter: string;
}

const QUERY_KEYS = ['severity', 'status', 'classification', 'determination', 'assignedTo', 'createdDateTime', 'lastUpdateDateTime', 'expandAlerts', 'pageSize', 'maxResults'];

function checkQuery(q: IncidentQuery): { filter: string; pageSize: number; maxResults: number; expand?: string } {
  if (!q || typeof q !== 'object' || Array.isArray(q)) throw new MdeInputError(`The incident query must be an object, got ${describe(q)}.`);
  const unknown = Object.keys(q).find((k) => !QUERY_KEYS.includes(k));
  if (unknown) {
    throw new MdeInputError(
      ['serviceSource', 'detectionSource', 'incidentId'].includes(unknown)
        ? `Incidents cannot be filtered on "${unknown}" (the list documents assignedTo, classification, createdDateTime, determination, lastUpdateDateTime, severity, status).`
        : `Incident filter "${unknown}" is not known. Use: ${QUERY_KEYS.join(', ')}.`,
    );
  }
  if (q.expandAlerts !== undefined && typeof q.expandAlerts !== 'boolean') throw new MdeInputError(`expandAlerts must be true or false, got ${describe(q.expandAlerts)}.`);
  return {
    filter: commonFilterParts(q, graphIncidentStatus).join(' and '),
    pageSize: q.pageSize === undefined ? 100 : wholeNumber(q.pageSize, 'Page size', 1, GRAPH_MAX_PAGE),
    maxResults: q.maxResults === undefined ? 10_000 : wholeNumber(q.maxResults, 'Maximum results', 1, 1_000_000),
    expand: q.expandAlerts ? 'alerts' : undefined,
  };
}

/** The $filter an incident query sends ('' for none); validates like the list does. */
export function buildIncidentFilter(q: IncidentQuery): string {
  return checkQuery(q).filter;
}

/** Pages of incidents, newest first, following @odata.nextLink. */
export async function* iterateIncidentPages(http: MdeHttp, q: IncidentQuery = {}, opts: GraphAlertListOptions = {}): AsyncGenerator<GraphIncident[], PagingResult, void> {
  const c = checkQuery(q);
  return yield* pagesOf<GraphIncident>(http, 'graph-incidents', { path: PATH, ...c }, opts);
}

export async function listIncidents(http: MdeHttp, q: IncidentQuery = {}, opts: GraphAlertListOptions = {}): Promise<IncidentListResult> {
  const c = checkQuery(q);
  const incidents: GraphIncident[] = [];
  const it = pagesOf<GraphIncident>(http, 'graph-incidents', { path: PATH, ...c }, opts);
  for (;;) {
    const n = await it.next();
    if (n.done) return { incidents, pages: n.value.pages, truncated: n.value.truncated, filter: c.filter };
    for (const i of n.value) incidents.push(i);
  }
}

export async function getIncident(http: MdeHttp, id: string, opts: GraphCallOptions & { expandAlerts?: boolean } = {}): Promise<GraphIncident> {
  const iid = graphIncidentId(id);
  if (opts.expandAlerts !== undefined && typeof opts.expandAlerts !== 'boolean') throw new MdeInputError(`expandAlerts must be true or false, got ${describe(opts.expandAlerts)}.`);
  const res = await graphCall<GraphIncident>(http, {
    family: 'graph-incidents',
    method: 'GET',
    path: `${PATH}/${iid}`,
    searchParams: { $expand: opts.expandAlerts ? 'alerts' : undefined },
    signal: opts.signal,
    onWait: opts.onWait,
  });
  return entity(res.body);
}

/** The properties security-incident-update.md documents. */
export interface IncidentUpdate {
  /** active or resolved. */
  status?: string;
  assignedTo?: string | null;
  classification?: string;
  determination?: string;
  customTags?: string[];
}

const UPDATE_KEYS = ['status', 'assignedTo', 'classification', 'determination', 'customTags'];

export function buildIncidentUpdate(patch: IncidentUpdate): IncidentUpdate {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) throw new MdeInputError(`The incident update must be an object, got ${describe(patch)}.`);
  for (const k of Object.keys(patch)) {
    if (k === 'comment') throw new MdeInputError('A comment is not an incident property on Microsoft Graph: it is added with its own request (commentIncident).');
    if (!UPDATE_KEYS.includes(k)) throw new MdeInputError(`Incident property "${k}" cannot be updated on Microsoft Graph. Use: ${UPDATE_KEYS.join(', ')}.`);
  }
  const out: IncidentUpdate = {};
  if (patch.status !== undefined) {
    if (typeof patch.status === 'string' && ['inprogress', 'redirected', 'awaitingaction'].includes(patch.status.trim().toLowerCase())) {
      throw new MdeInputError(`Incident status ${describe(patch.status)} cannot be set: the update documents active and resolved (redirected is set by the service when it merges incidents).`);
    }
    out.status = graphEnum(GRAPH_INCIDENT_UPDATE_STATUSES, patch.status, 'Incident status');
  }
  if (patch.assignedTo !== undefined) out.assignedTo = patch.assignedTo === null ? null : freeText(patch.assignedTo, 'Assigned to');
  if (patch.classification !== undefined || patch.determination !== undefined) Object.assign(out, classificationPair(patch.classification, patch.determination));
  if (patch.customTags !== undefined) {
    if (!Array.isArray(patch.customTags)) throw new MdeInputError(`customTags must be a list (array) of tags, got ${describe(patch.customTags)}.`);
    out.customTags = patch.customTags.map((t, i) => freeText(t, `customTags[${i}]`));
  }
  if (!Object.keys(out).length) throw new MdeInputError('Nothing to update: give a status, assignedTo, customTags, or a classification with its determination.');
  return out;
}

export async function updateIncident(http: MdeHttp, id: string, patch: IncidentUpdate, opts: GraphCallOptions = {}): Promise<GraphIncident> {
  const iid = graphIncidentId(id);
  const body = buildIncidentUpdate(patch);
  const res = await graphCall<GraphIncident>(http, { family: 'graph-incidents', method: 'PATCH', path: `${PATH}/${iid}`, json: body, idempotent: true, signal: opts.signal, onWait: opts.onWait });
  return entity(res.body);
}

/** `POST /security/incidents/{id}/comments`; answers every comment. Never resent automatically. */
export async function commentIncident(http: MdeHttp, id: string, comment: string, opts: GraphCallOptions = {}): Promise<GraphAlertComment[]> {
  const iid = graphIncidentId(id);
  const text = checkComment(comment);
  const res = await graphCall<{ value?: GraphAlertComment[] }>(http, {
    family: 'graph-incidents',
    method: 'POST',
    path: `${PATH}/${iid}/comments`,
    json: { '@odata.type': 'microsoft.graph.security.alertComment', comment: text },
    idempotent: false,
    signal: opts.signal,
    onWait: opts.onWait,
  });
  return Array.isArray(res.body?.value) ? res.body.value : [];
}
