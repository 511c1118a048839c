// The simulator's shared runtime: options with defaults applied, data, identities and knobs.
import type { EntraContext } from './entra';
import type { RateLimiter } from './rate-limit';
import type { TenantStore } from './tenant-data';
import type { Rng } from './rng';
import type { ActionOutcome, Faults, RequestLogEntry, SimApp, SimState, SimTenant, SimulatorOptions } from './types';

export interface ResolvedOptions extends SimulatorOptions {
  seed: number;
  tokenLifetimeSec: number;
  pendingMs: number;
  inProgressMs: number;
  duplicateActionMode: 'error' | 'return-existing';
  pageSize: number;
  wrongAudienceStatus: 401 | 403;
  emptyMachinesAs404: boolean;
  maxHuntingResultBytes: number;
  maxHuntingRows: number;
  maxLogEntries: number;
  graphPageSize: number;
  graphNextLinkWithTop: boolean;
}

export interface SimContext {
  options: ResolvedOptions;
  /** The demo data set (the first tenant's, shared by the demo tenants). */
  state: SimState;
  /** Every tenant's data by tenant id (lower case); customer tenants have their own state. */
  stores: Map<string, TenantStore>;
  tenants: SimTenant[];
  apps: SimApp[];
  entra: EntraContext;
  /** Randomness for faults and live-generated alerts (seeded, separate from the data seed). */
  rng: Rng;
  rateLimiter: RateLimiter;
  faults: Faults;
  log: RequestLogEntry[];
  timers: Set<NodeJS.Timeout>;
  /** Action id → timers advancing it, so cancel can stop them. */
  actionTimers: Map<string, NodeJS.Timeout[]>;
  /** Final status set at run time (POST /_simulator/action-outcomes), by machine id or computer name; wins over options.actionOutcome. */
  actionOutcomes: Map<string, ActionOutcome>;
  closed: boolean;
}

/** setTimeout that is forgotten on close and never keeps the process alive by itself. */
export function schedule(ctx: SimContext, ms: number, fn: () => void): NodeJS.Timeout {
  const t = setTimeout(() => {
    ctx.timers.delete(t);
    if (!ctx.closed) fn();
  }, ms);
  t.unref();
  ctx.timers.add(t);
  return t;
}
