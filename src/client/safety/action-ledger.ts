// What a destructive-action node consults before it sends: the blast-radius cap, contradictory
// requests, and whether another sender (in this process or, with shared state, in another
// Node-RED instance on the same tenant + app) is already sending the same action. Two
// implementations: LocalActionLedger (the IsolationGuard, persisted in the action journal, as
// before) and SharedActionLedger (Redis; every instance sees the same cap, recent requests and
// intents). The shared one FAILS CLOSED: when Redis cannot be reached every call throws
// SharedStateUnavailableError and nothing is sent.
import type { CapDecision, ConflictDecision, IsolationGuard, IsolationVerb } from './isolation-guard';
import { sleep } from '../transport/http';
import { SharedStateUnavailableError, type SharedState } from '../state/shared-state';

/** `mine`: this sender sends. Otherwise another instance sent it: follow `actionId`. */
export type IntentClaim = { mine: true } | { mine: false; actionId: string };

export interface ActionLedger {
  /** "local" or "shared" (status texts, tests). */
  readonly kind: 'local' | 'shared';
  checkConflict(machineId: string, verb: IsolationVerb, conflictWindowMs: number): Promise<ConflictDecision>;
  /** An action already pending in MDE was joined: remembered for conflicts, not counted. */
  recordJoin(machineId: string, verb: IsolationVerb): Promise<void>;
  /** Before sending: the cap (isolate) is checked and the request recorded, atomically. */
  reserve(machineId: string, verb: IsolationVerb, requestId: string): Promise<CapDecision>;
  /** Registers the intent to send `actionType` to a machine, or names the action another instance sent. */
  claimIntent(machineId: string, actionType: string, requestId: string, signal?: AbortSignal): Promise<IntentClaim>;
  /** After sending: the action id (other instances join it), or undefined when nothing was sent. */
  settleIntent(machineId: string, actionType: string, requestId: string, actionId: string | undefined): Promise<void>;
}

/** Today's behaviour: the guard of this config node, saved in the action journal after each change. */
export class LocalActionLedger implements ActionLedger {
  readonly kind = 'local' as const;

  constructor(
    private readonly guard: IsolationGuard,
    private readonly persist: () => Promise<void>,
  ) {}

  async checkConflict(machineId: string, verb: IsolationVerb, conflictWindowMs: number): Promise<ConflictDecision> {
    return this.guard.checkConflict(machineId, verb, conflictWindowMs);
  }

  async recordJoin(machineId: string, verb: IsolationVerb): Promise<void> {
    this.guard.record(machineId, verb, false);
    await this.persist();
  }

  async reserve(machineId: string, verb: IsolationVerb): Promise<CapDecision> {
    if (verb === 'isolate') {
      const cap = this.guard.checkCap();
      if (!cap.allowed) return cap;
    }
    this.guard.record(machineId, verb, true);
    await this.persist();
    return { allowed: true };
  }

  async claimIntent(): Promise<IntentClaim> {
    // In one process the node's own in-flight map already joins concurrent senders.
    return { mine: true };
  }

  async settleIntent(): Promise<void> {}
}

export interface SharedLedgerOptions {
  cap: number;
  capWindowMs: number;
  /** How long an unsettled intent blocks others (a sender that died frees it after this). */
  intentTtlMs?: number;
  /** How long a settled intent stays for late-comers to join. */
  settledTtlMs?: number;
  /** Pause between looks at another instance's unsettled intent. */
  pollMs?: number;
}

const DAY_MS = 24 * 3600_000;

/** Cap, recent requests and intents in Redis, shared by every instance on the tenant + app. */
export class SharedActionLedger implements ActionLedger {
  readonly kind = 'shared' as const;
  private readonly intentTtlMs: number;
  private readonly settledTtlMs: number;
  private readonly pollMs: number;

  constructor(
    private readonly shared: SharedState,
    private readonly o: SharedLedgerOptions,
  ) {
    this.intentTtlMs = o.intentTtlMs ?? 120_000;
    this.settledTtlMs = o.settledTtlMs ?? 60_000;
    this.pollMs = o.pollMs ?? 100;
  }

  private async up(action: string): Promise<void> {
    // Just deployed: the first connection is still being made; wait for it (or its failure).
    if (this.shared.health === 'connecting') await this.shared.ready().catch(() => undefined);
    // Known down: refuse before the first round trip (which would fail the same way).
    if (this.shared.health !== 'up') throw new SharedStateUnavailableError(`${action} is refused (no destructive action without the shared cap and journal). Nothing was sent.`);
  }

  private async guarded<T>(action: string, op: () => Promise<T>): Promise<T> {
    await this.up(action);
    try {
      return await op();
    } catch (err) {
      if (err instanceof SharedStateUnavailableError) throw new SharedStateUnavailableError(`${action} is refused (no destructive action without the shared cap and journal). Nothing was sent.`);
      throw err;
    }
  }

  checkConflict(machineId: string, verb: IsolationVerb, conflictWindowMs: number): Promise<ConflictDecision> {
    return this.guarded(`the ${verb} request`, async () => {
      const last = await this.shared.lastRequest(`machine:${machineId.toLowerCase()}`);
      if (!last || last.verb === verb || last.agoMs >= conflictWindowMs) return { allowed: true };
      return { allowed: false, other: last.verb as IsolationVerb, agoMs: last.agoMs };
    });
  }

  recordJoin(machineId: string, verb: IsolationVerb): Promise<void> {
    return this.guarded(`the ${verb} request`, () => this.shared.recordRequest(`machine:${machineId.toLowerCase()}`, verb, Math.max(this.o.capWindowMs, DAY_MS)));
  }

  reserve(machineId: string, verb: IsolationVerb, requestId: string): Promise<CapDecision> {
    return this.guarded(`the ${verb} request`, async () => {
      if (verb === 'isolate') {
        // The same counter as SharedCapLedger's "Isolate" (per-action-type caps).
        const r = await this.shared.reserveCap('type:Isolate', this.o.cap, this.o.capWindowMs, requestId);
        if (!r.allowed) return { allowed: false, count: r.count, limit: this.o.cap, windowMs: this.o.capWindowMs };
      }
      await this.shared.recordRequest(`machine:${machineId.toLowerCase()}`, verb, Math.max(this.o.capWindowMs, DAY_MS));
      return { allowed: true };
    });
  }

  claimIntent(machineId: string, actionType: string, requestId: string, signal?: AbortSignal): Promise<IntentClaim> {
    const key = `${machineId.toLowerCase()}:${actionType}`;
    return this.guarded(`the ${actionType} request`, async () => {
      for (;;) {
        const holder = await this.shared.claimIntent(key, requestId, this.intentTtlMs);
        if (holder === null || holder.requestId === requestId) return { mine: true };
        if (holder.actionId) return { mine: false, actionId: holder.actionId };
        // Another instance is sending it now: wait for its action id (or for it to give up).
        await sleep(this.pollMs, signal);
        await this.up(`the ${actionType} request`);
      }
    });
  }

  async settleIntent(machineId: string, actionType: string, requestId: string, actionId: string | undefined): Promise<void> {
    // Best effort: an intent left behind expires on its own (intentTtlMs).
    await this.shared.settleIntent(`${machineId.toLowerCase()}:${actionType}`, requestId, actionId, this.settledTtlMs).catch(() => undefined);
  }
}
