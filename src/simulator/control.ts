// `/_simulator/*`: unauthenticated knobs and views for tests and the demo (loopback use only).
import type { SimContext } from './context';
import { json, parseJsonBody } from './http-util';
import { normalizeDate } from './odata';
import type { TenantStore } from './tenant-data';
import type { ActionOutcome, Faults, RateLimitConfig, SimAlert, SimRequest, SimResponse } from './types';

/** Admin consent of an app in a tenant: true = all the app's roles, false = none (no service principal), or only these roles. */
export type ConsentChange = boolean | { roles?: string[]; graphRoles?: string[] };

/** A tenant's data by id or verified domain; throws for an unknown tenant. */
export function tenantStore(sim: SimContext, idOrDomain: string): TenantStore {
  const lower = String(idOrDomain).toLowerCase();
  const tenant = sim.tenants.find((t) => t.id.toLowerCase() === lower || t.domains.some((d) => d.toLowerCase() === lower));
  const store = tenant && sim.stores.get(tenant.id.toLowerCase());
  if (!store) throw new Error(`unknown tenant ${idOrDomain}`);
  return store;
}

export function setConsent(sim: SimContext, idOrDomain: string, clientId: string, consent: ConsentChange): void {
  const tenantId = tenantStore(sim, idOrDomain).tenantId;
  const app = sim.apps.find((a) => a.clientId.toLowerCase() === String(clientId).toLowerCase());
  if (!app) throw new Error(`unknown app ${clientId}`);
  const key = tenantId.toLowerCase();
  app.tenants = app.tenants.filter((t) => t.toLowerCase() !== key);
  const grants = { ...(app.tenantGrants ?? {}) };
  delete grants[key];
  if (consent !== false) {
    app.tenants.push(tenantId);
    if (typeof consent === 'object' && consent !== null) {
      grants[key] = { roles: [...(consent.roles ?? [])], graphRoles: [...(consent.graphRoles ?? [])] };
    }
  }
  app.tenantGrants = grants;
}

/** When new alerts become visible and which timestamps they carry. */
export interface PublishOptions {
  /** Insert them this much later (they are built now: ids and timestamps are final). */
  visibleInMs?: number;
  /** createdDateTime = lastUpdateDateTime = (moment they become visible) − lateByMs: an ingestion delay. */
  lateByMs?: number;
  /** Existing incident to join; default: a new incident (one for the whole burst). */
  incidentId?: number;
}

export interface AlertUpdate {
  status?: string;
  assignedTo?: string | null;
  classification?: string | null;
  determination?: string | null;
  comment?: string;
  /** Default now. */
  lastUpdateTime?: string;
}

export interface ControlHooks {
  addAlert(partial?: Partial<SimAlert>): SimAlert;
  /** `count` alerts with identical timestamps (a burst); throws Error with a message for a 400. */
  addAlerts(count: number, partial: Partial<SimAlert>, opts: PublishOptions): SimAlert[];
  /** A portal-side change to an alert (an analyst, automated investigation ...); undefined when unknown. */
  updateAlert(id: string, changes: AlertUpdate): SimAlert | undefined;
  setFaults(f: Faults): void;
  setRateLimits(r: RateLimitConfig): void;
  clearLog(): void;
}

/** ISO-8601 text → the simulator's 7-digit form; null when not a date. */
function timestamp(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const n = normalizeDate(v.trim());
  return n === undefined ? null : `${n}Z`;
}

type PublishInput = { partial: Partial<SimAlert>; opts: PublishOptions; timed: boolean };

/**
 * Alert fields for the control API: MDE names as stored, Graph's createdDateTime /
 * lastUpdateDateTime accepted for the timestamps, plus lateByMs / visibleInMs / incidentId.
 */
