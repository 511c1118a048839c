// Custom indicators (mde-api.md §4.5, §5.4): list with OData, submit-or-update, delete, import.
// Built from Microsoft's reference pages (post-ti-indicator.md, get-ti-indicators-collection.md,
// delete-ti-indicator-by-id.md, import-ti-indicators.md, ti-indicator.md); error codes from
// common-errors.md (InvalidHashValue, InvalidDomainName, InvalidIpAddress, InvalidUrl ...).
import * as net from 'node:net';
import { empty, iso7, mdeError, odata } from '../http-util';
import { applyOData, type EntitySetSpec } from '../odata';
import type { Principal } from '../auth';
import type { SimIndicator, SimResponse } from '../types';
import { missing, notFound, odataError, readBody, type Route, type RouteCtx } from './route';

/** Every indicator call: Ti.ReadWrite (own indicators only) or Ti.ReadWrite.All. */
const TI_ROLES = ['Ti.ReadWrite', 'Ti.ReadWrite.All'];

export const INDICATOR_SPEC: EntitySetSpec = {
  typeName: 'microsoft.windowsDefenderATP.api.PublicIndicator',
  // get-ti-indicators-collection.md: "$filter query is supported on: application, createdByDisplayName,
  // expirationTime, generateAlert, title, rbacGroupNames, rbacGroupIds, indicatorValue, indicatorType,
  // creationTimeDateTimeUtc, createdBy, action, and severity".
  filterable: ['application', 'createdByDisplayName', 'expirationTime', 'generateAlert', 'title', 'rbacGroupNames', 'rbacGroupIds', 'indicatorValue', 'indicatorType', 'creationTimeDateTimeUtc', 'createdBy', 'action', 'severity'],
  dateProps: ['expirationTime', 'creationTimeDateTimeUtc', 'lastUpdateTime'],
};

const TYPES = ['FileSha1', 'FileMd5', 'CertificateThumbprint', 'FileSha256', 'IpAddress', 'DomainName', 'Url'];
const ACTIONS = ['Alert', 'Warn', 'Block', 'Audit', 'BlockAndRemediate', 'AlertAndBlock', 'Allowed'];
const SEVERITIES = ['Informational', 'Low', 'Medium', 'High'];
const BODY = ['indicatorValue', 'indicatorType', 'action', 'application', 'title', 'description', 'expirationTime', 'severity', 'recommendedActions', 'rbacGroupNames', 'educateUrl', 'generateAlert'];
const IMPORT_MAX = 500;
const DEFAULT_MAX_ACTIVE = 15_000;
const HEX: Record<string, number> = { FileSha1: 40, FileSha256: 64, FileMd5: 32, CertificateThumbprint: 40 };

type Checked = { ok: true; body: Record<string, unknown> } | { ok: false; code: string; message: string };

const bad = (code: string, message: string): Checked => ({ ok: false, code, message });

function hostName(v: string): boolean {
  const labels = v.split('.');
  return v.length <= 253 && labels.length >= 2 && labels.every((l) => /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i.test(l)) && /^[a-z]{2,}|xn--/i.test(labels[labels.length - 1]);
}

