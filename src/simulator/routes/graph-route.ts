// Route plumbing for the Graph security resources (alerts_v2, incidents): context, errors, the
// documented roles, list paging and case-sensitive JSON bodies.
import type { Principal } from '../auth';
import type { SimContext } from '../context';
import { graphError, json, parseJsonBody, ODATA_JSON } from '../http-util';
import { GraphQueryError, graphNextLink, parseGraphQuery, type GraphSetSpec } from '../graph-odata';
import type { ApiFamily, SimRequest, SimResponse } from '../types';

export interface GraphCtx {
  sim: SimContext;
  req: SimRequest;
  principal: Principal;
  /** client-request-id echoed in error bodies. */
  crid?: string;
  /** `https://host/v1.0`, for @odata.context. */
  base: string;
}

export interface GraphRoute {
  method: 'GET' | 'POST' | 'PATCH';
  /** Matched against the path below `/v1.0`, case-insensitively. */
  pattern: RegExp;
  family: ApiFamily;
  /** Any one of these roles suffices (the page's permissions table). */
  roles: readonly string[];
  handler: (gc: GraphCtx, params: string[]) => SimResponse;
}

// Permissions tables of security-list-alerts_v2 / -alert-get / -alert-update / -alert-post-comments
// and security-list-incidents / -incident-get / -incident-update / -incident-post-comments.
export const SECURITY_ALERT_READ = ['SecurityAlert.Read.All', 'SecurityAlert.ReadWrite.All'];
export const SECURITY_ALERT_WRITE = ['SecurityAlert.ReadWrite.All'];
export const SECURITY_INCIDENT_READ = ['SecurityIncident.Read.All', 'SecurityIncident.ReadWrite.All'];
export const SECURITY_INCIDENT_WRITE = ['SecurityIncident.ReadWrite.All'];

export function graphOk(body: unknown): SimResponse {
  return json(200, body, ODATA_JSON, { 'OData-Version': '4.0' });
}

export function badRequest(gc: GraphCtx, message: string): SimResponse {
  return graphError(400, 'BadRequest', message, gc.crid);
}

export function notFound(gc: GraphCtx, message: string): SimResponse {
  return graphError(404, 'NotFound', message, gc.crid);
}

/** Filter, count and page `rows` (already in the service's order) by the request's query options. */
export function listPage<T>(gc: GraphCtx, rows: readonly T[], spec: GraphSetSpec, filterValues: (row: T) => Record<string, unknown>, contextPath: string, view: (row: T, expand: string[]) => unknown): SimResponse {
  let q;
  try {
    q = parseGraphQuery(gc.req.query, spec);
  } catch (e) {
    if (e instanceof GraphQueryError) return badRequest(gc, e.message);
    throw e;
  }
  const matching = q.predicate ? rows.filter((r) => q.predicate!(filterValues(r))) : rows;
  const size = q.top ?? gc.sim.options.graphPageSize;
  const page = matching.slice(q.offset, q.offset + size);
  const body: Record<string, unknown> = { '@odata.context': `${gc.base}/$metadata#${contextPath}` };
  if (q.count) body['@odata.count'] = matching.length;
  const more = matching.length > q.offset + size;
  if (more && (q.top === undefined || gc.sim.options.graphNextLinkWithTop)) body['@odata.nextLink'] = graphNextLink(gc.req.origin, gc.req.path, gc.req.query, q.offset + size);
  body.value = page.map((r) => view(r, q.expand));
  return graphOk(body);
}

export type GraphBody = { ok: true; body: Record<string, unknown> } | { ok: false; response: SimResponse };

/**
 * A JSON object body whose properties must be among `allowed` (exact case: Graph's JSON property
 * names are case-sensitive). An unknown property is a 400 naming it.
 */
export function graphBody(gc: GraphCtx, allowed: readonly string[], typeName: string): GraphBody {
  const parsed = parseJsonBody(gc.req.body);
  if (parsed === undefined || parsed instanceof Error || typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, response: badRequest(gc, 'The request body must be a JSON object.') };
  }
  const body = parsed as Record<string, unknown>;
  for (const key of Object.keys(body)) {
    if (key === '@odata.type' || allowed.includes(key)) continue;
    const near = allowed.find((a) => a.toLowerCase() === key.toLowerCase());
    return {
      ok: false,
      response: badRequest(gc, near ? `The property '${key}' does not exist on type '${typeName}'; did you mean '${near}'?` : `The property '${key}' cannot be updated on type '${typeName}'. Updatable: ${allowed.join(', ')}.`),
    };
  }
  return { ok: true, body };
}

const COMMENT_TYPE = 'microsoft.graph.security.alertComment';

/**
 * The body of a POST .../comments (alerts and incidents alike): `{ "@odata.type"?: alertComment,
 * "comment": "text" }`. Returns the comment text, or the 400 to answer.
 */
export function graphCommentText(gc: GraphCtx): { ok: true; comment: string } | { ok: false; response: SimResponse } {
  const b = graphBody(gc, ['comment'], COMMENT_TYPE);
  if (!b.ok) return b;
  const type = b.body['@odata.type'];
  if (type !== undefined && String(type).replace(/^#/, '') !== COMMENT_TYPE) return { ok: false, response: badRequest(gc, `The @odata.type must be ${COMMENT_TYPE}.`) };
  if (typeof b.body.comment !== 'string' || !b.body.comment.trim()) return { ok: false, response: badRequest(gc, "The parameter 'comment' is required: the text of the comment.") };
  return { ok: true, comment: b.body.comment };
}
