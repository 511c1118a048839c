// Alerts: list/get with OData, update, batch update, related entities (mde-api.md §4.1).
import { iso7, mdeError, odata, empty } from '../http-util';
import { applyOData, nextLink, ODataError, type EntitySetSpec } from '../odata';
import type { SimAlert } from '../types';
import { fileEntity } from '../entities';
import { ALERT_READ, ALERT_WRITE, MACHINE_READ, findMachine, missing, notFound, odataError, readBody, type Route, type RouteCtx } from './route';

export const ALERT_SPEC: EntitySetSpec = {
  typeName: 'microsoft.windowsDefenderATP.api.PublicAlertV2Entity',
  // Learn, get-alerts.md: "$filter on: alertCreationTime, lastUpdateTime, incidentId, InvestigationId, id,
  // assignedTo, detectionSource, lastEventTime, status, severity and category". Not machineId: a
  // device's alerts come from /machines/{id}/alerts.
  filterable: ['alertCreationTime', 'lastUpdateTime', 'incidentId', 'investigationId', 'id', 'assignedTo', 'detectionSource', 'lastEventTime', 'status', 'severity', 'category'],
  dateProps: ['alertCreationTime', 'lastUpdateTime', 'lastEventTime', 'firstEventTime', 'resolvedTime'],
};

const STATUS = ['New', 'InProgress', 'Resolved'];
const CLASSIFICATION = ['TruePositive', 'InformationalExpectedActivity', 'FalsePositive'];
const DETERMINATION = [
  'MultiStagedAttack', 'MaliciousUserActivity', 'CompromisedUser', 'CompromisedAccount', 'Malware', 'Phishing', 'UnwantedSoftware', 'Other',
  'SecurityTesting', 'LineOfBusinessApplication', 'ConfirmedUserActivity', 'ConfirmedActivity', 'Clean', 'NotMalicious', 'InsufficientData', 'NotEnoughDataToValidate',
];
const UPDATABLE = ['status', 'assignedTo', 'classification', 'determination', 'comment'];

function expandEvidence(rc: RouteCtx): boolean {
  const v = [...rc.req.query].find(([k]) => k.toLowerCase() === '$expand')?.[1];
  if (v === undefined || v.trim() === '') return false;
  const parts = v.split(',').map((s) => s.trim());
  for (const p of parts) if (p.toLowerCase() !== 'evidence') throw new ODataError(`Could not find a property named '${p}' on type '${ALERT_SPEC.typeName}'.`);
  return true;
}

function view(a: SimAlert, withEvidence: boolean): SimAlert {
  return { ...a, comments: [...a.comments], evidence: withEvidence ? a.evidence : [] };
}

export function listAlerts(rc: RouteCtx, source: SimAlert[], contextName = 'Alerts') {
  try {
    const withEvidence = expandEvidence(rc);
    const r = applyOData(source, rc.req.query, ALERT_SPEC, rc.sim.options.pageSize);
    const body: Record<string, unknown> = { '@odata.context': `${rc.base}/$metadata#${contextName}` };
    if (/^true$/i.test(rc.req.query.get('$count') ?? '')) body['@odata.count'] = r.items.length;
    body.value = r.items.map((a) => view(a, withEvidence));
    if (r.nextSkip !== undefined) body['@odata.nextLink'] = nextLink(rc.req.origin, rc.req.path, rc.req.query, r.nextSkip);
    return odata(200, body);
  } catch (e) {
    return odataError(e);
  }
}

function getAlert(rc: RouteCtx, id: string): SimAlert | undefined {
  return rc.sim.state.alerts.find((a) => a.id === id);
}