function publishInput(raw: Record<string, unknown>): PublishInput | string {
  const { createdDateTime, lastUpdateDateTime, lateByMs, visibleInMs, ...rest } = raw;
  const partial = { ...rest } as Partial<SimAlert> & Record<string, unknown>;
  const opts: PublishOptions = {};
  for (const [name, value, key] of [['createdDateTime', createdDateTime ?? rest.alertCreationTime, 'alertCreationTime'], ['lastUpdateDateTime', lastUpdateDateTime ?? rest.lastUpdateTime, 'lastUpdateTime']] as const) {
    if (value === undefined) continue;
    const t = timestamp(value);
    if (t === null) return `${name} must be an ISO date-time such as 2026-01-31T10:00:00.1234567Z`;
    partial[key] = t;
  }
  for (const [name, value] of [['lateByMs', lateByMs], ['visibleInMs', visibleInMs]] as const) {
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 30 * 86_400_000) return `${name} must be a number of milliseconds (0 to 30 days)`;
    opts[name] = value;
  }
  if (partial.incidentId !== undefined) {
    if (typeof partial.incidentId !== 'number' || !Number.isInteger(partial.incidentId)) return 'incidentId must be the number of an existing incident';
    opts.incidentId = partial.incidentId;
    delete partial.incidentId;
  }
  const timed = opts.visibleInMs !== undefined || opts.lateByMs !== undefined || opts.incidentId !== undefined || partial.alertCreationTime !== undefined || partial.lastUpdateTime !== undefined;
  return { partial, opts, timed };
}

/** Machines with their simulator-only isolation state, plus counts and recent actions. */
export function stateView(sim: SimContext): Record<string, unknown> {
  const s = sim.state;
  return {
    counts: {
      alerts: s.alerts.length,
      incidents: s.incidents.length,
      machines: s.machines.length,
      actions: s.actions.length,
      tables: Object.fromEntries(Object.entries(s.tables).map(([k, t]) => [k, t.rows.length])),
      requests: sim.log.length,
    },
    machines: s.machines.map((m) => ({
      id: m.id,
      computerDnsName: m.computerDnsName,
      osPlatform: m.osPlatform,
      machineTags: m.machineTags,
      isolationState: s.machineInternal.get(m.id)?.isolationState ?? 'NotIsolated',
      isolationType: s.machineInternal.get(m.id)?.isolationType ?? null,
    })),
    actions: s.actions.slice(-50),
    faults: sim.faults,
  };
}

