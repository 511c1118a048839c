// Per-action-type blast-radius caps counted in the shared state (Redis), for every Node-RED
// instance on the tenant + app: `take` checks and counts in one Lua step, so two instances racing
// for the last slot cannot both get it. The same shape as the per-process cap ledger (take /
// count per action type), so a node consulting a cap ledger works with either. Fails closed: when
// Redis is unreachable `take` throws SharedStateUnavailableError and nothing may be sent.
import { randomUUID } from 'node:crypto';
import type { SharedState } from './shared-state';

export interface SharedCapRule {
  limit: number;
  windowMs: number;
}

export type SharedCapDecision = { allowed: true } | { allowed: false; count: number; limit: number; windowMs: number };

export class SharedCapLedger {
  constructor(private readonly shared: SharedState) {}

  async take(actionType: string, rule: SharedCapRule): Promise<SharedCapDecision> {
    const r = await this.shared.reserveCap(`type:${actionType}`, rule.limit, rule.windowMs, randomUUID());
    return r.allowed ? { allowed: true } : { allowed: false, count: r.count, limit: rule.limit, windowMs: rule.windowMs };
  }

  count(actionType: string, windowMs: number): Promise<number> {
    return this.shared.countCap(`type:${actionType}`, windowMs);
  }
}