/** Applies an update body; returns an error response or undefined. */
function applyUpdate(rc: RouteCtx, a: SimAlert, body: Record<string, unknown>) {
  for (const [k, allowed] of [['status', STATUS], ['classification', CLASSIFICATION], ['determination', DETERMINATION]] as const) {
    const v = body[k];
    if (v === undefined || (v === null && k !== 'status')) continue;
    if (typeof v !== 'string' || !allowed.includes(v)) return mdeError(400, 'InvalidInput', `Invalid input ${k}: ${String(v)}. Allowed values: ${allowed.join(', ')}.`);
  }
  if (body.assignedTo !== undefined && body.assignedTo !== null && typeof body.assignedTo !== 'string') return mdeError(400, 'InvalidInput', 'Invalid input assignedTo.');
  if (body.comment !== undefined && body.comment !== null && typeof body.comment !== 'string') return mdeError(400, 'InvalidInput', 'Invalid input comment.');
  const now = Date.now();
  const stamp = iso7(now, rc.sim.rng.int(0, 9999));
  if (typeof body.status === 'string') {
    if (body.status === 'Resolved' && a.status !== 'Resolved') a.resolvedTime = stamp;
    if (body.status !== 'Resolved') a.resolvedTime = null;
    a.status = body.status;
  }
  if (body.assignedTo !== undefined) a.assignedTo = body.assignedTo;
  if (body.classification !== undefined) a.classification = body.classification;
  if (body.determination !== undefined) a.determination = body.determination;
  if (typeof body.comment === 'string' && body.comment !== '') a.comments.push({ comment: body.comment, createdBy: rc.principal.displayName, createdTime: stamp });
  a.lastUpdateTime = stamp;
  return undefined;
}

