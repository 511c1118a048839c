// One tenant's data set and the portal-side changes to it (new alerts, analyst updates). The demo
// tenants share the historical data set; each partner customer tenant has its own, so nothing
// of one customer is ever visible with another customer's token.
import { schedule, type SimContext } from './context';
import type { AlertUpdate, PublishOptions } from './control';
import { iso7 } from './http-util';
import { joinIncident, nextIncidentId, openIncident, seedIncidents } from './incidents';
import { Rng } from './rng';
import { insertAlertInOrder, makeAlert, seedAlerts, seedHunting, seedMachines } from './seed';
import type { SimAlert, SimState } from './types';

export interface TenantStore {
  tenantId: string;
  state: SimState;
  addAlert(partial?: Partial<SimAlert>): SimAlert;
  addAlerts(count: number, partial?: Partial<SimAlert>, opts?: PublishOptions): SimAlert[];
  updateAlert(id: string, changes: AlertUpdate): SimAlert | undefined;
}

export interface SeedCounts {
  machines: number;
  alerts: number;
  process: number;
  network: number;
  file: number;
}

/** A fresh data set for one tenant, deterministic from `seed`; `domain` names a customer's machines. */
export function seedTenantState(seed: number, tenantId: string, now: number, counts: SeedCounts, domain?: string): SimState {
  const rng = new Rng(seed);
  const { machines, internal } = seedMachines(rng, counts.machines, now, domain);
  const alerts = seedAlerts({ rng, tenantId, machines, internal }, counts.alerts, now);
  const incidents = seedIncidents(alerts, tenantId);
  const tables = seedHunting(rng, machines, now, { process: counts.process, network: counts.network, file: counts.file });
  const events = Object.fromEntries(Object.entries(tables).map(([name, t]) => [name, t.rows]));
  return { alerts, incidents, machines, machineInternal: internal, actions: [], tables, events, indicators: [] };
}

export function createTenantStore(sim: SimContext, tenantId: string, state: SimState): TenantStore {
  const alertCtx = () => ({ rng: sim.rng, tenantId, machines: state.machines, internal: state.machineInternal });

  /** Puts built alerts into the state (in creation order) and into their incident. */
  const publish = (built: SimAlert[], incidentId: number | undefined) => {
    let incident = incidentId === undefined ? undefined : state.incidents.find((i) => i.id === String(incidentId));
    for (const a of built) {
      if (incident) {
        const n = Number(incident.id);
        joinIncident(incident, a, state.alerts.filter((x) => x.incidentId === n));
      } else {
        incident = openIncident(a, nextIncidentId(state.incidents), tenantId);
        state.incidents.push(incident);
      }
      insertAlertInOrder(state.alerts, a);
    }
  };

  const addAlerts = (count: number, partial: Partial<SimAlert> = {}, opts: PublishOptions = {}): SimAlert[] => {
    if (!Number.isInteger(count) || count < 1) throw new Error('count must be a whole number of at least 1');
    if (opts.incidentId !== undefined && !state.incidents.some((i) => i.id === String(opts.incidentId))) throw new Error(`incident ${opts.incidentId} does not exist`);
    const visibleAt = Date.now() + (opts.visibleInMs ?? 0);
    const stampMs = visibleAt - (opts.lateByMs ?? 0);
    // One timestamp for the whole burst (same 7 digits), so they tie exactly.
    const created = partial.alertCreationTime ?? iso7(stampMs, sim.rng.int(0, 9999));
    const updated = partial.lastUpdateTime ?? created;
    const ids = new Set(state.alerts.map((a) => a.id));
    const built: SimAlert[] = [];
    while (built.length < count) {
      const a = makeAlert(alertCtx(), Date.parse(created), { ...partial, alertCreationTime: created, lastUpdateTime: updated });
      if (ids.has(a.id)) continue;
      ids.add(a.id);
      a.incidentId = null; // set when it is published into an incident
      built.push(a);
    }
    if (opts.visibleInMs && opts.visibleInMs > 0) schedule(sim, opts.visibleInMs, () => publish(built, opts.incidentId));
    else publish(built, opts.incidentId);
    return built;
  };

  const updateAlert = (id: string, changes: AlertUpdate): SimAlert | undefined => {
    const a = state.alerts.find((x) => x.id === id);
    if (!a) return undefined;
    const stamp = changes.lastUpdateTime ?? iso7(Date.now(), sim.rng.int(0, 9999));
    if (changes.status !== undefined) {
      if (changes.status === 'Resolved' && a.status !== 'Resolved') a.resolvedTime = stamp;
      if (changes.status !== 'Resolved') a.resolvedTime = null;
      a.status = changes.status;
    }
    if (changes.assignedTo !== undefined) a.assignedTo = changes.assignedTo;
    if (changes.classification !== undefined) a.classification = changes.classification;
    if (changes.determination !== undefined) a.determination = changes.determination;
    if (changes.comment) a.comments.push({ comment: changes.comment, createdBy: 'analyst2@contoso-sim.onmicrosoft.com', createdTime: stamp });
    a.lastUpdateTime = stamp;
    return a;
  };

  return { tenantId, state, addAlert: (partial = {}) => addAlerts(1, partial)[0]!, addAlerts, updateAlert };
}

/**
 * The context a request authenticated for `tenantId` sees: the same simulator, with that
 * tenant's data as `state` (the demo data set for tenants without their own).
 */
export function contextForTenant(sim: SimContext, tenantId: string): SimContext {
  const store = sim.stores.get(tenantId.toLowerCase());
  if (!store || store.state === sim.state) return sim;
  return Object.create(sim, { state: { value: store.state, enumerable: true } }) as SimContext;
}
