// The per-action-type cap ledger (ActionCapLedger) counted in the shared state (Redis), so every
// Node-RED instance on the tenant + app counts against the same cap, with the windows and limits
// the calling node configured. It FAILS CLOSED: when Redis cannot be reached `take` throws
// SharedStateUnavailableError saying the request is refused and nothing was sent.
import type { ActionCapLedger, CapDecision, CapRule } from './action-caps';
import { SharedCapLedger } from '../state/shared-caps';
import { SharedStateUnavailableError, type SharedState } from '../state/shared-state';

/** The refusal of a destructive request while the shared state is unreachable (same words as the action ledger). */
export function refusedWithoutSharedState(what: string): SharedStateUnavailableError {
  return new SharedStateUnavailableError(`${what} is refused (no destructive action without the shared cap and journal). Nothing was sent.`);
}

/** Throws the refusal unless the shared state is up (waits for the first connection of a fresh deploy). */
export async function requireSharedState(shared: SharedState, what: string): Promise<void> {
  if (shared.health === 'connecting') await shared.ready().catch(() => undefined);
  if (shared.health !== 'up') throw refusedWithoutSharedState(what);
}

export class SharedActionCapLedger implements ActionCapLedger {
  private readonly caps: SharedCapLedger;

  constructor(private readonly shared: SharedState) {
    this.caps = new SharedCapLedger(shared);
  }

  async take(actionType: string, rule: CapRule): Promise<CapDecision> {
    const what = `the ${actionType} request`;
    await requireSharedState(this.shared, what);
    try {
      return await this.caps.take(actionType, rule);
    } catch (err) {
      // Lost between the health check and the count: still nothing sent.
      if (err instanceof SharedStateUnavailableError) throw refusedWithoutSharedState(what);
      throw err;
    }
  }

  count(actionType: string, windowMs: number): Promise<number> {
    return this.caps.count(actionType, windowMs);
  }
}