function related(rc: RouteCtx, id: string, what: string) {
  const a = getAlert(rc, id);
  if (!a) return notFound(`Alert ${id} was not found`);
  const ev = a.evidence;
  switch (what) {
    case 'machine': {
      const m = findMachine(rc.sim, a.machineId);
      if (!m) return notFound(`Machine ${a.machineId} was not found`);
      return odata(200, { '@odata.context': `${rc.base}/$metadata#Machines/$entity`, ...m });
    }
    case 'user': {
      const u = a.relatedUser as { userName: string; domainName: string } | null;
      if (!u) return notFound(`User for alert ${id} was not found`);
      return odata(200, {
        '@odata.context': `${rc.base}/$metadata#Users/$entity`,
        id: `${u.domainName.toLowerCase()}\\${u.userName}`, accountName: u.userName, accountDomain: u.domainName,
        accountSid: `S-1-5-21-1004336348-1177238915-682003330-${1000 + u.userName.length}`, firstSeen: a.firstEventTime, lastSeen: a.lastEventTime,
        mostPrevalentMachineId: a.machineId, leastPrevalentMachineId: a.machineId, logonTypes: 'Interactive', logOnMachinesCount: 1, isDomainAdmin: false, isOnlyNetworkUser: false,
      });
    }
    case 'files': {
      // The same File entity /files/{sha1} answers (the alert itself is a sighting, so it always resolves).
      const files = ev.filter((e) => typeof e.sha1 === 'string').map((e) => fileEntity(rc.sim.state, String(e.sha1))).filter((f) => f !== undefined);
      return odata(200, { '@odata.context': `${rc.base}/$metadata#Files`, value: files });
    }
    case 'ips':
      return odata(200, { '@odata.context': `${rc.base}/$metadata#Ips`, value: ev.filter((e) => typeof e.ipAddress === 'string').map((e) => ({ id: e.ipAddress })) });
    case 'domains': {
      const hosts = new Set<string>();
      for (const e of ev) {
        if (typeof e.url !== 'string') continue;
        try {
          hosts.add(new URL(/^[a-z]+:\/\//i.test(e.url) ? e.url : `https://${e.url}`).hostname);
        } catch {
          /* not a URL: nothing to report */
        }
      }
      return odata(200, { '@odata.context': `${rc.base}/$metadata#Domains`, value: [...hosts].map((host) => ({ host })) });
    }
  }
  return empty(404);
}

const ID = '([^/]+)';

export const alertRoutes: Route[] = [
  { method: 'GET', pattern: /^\/alerts$/i, family: 'alerts', roles: ALERT_READ, handler: (rc) => listAlerts(rc, rc.sim.state.alerts) },
  {
    method: 'POST', pattern: /^\/alerts\/batchUpdate$/i, family: 'alerts', roles: ALERT_WRITE,
    handler: (rc) => {
      const b = readBody(rc.req, ['alertIds', ...UPDATABLE]);
      if (!b.ok) return b.response;
      const ids = b.body.alertIds;
      if (!Array.isArray(ids) || ids.length === 0) return missing('alertIds');
      const alerts = ids.map((id) => getAlert(rc, String(id)));
      const unknown = ids.find((_, i) => !alerts[i]);
      if (unknown !== undefined) return notFound(`Alert ${String(unknown)} was not found`);
      for (const a of alerts) {
        const err = applyUpdate(rc, a!, b.body);
        if (err) return err;
      }
      return empty(200);
    },
  },
  {
    method: 'GET', pattern: new RegExp(`^/alerts/${ID}$`, 'i'), family: 'alerts', roles: ALERT_READ,
    handler: (rc, [id]) => {
      const a = getAlert(rc, id);
      if (!a) return notFound(`Alert ${id} was not found`);
      try {
        return odata(200, { '@odata.context': `${rc.base}/$metadata#Alerts/$entity`, ...view(a, expandEvidence(rc)) });
      } catch (e) {
        return odataError(e);
      }
    },
  },
  {
    method: 'PATCH', pattern: new RegExp(`^/alerts/${ID}$`, 'i'), family: 'alerts', roles: ALERT_WRITE,
    handler: (rc, [id]) => {
      const a = getAlert(rc, id);
      if (!a) return notFound(`Alert ${id} was not found`);
      const b = readBody(rc.req, UPDATABLE);
      if (!b.ok) return b.response;
      if (!Object.keys(b.body).some((k) => UPDATABLE.includes(k))) return mdeError(400, 'InvalidRequestBody', 'Request body is incorrect: nothing to update');
      const err = applyUpdate(rc, a, b.body);
      if (err) return err;
      return odata(200, { '@odata.context': `${rc.base}/$metadata#Alerts/$entity`, ...view(a, false) });
    },
  },
  { method: 'GET', pattern: new RegExp(`^/alerts/${ID}/machine$`, 'i'), family: 'alerts', roles: MACHINE_READ, handler: (rc, [id]) => related(rc, id, 'machine') },
  { method: 'GET', pattern: new RegExp(`^/alerts/${ID}/user$`, 'i'), family: 'alerts', roles: ['User.Read.All'], handler: (rc, [id]) => related(rc, id, 'user') },
  { method: 'GET', pattern: new RegExp(`^/alerts/${ID}/files$`, 'i'), family: 'alerts', roles: ['File.Read.All'], handler: (rc, [id]) => related(rc, id, 'files') },
  { method: 'GET', pattern: new RegExp(`^/alerts/${ID}/ips$`, 'i'), family: 'alerts', roles: ['Ip.Read.All'], handler: (rc, [id]) => related(rc, id, 'ips') },
  { method: 'GET', pattern: new RegExp(`^/alerts/${ID}/domains$`, 'i'), family: 'alerts', roles: ['URL.Read.All'], handler: (rc, [id]) => related(rc, id, 'domains') },
  {
    method: 'GET', pattern: new RegExp(`^/machines/${ID}/alerts$`, 'i'), family: 'alerts', roles: ALERT_READ,
    handler: (rc, [id]) => {
      const m = findMachine(rc.sim, id);
      if (!m) return notFound(`Machine ${id} was not found`);
      return listAlerts(rc, rc.sim.state.alerts.filter((a) => a.machineId === m.id));
    },
  },
];