/** The service's checks of one indicator body, as its documented error codes name them. */
function checkBody(b: Record<string, unknown>): Checked {
  for (const name of ['indicatorValue', 'indicatorType', 'action', 'title', 'description']) {
    if (b[name] === undefined || b[name] === null || b[name] === '') return bad('MissingRequiredParameter', `Parameter ${name} is missing.`);
  }
  const { indicatorValue: value, indicatorType: type, action } = b;
  if (typeof type !== 'string' || !TYPES.includes(type)) return bad('InvalidInput', `Invalid input indicatorType: ${String(type)}. Allowed values: ${TYPES.join(', ')}.`);
  if (typeof action !== 'string' || !ACTIONS.includes(action)) return bad('InvalidInput', `Invalid input action: ${String(action)}. Allowed values: ${ACTIONS.join(', ')}.`);
  if (typeof value !== 'string') return bad('InvalidInput', 'Invalid input indicatorValue.');
  if (HEX[type] && !new RegExp(`^[0-9a-f]{${HEX[type]}}$`, 'i').test(value)) return bad('InvalidHashValue', `Hash ${value} is invalid.`);
  if (type === 'IpAddress' && (!net.isIP(value) || value.includes('/'))) return bad('InvalidIpAddress', `IP address ${value} is invalid.`);
  if (type === 'DomainName' && !hostName(value)) return bad('InvalidDomainName', `Domain name ${value} is invalid.`);
  if (type === 'Url') {
    let ok = false;
    try {
      ok = /^https?:$/.test(new URL(value).protocol);
    } catch {
      ok = false;
    }
    if (!ok) return bad('InvalidUrl', `Url ${value} is invalid.`);
  }
  if (typeof b.title !== 'string' || typeof b.description !== 'string') return bad('InvalidInput', 'Invalid input title or description.');
  if (b.severity !== undefined && b.severity !== null && !SEVERITIES.includes(String(b.severity))) return bad('InvalidInput', `Invalid input severity: ${String(b.severity)}. Allowed values: ${SEVERITIES.join(', ')}.`);
  if (b.expirationTime !== undefined && b.expirationTime !== null && (typeof b.expirationTime !== 'string' || Number.isNaN(Date.parse(b.expirationTime)))) return bad('InvalidInput', `Invalid input expirationTime: ${String(b.expirationTime)}.`);
  if (b.generateAlert !== undefined && b.generateAlert !== null && typeof b.generateAlert !== 'boolean') return bad('InvalidInput', `Invalid input generateAlert: ${String(b.generateAlert)}.`);
  if (action === 'Audit' && b.generateAlert !== true) return bad('InvalidInput', 'GenerateAlert must be set to true when creating an indicator with action Audit.');
  const groups = b.rbacGroupNames;
  if (groups !== undefined && groups !== null && !(Array.isArray(groups) && groups.every((g) => typeof g === 'string')) && typeof groups !== 'string') return bad('InvalidInput', 'Invalid input rbacGroupNames.');
  return { ok: true, body: b };
}

const sameKey = (a: { indicatorType: string; indicatorValue: string }, type: string, value: string) => a.indicatorType === type && a.indicatorValue.toLowerCase() === value.toLowerCase();

function active(i: SimIndicator, now = Date.now()): boolean {
  return i.expirationTime === null || Date.parse(i.expirationTime) > now;
}

/** Ti.ReadWrite alone exposes only the indicators the app created (get-ti-indicators-collection.md, note). */
function visible(p: Principal, i: SimIndicator): boolean {
  return p.roles.some((r) => r.toLowerCase() === 'ti.readwrite.all') || i.createdBy === p.appId;
}

type Upsert = { ok: true; indicator: SimIndicator } | { ok: false; code: string; message: string };

/** Submit-or-update: the same type + value updates the existing indicator ("Submit or Update"). */
function upsert(rc: RouteCtx, b: Record<string, unknown>): Upsert {
  const state = rc.sim.state;
  const now = iso7(Date.now(), rc.sim.rng.int(0, 9999));
  const type = String(b.indicatorType);
  const value = String(b.indicatorValue);
  const groups = Array.isArray(b.rbacGroupNames) ? (b.rbacGroupNames as string[]) : typeof b.rbacGroupNames === 'string' && b.rbacGroupNames ? b.rbacGroupNames.split(',').map((x) => x.trim()) : [];
  const existing = state.indicators.find((i) => sameKey(i, type, value));
  const fields = {
    action: String(b.action),
    severity: typeof b.severity === 'string' ? b.severity : 'Informational',
    title: String(b.title),
    description: String(b.description),
    recommendedActions: typeof b.recommendedActions === 'string' ? b.recommendedActions : null,
    expirationTime: typeof b.expirationTime === 'string' ? new Date(Date.parse(b.expirationTime)).toISOString().replace(/\.000Z$/, 'Z') : null,
    rbacGroupNames: groups,
    rbacGroupIds: groups.map((_, n) => 100 + n),
    generateAlert: typeof b.generateAlert === 'boolean' ? b.generateAlert : false,
    educateUrl: typeof b.educateUrl === 'string' ? b.educateUrl : null,
    lastUpdateTime: now,
    lastUpdatedBy: rc.principal.displayName,
  };
  if (existing) {
    // post-ti-indicator.md: application "only works for new indicators".
    Object.assign(existing, fields);
    return { ok: true, indicator: existing };
  }
  const max = rc.sim.options.maxActiveIndicators ?? DEFAULT_MAX_ACTIVE;
  if (state.indicators.filter((i) => active(i)).length >= max) {
    // The limit is documented; the answer to going over it is not: a 400 in MDE's error shape.
    return { ok: false, code: 'BadRequest', message: `The tenant already has the maximum of ${max} active indicators.` };
  }
  const lastId = state.indicators.reduce((m, i) => Math.max(m, Number(i.id)), 1000);
  const indicator: SimIndicator = {
    id: String(lastId + 1),
    indicatorValue: value,
    indicatorType: type,
    application: typeof b.application === 'string' ? b.application : null,
    source: rc.principal.displayName,
    sourceType: 'AadApp',
    createdBy: rc.principal.appId,
    createdByDisplayName: rc.principal.displayName,
    createdBySource: 'PublicApi',
    category: 1,
    creationTimeDateTimeUtc: now,
    ...fields,
  };
  state.indicators.push(indicator);
  return { ok: true, indicator };
}

