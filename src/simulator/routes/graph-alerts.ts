// Graph `/security/alerts_v2`: list, get, update, comment (security-list-alerts_v2.md,
// security-alert-get.md, security-alert-update.md, security-alert-post-comments.md). The alerts
// are the MDE API's records seen through Graph's field names (../graph-shape), so an update on
// either API shows on the other.
import { iso7 } from '../http-util';
import type { GraphSetSpec } from '../graph-odata';
import { GraphQueryError, parseEntityQuery } from '../graph-odata';
import {
  enumMember,
  graphAlertFilterValues,
  graphAlertView,
  GRAPH_ALERT_STATUSES,
  GRAPH_ALERT_TYPE,
  GRAPH_CLASSIFICATIONS,
  GRAPH_DETERMINATION_ALIASES,
  GRAPH_DETERMINATIONS,
  GRAPH_SERVICE_SOURCES,
  GRAPH_SEVERITIES,
  mdeClassification,
  mdeDetermination,
  mdeStatus,
} from '../graph-shape';
import type { SimAlert } from '../types';
import { badRequest, graphBody, graphCommentText, graphOk, listPage, notFound, SECURITY_ALERT_READ, SECURITY_ALERT_WRITE, type GraphCtx, type GraphRoute } from './graph-route';

export const GRAPH_ALERT_SPEC: GraphSetSpec = {
  typeName: GRAPH_ALERT_TYPE,
  filterable: {
    assignedTo: { kind: 'text' },
    classification: { kind: 'enum', members: GRAPH_CLASSIFICATIONS },
    determination: { kind: 'enum', members: GRAPH_DETERMINATIONS, aliases: GRAPH_DETERMINATION_ALIASES },
    createdDateTime: { kind: 'date' },
    lastUpdateDateTime: { kind: 'date' },
    severity: { kind: 'enum', members: GRAPH_SEVERITIES },
    serviceSource: { kind: 'enum', members: GRAPH_SERVICE_SOURCES },
    status: { kind: 'enum', members: GRAPH_ALERT_STATUSES },
  },
  options: ['$count', '$filter', '$skip', '$top'],
};

/** Values the update page lists (unknownFutureValue is a sentinel: "Don't use"). */
const UPDATE_STATUSES = ['new', 'inProgress', 'resolved'];
const UPDATABLE = ['status', 'classification', 'determination', 'assignedTo'];

export function findAlert(gc: GraphCtx, id: string): SimAlert | undefined {
  return gc.sim.state.alerts.find((a) => a.id === id);
}

export function alertView(gc: GraphCtx, a: SimAlert): Record<string, unknown> {
  return graphAlertView(a, gc.sim.state.machines.find((m) => m.id === a.machineId));
}