export function handleControl(sim: SimContext, req: SimRequest, hooks: ControlHooks): SimResponse {
  const route = req.path.replace(/^\/_simulator/i, '').replace(/\/+$/, '').toLowerCase() || '/';
  const body = () => {
    const b = parseJsonBody(req.body);
    return b instanceof Error ? undefined : b;
  };
  const bad = (msg: string) => json(400, { error: msg });
  const key = `${req.method} ${route}`;
  // `?tenant=<id or domain>`: the alert routes and the state view act on that tenant's data.
  const tenantParam = req.query.get('tenant');
  if (tenantParam) {
    let store: TenantStore;
    try {
      store = tenantStore(sim, tenantParam);
    } catch (e) {
      return json(404, { error: (e as Error).message });
    }
    if (key === 'GET /state') return json(200, stateView(Object.create(sim, { state: { value: store.state } }) as SimContext));
    hooks = { ...hooks, addAlert: store.addAlert, addAlerts: store.addAlerts, updateAlert: store.updateAlert };
  }
  if (key === 'POST /consent') {
    const p = body() as Record<string, unknown> | undefined;
    if (typeof p !== 'object' || p === null || Array.isArray(p)) return bad('body must be a JSON object: { "tenantId", "clientId", "granted": true|false, "roles"?, "graphRoles"? }');
    const { tenantId, clientId, granted, roles, graphRoles } = p;
    if (typeof tenantId !== 'string' || typeof clientId !== 'string' || typeof granted !== 'boolean') return bad('tenantId and clientId must be text, granted true or false');
    for (const [name, v] of [['roles', roles], ['graphRoles', graphRoles]] as const) {
      if (v !== undefined && !(Array.isArray(v) && v.every((r) => typeof r === 'string'))) return bad(`${name} must be a list of role names`);
    }
    const partial = granted && (roles !== undefined || graphRoles !== undefined);
    try {
      setConsent(sim, tenantId, clientId, partial ? { roles: roles as string[] | undefined, graphRoles: graphRoles as string[] | undefined } : granted);
    } catch (e) {
      return json(404, { error: (e as Error).message });
    }
    return json(200, { ok: true });
  }
  switch (key) {
    case 'GET /health':
      return json(200, { status: 'ok', tenantId: sim.tenants[0]?.id, alerts: sim.state.alerts.length, machines: sim.state.machines.length });
    case 'GET /state':
      return json(200, stateView(sim));
    case 'GET /requests':
      return json(200, { value: sim.log });
    case 'POST /reset-log':
      hooks.clearLog();
      return json(200, { ok: true });
    case 'POST /faults': {
      const f = body();
      if (typeof f !== 'object' || f === null || Array.isArray(f)) return bad('body must be a JSON object of faults');
      hooks.setFaults(f as Faults);
      return json(200, { ok: true, faults: sim.faults });
    }
    case 'POST /action-outcomes': {
      // How the device's next actions end: { "<machine id or computer name>": "Failed" | "TimeOut" | "Succeeded" | null }.
      const o = body();
      if (typeof o !== 'object' || o === null || Array.isArray(o)) return bad('body must be a JSON object: { "<machine id or computer name>": "Succeeded" | "Failed" | "TimeOut" | null }');
      for (const [machine, outcome] of Object.entries(o as Record<string, unknown>)) {
        if (outcome !== null && outcome !== 'Succeeded' && outcome !== 'Failed' && outcome !== 'TimeOut') return bad(`outcome for ${machine} must be Succeeded, Failed, TimeOut or null`);
      }
      for (const [machine, outcome] of Object.entries(o as Record<string, ActionOutcome | null>)) {
        const key = machine.toLowerCase();
        if (outcome === null) sim.actionOutcomes.delete(key);
        else sim.actionOutcomes.set(key, outcome);
      }
      return json(200, { ok: true, actionOutcomes: Object.fromEntries(sim.actionOutcomes) });
    }
    case 'POST /rate-limits': {
      const r = body();
      if (r !== false && (typeof r !== 'object' || r === null || Array.isArray(r))) return bad('body must be false or a JSON object of per-family windows');
      hooks.setRateLimits(r as RateLimitConfig);
      return json(200, { ok: true });
    }
    case 'POST /alerts': {
      const p = body();
      if (p !== undefined && (typeof p !== 'object' || p === null || Array.isArray(p))) return bad('body must be a JSON object (alert fields)');
      const input = publishInput((p ?? {}) as Record<string, unknown>);
      if (typeof input === 'string') return bad(input);
      if (!input.timed) return json(201, hooks.addAlert(input.partial));
      try {
        return json(201, hooks.addAlerts(1, input.partial, input.opts)[0]);
      } catch (e) {
        return bad((e as Error).message);
      }
    }
    case 'POST /alerts/burst': {
      const p = body();
      if (typeof p !== 'object' || p === null || Array.isArray(p)) return bad('body must be a JSON object: { "count": 50, ...alert fields, "lateByMs"?, "visibleInMs"? }');
      const { count, ...rest } = p as Record<string, unknown>;
      if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > 20_000) return bad('count must be a whole number from 1 to 20000');
      const input = publishInput(rest);
      if (typeof input === 'string') return bad(input);
      try {
        const alerts = hooks.addAlerts(count, input.partial, input.opts);
        return json(201, { count: alerts.length, value: alerts });
      } catch (e) {
        return bad((e as Error).message);
      }
    }
  }
  const update = /^post \/alerts\/([^/]+)\/update$/i.exec(`${req.method} ${req.path.replace(/^\/_simulator/i, '')}`);
  if (update) {
    const p = body();
    if (typeof p !== 'object' || p === null || Array.isArray(p)) return bad('body must be a JSON object: { "status"?, "assignedTo"?, "classification"?, "determination"?, "comment"?, "lastUpdateDateTime"? }');
    const o = p as Record<string, unknown>;
    const known = ['status', 'assignedTo', 'classification', 'determination', 'comment', 'lastUpdateDateTime', 'lastUpdateTime'];
    const unknown = Object.keys(o).find((k) => !known.includes(k));
    if (unknown) return bad(`unknown field ${unknown}; use ${known.join(', ')}`);
    const when = o.lastUpdateDateTime ?? o.lastUpdateTime;
    const stamp = when === undefined ? undefined : timestamp(when);
    if (stamp === null) return bad('lastUpdateDateTime must be an ISO date-time');
    const changed = hooks.updateAlert(decodeURIComponent(update[1]!), { ...(o as AlertUpdate), lastUpdateTime: stamp });
    return changed ? json(200, changed) : json(404, { error: `unknown alert ${update[1]}` });
  }
  return json(404, { error: `unknown control route ${req.method} ${req.path}` });
}