function listIndicators(rc: RouteCtx): SimResponse {
  try {
    const rows = rc.sim.state.indicators.filter((i) => active(i) && visible(rc.principal, i));
    const r = applyOData(rows, rc.req.query, INDICATOR_SPEC, rc.sim.options.pageSize);
    return odata(200, { '@odata.context': `${rc.base}/$metadata#Indicators`, value: r.items });
  } catch (e) {
    return odataError(e);
  }
}

function submit(rc: RouteCtx): SimResponse {
  const b = readBody(rc.req, BODY);
  if (!b.ok) return b.response;
  if (!Object.keys(b.body).length) return missing('indicatorValue');
  const checked = checkBody(b.body);
  if (!checked.ok) return mdeError(400, checked.code, checked.message);
  const done = upsert(rc, checked.body);
  if (!done.ok) return mdeError(400, done.code, done.message);
  return odata(200, { '@odata.context': `${rc.base}/$metadata#Indicators/$entity`, ...done.indicator });
}

function importIndicators(rc: RouteCtx): SimResponse {
  const b = readBody(rc.req, ['Indicators']);
  if (!b.ok) return b.response;
  const list = b.body.Indicators;
  if (list === undefined) return missing('Indicators');
  if (!Array.isArray(list) || list.length === 0) return mdeError(400, 'InvalidInput', 'Invalid input Indicators: a non-empty list of indicators is expected.');
  if (list.length > IMPORT_MAX) return mdeError(400, 'MaximumBatchSizeExceeded', `Maximum batch size exceeded. Received: ${list.length}, allowed: ${IMPORT_MAX}.`);
  const value = list.map((item) => {
    const shown = item && typeof item === 'object' && typeof (item as Record<string, unknown>).indicatorValue === 'string' ? String((item as Record<string, unknown>).indicatorValue) : '';
    const failed = (reason: string) => ({ id: null, indicator: shown, isFailed: true, failureReason: reason });
    if (!item || typeof item !== 'object' || Array.isArray(item)) return failed('Indicator is not an object.');
    const checked = checkBody(item as Record<string, unknown>);
    if (!checked.ok) return failed(checked.message);
    const done = upsert(rc, checked.body);
    if (!done.ok) return failed(done.message);
    return { id: done.indicator.id, indicator: done.indicator.indicatorValue, isFailed: false, failureReason: null };
  });
  return odata(200, { value });
}

function remove(rc: RouteCtx, id: string): SimResponse {
  const state = rc.sim.state;
  const i = state.indicators.findIndex((x) => x.id === id && visible(rc.principal, x));
  if (i < 0) return notFound(`Indicator ${id} was not found`);
  state.indicators.splice(i, 1);
  return empty(204);
}

export const indicatorRoutes: Route[] = [
  { method: 'GET', pattern: /^\/indicators$/i, family: 'indicators', roles: TI_ROLES, handler: listIndicators },
  { method: 'POST', pattern: /^\/indicators$/i, family: 'indicators', roles: TI_ROLES, handler: submit },
  { method: 'POST', pattern: /^\/indicators\/import$/i, family: 'indicators-import', roles: TI_ROLES, handler: importIndicators },
  { method: 'DELETE', pattern: /^\/indicators\/([^/]+)$/i, family: 'indicators', roles: TI_ROLES, handler: (rc, [id]) => remove(rc, id) },
];