/** Graph lists the most recent alerts first (the list page: "displayed at the top of the list"). */
function newestFirst<T>(rows: readonly T[]): T[] {
  const out = new Array<T>(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = rows[rows.length - 1 - i]!;
  return out;
}

function enumValue(gc: GraphCtx, prop: string, value: unknown, members: readonly string[], aliases?: Record<string, string>): string | { error: ReturnType<typeof badRequest> } {
  const hit = enumMember(members, value, aliases);
  if (!hit) return { error: badRequest(gc, `Requested value '${String(value)}' was not found for property '${prop}'. Possible values: ${members.join(', ')}.`) };
  return hit;
}

function update(gc: GraphCtx, a: SimAlert, body: Record<string, unknown>): ReturnType<typeof badRequest> | undefined {
  const changes: Record<string, unknown> = {};
  if (body.status !== undefined) {
    const v = enumValue(gc, 'status', body.status, UPDATE_STATUSES);
    if (typeof v !== 'string') return v.error;
    changes.status = v;
  }
  if (body.classification !== undefined) {
    const v = enumValue(gc, 'classification', body.classification, GRAPH_CLASSIFICATIONS);
    if (typeof v !== 'string') return v.error;
    changes.classification = v;
  }
  if (body.determination !== undefined) {
    const v = enumValue(gc, 'determination', body.determination, GRAPH_DETERMINATIONS, GRAPH_DETERMINATION_ALIASES);
    if (typeof v !== 'string') return v.error;
    changes.determination = v;
  }
  if (body.assignedTo !== undefined) {
    if (body.assignedTo !== null && typeof body.assignedTo !== 'string') return badRequest(gc, "Cannot convert the literal to the expected type 'Edm.String' for property 'assignedTo'.");
    changes.assignedTo = body.assignedTo;
  }
  if (!Object.keys(changes).length) return undefined;
  const stamp = iso7(Date.now(), gc.sim.rng.int(0, 9999));
  if (typeof changes.status === 'string') {
    const status = mdeStatus(changes.status);
    if (status === 'Resolved' && a.status !== 'Resolved') a.resolvedTime = stamp;
    if (status !== 'Resolved') a.resolvedTime = null;
    a.status = status;
  }
  if (typeof changes.classification === 'string') a.classification = mdeClassification(changes.classification);
  if (typeof changes.determination === 'string') a.determination = mdeDetermination(changes.determination);
  if ('assignedTo' in changes) a.assignedTo = changes.assignedTo;
  a.lastUpdateTime = stamp;
  return undefined;
}

const ID = '([^/]+)';

export const graphAlertRoutes: GraphRoute[] = [
  {
    method: 'GET', pattern: /^\/security\/alerts_v2$/i, family: 'graph-alerts', roles: SECURITY_ALERT_READ,
    handler: (gc) => listPage(gc, newestFirst(gc.sim.state.alerts), GRAPH_ALERT_SPEC, graphAlertFilterValues, 'security/alerts_v2', (a) => alertView(gc, a)),
  },
  {
    method: 'GET', pattern: new RegExp(`^/security/alerts_v2/${ID}$`, 'i'), family: 'graph-alerts', roles: SECURITY_ALERT_READ,
    handler: (gc, [id]) => {
      try {
        parseEntityQuery(gc.req.query, GRAPH_ALERT_SPEC);
      } catch (e) {
        if (e instanceof GraphQueryError) return badRequest(gc, e.message);
        throw e;
      }
      const a = findAlert(gc, id!);
      if (!a) return notFound(gc, `Alert '${id}' was not found.`);
      return graphOk({ '@odata.context': `${gc.base}/$metadata#security/alerts_v2/$entity`, ...alertView(gc, a) });
    },
  },
  {
    method: 'PATCH', pattern: new RegExp(`^/security/alerts_v2/${ID}$`, 'i'), family: 'graph-alerts', roles: SECURITY_ALERT_WRITE,
    handler: (gc, [id]) => {
      const a = findAlert(gc, id!);
      if (!a) return notFound(gc, `Alert '${id}' was not found.`);
      const b = graphBody(gc, UPDATABLE, GRAPH_ALERT_TYPE);
      if (!b.ok) return b.response;
      const err = update(gc, a, b.body);
      if (err) return err;
      return graphOk({ '@odata.context': `${gc.base}/$metadata#security/alerts_v2/$entity`, ...alertView(gc, a) });
    },
  },
  {
    method: 'POST', pattern: new RegExp(`^/security/alerts_v2/${ID}/comments$`, 'i'), family: 'graph-alerts', roles: SECURITY_ALERT_WRITE,
    handler: (gc, [id]) => {
      const a = findAlert(gc, id!);
      if (!a) return notFound(gc, `Alert '${id}' was not found.`);
      const c = graphCommentText(gc);
      if (!c.ok) return c.response;
      const stamp = iso7(Date.now(), gc.sim.rng.int(0, 9999));
      a.comments.push({ comment: c.comment, createdBy: gc.principal.displayName, createdTime: stamp });
      a.lastUpdateTime = stamp;
      return graphOk({ '@odata.context': `${gc.base}/$metadata#security/alerts_v2('${a.id}')/comments`, value: alertView(gc, a).comments });
    },
  },
];
