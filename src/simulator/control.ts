// `/_simulator/*`: unauthenticated knobs and views for tests and the demo (loopback use only).
import type { SimContext } from './context';
import { json, parseJsonBody } from './http-util';
import type { Faults, RateLimitConfig, SimAlert, SimRequest, SimResponse } from './types';

export interface ControlHooks {
  addAlert(partial?: Partial<SimAlert>): SimAlert;
  setFaults(f: Faults): void;
  setRateLimits(r: RateLimitConfig): void;
  clearLog(): void;
}

/** Machines with their simulator-only isolation state, plus counts and recent actions. */
export function stateView(sim: SimContext): Record<string, unknown> {
  const s = sim.state;
  return {
    counts: {
      alerts: s.alerts.length,
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
    case 'POST /rate-limits': {
      const r = body();
      if (r !== false && (typeof r !== 'object' || r === null || Array.isArray(r))) return bad('body must be false or a JSON object of per-family windows');
      hooks.setRateLimits(r as RateLimitConfig);
      return json(200, { ok: true });
    }
    case 'POST /alerts': {
      const p = body();
      if (p !== undefined && (typeof p !== 'object' || p === null || Array.isArray(p))) return bad('body must be a JSON object (alert fields)');
      return json(201, hooks.addAlert((p ?? {}) as Partial<SimAlert>));
    }
  }
  return json(404, { error: `unknown control route ${req.method} ${req.path}` });
}
