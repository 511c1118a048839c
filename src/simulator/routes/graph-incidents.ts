// Graph `/security/incidents`: list and get with `$expand=alerts`, update, comment
// (security-list-incidents.md, security-incident-get.md, security-incident-update.md,
// security-incident-post-comments.md, security-incident.md).
import { iso7 } from '../http-util';
import { GraphQueryError, parseEntityQuery, type GraphSetSpec } from '../graph-odata';
import {
  enumMember,
  graphIncidentFilterValues,
  graphIncidentView,
  GRAPH_CLASSIFICATIONS,
  GRAPH_DETERMINATION_ALIASES,
  GRAPH_DETERMINATIONS,
  GRAPH_INCIDENT_STATUSES,
  GRAPH_INCIDENT_TYPE,
  GRAPH_SEVERITIES,
} from '../graph-shape';
import type { SimIncident } from '../types';
import { alertView } from './graph-alerts';
import { badRequest, graphBody, graphCommentText, graphOk, listPage, notFound, SECURITY_INCIDENT_READ, SECURITY_INCIDENT_WRITE, type GraphCtx, type GraphRoute } from './graph-route';

export const GRAPH_INCIDENT_SPEC: GraphSetSpec = {
  typeName: GRAPH_INCIDENT_TYPE,
  filterable: {
    assignedTo: { kind: 'text' },
    classification: { kind: 'enum', members: GRAPH_CLASSIFICATIONS },
    createdDateTime: { kind: 'date' },
    determination: { kind: 'enum', members: GRAPH_DETERMINATIONS, aliases: GRAPH_DETERMINATION_ALIASES },
    lastUpdateDateTime: { kind: 'date' },
    severity: { kind: 'enum', members: GRAPH_SEVERITIES },
    status: { kind: 'enum', members: GRAPH_INCIDENT_STATUSES },
  },
  options: ['$count', '$filter', '$skip', '$top', '$expand'],
  expandable: ['alerts'],
};

/** The update page lists active, resolved, redirected (and the unknownFutureValue sentinel). */
const UPDATE_STATUSES = ['active', 'resolved', 'redirected'];
const UPDATABLE = ['assignedTo', 'classification', 'determination', 'status', 'customTags'];

function findIncident(gc: GraphCtx, id: string): SimIncident | undefined {
  return gc.sim.state.incidents.find((i) => i.id === id);
}

function view(gc: GraphCtx, i: SimIncident, expand: string[]): Record<string, unknown> {
  if (!expand.includes('alerts')) return graphIncidentView(i);
  const n = Number(i.id);
  const alerts = gc.sim.state.alerts.filter((a) => a.incidentId === n).map((a) => alertView(gc, a));
  return graphIncidentView(i, alerts);
}

/** Most recent first (the list page: "displayed at the top of the list"); ties keep their creation order. */
function newestFirst(rows: readonly SimIncident[]): SimIncident[] {
  return [...rows].reverse().sort((a, b) => (a.createdDateTime < b.createdDateTime ? 1 : a.createdDateTime > b.createdDateTime ? -1 : 0));
}

function update(gc: GraphCtx, i: SimIncident, body: Record<string, unknown>): ReturnType<typeof badRequest> | undefined {
  const next: Partial<SimIncident> = {};
  for (const [prop, members, aliases] of [
    ['status', UPDATE_STATUSES, undefined],
    ['classification', GRAPH_CLASSIFICATIONS, undefined],
    ['determination', GRAPH_DETERMINATIONS, GRAPH_DETERMINATION_ALIASES],
  ] as const) {
    if (body[prop] === undefined) continue;
    const hit = enumMember(members, body[prop], aliases);
    if (!hit) return badRequest(gc, `Requested value '${String(body[prop])}' was not found for property '${prop}'. Possible values: ${members.join(', ')}.`);
    next[prop] = hit;
  }
  if (body.assignedTo !== undefined) {
    if (body.assignedTo !== null && typeof body.assignedTo !== 'string') return badRequest(gc, "Cannot convert the literal to the expected type 'Edm.String' for property 'assignedTo'.");
    next.assignedTo = body.assignedTo;
  }
  if (body.customTags !== undefined) {
    if (!Array.isArray(body.customTags) || body.customTags.some((t) => typeof t !== 'string')) return badRequest(gc, "The property 'customTags' must be a collection of strings.");
    next.customTags = [...(body.customTags as string[])];
  }
  if (!Object.keys(next).length) return undefined;
  Object.assign(i, next);
  i.lastUpdateDateTime = iso7(Date.now(), gc.sim.rng.int(0, 9999));
  return undefined;
}

const ID = '([^/]+)';

export const graphIncidentRoutes: GraphRoute[] = [
  {
    method: 'GET', pattern: /^\/security\/incidents$/i, family: 'graph-incidents', roles: SECURITY_INCIDENT_READ,
    handler: (gc) => {
      const expand = [...gc.req.query].find(([k]) => k.toLowerCase() === '$expand')?.[1] ?? '';
      const expanding = /(^|,)\s*alerts\s*(,|$)/i.test(expand);
      return listPage(gc, newestFirst(gc.sim.state.incidents), GRAPH_INCIDENT_SPEC, graphIncidentFilterValues, expanding ? 'security/incidents(alerts())' : 'security/incidents', (i, expand) => view(gc, i, expand));
    },
  },
  {
    method: 'GET', pattern: new RegExp(`^/security/incidents/${ID}$`, 'i'), family: 'graph-incidents', roles: SECURITY_INCIDENT_READ,
    handler: (gc, [id]) => {
      let expand: string[];
      try {
        expand = parseEntityQuery(gc.req.query, GRAPH_INCIDENT_SPEC);
      } catch (e) {
        if (e instanceof GraphQueryError) return badRequest(gc, e.message);
        throw e;
      }
      const i = findIncident(gc, id!);
      if (!i) return notFound(gc, `Incident '${id}' was not found.`);
      return graphOk({ '@odata.context': `${gc.base}/$metadata#security/incidents/$entity`, ...view(gc, i, expand) });
    },
  },
  {
    method: 'PATCH', pattern: new RegExp(`^/security/incidents/${ID}$`, 'i'), family: 'graph-incidents', roles: SECURITY_INCIDENT_WRITE,
    handler: (gc, [id]) => {
      const i = findIncident(gc, id!);
      if (!i) return notFound(gc, `Incident '${id}' was not found.`);
      const b = graphBody(gc, UPDATABLE, GRAPH_INCIDENT_TYPE);
      if (!b.ok) return b.response;
      const err = update(gc, i, b.body);
      if (err) return err;
      return graphOk({ '@odata.context': `${gc.base}/$metadata#security/incidents/$entity`, ...view(gc, i, []) });
    },
  },
  {
    method: 'POST', pattern: new RegExp(`^/security/incidents/${ID}/comments$`, 'i'), family: 'graph-incidents', roles: SECURITY_INCIDENT_WRITE,
    handler: (gc, [id]) => {
      const i = findIncident(gc, id!);
      if (!i) return notFound(gc, `Incident '${id}' was not found.`);
      const c = graphCommentText(gc);
      if (!c.ok) return c.response;
      const stamp = iso7(Date.now(), gc.sim.rng.int(0, 9999));
      i.comments.push({ comment: c.comment, createdByDisplayName: gc.principal.displayName, createdDateTime: stamp });
      i.lastUpdateDateTime = stamp;
      return graphOk({ '@odata.context': `${gc.base}/$metadata#security/incidents('${i.id}')/comments`, value: i.comments.map((c) => ({ ...c })) });
    },
  },
];
