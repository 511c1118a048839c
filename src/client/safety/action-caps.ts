// Blast-radius caps per machine action type: at most `limit` requests of a type in a sliding
// window. The count lives behind ActionCapLedger so that where it is kept (a file under the user
// directory today, a store shared by several Node-RED instances later) does not change its users.
import type { ActionJournal } from './action-journal';

export interface CapRule {
  limit: number;
  windowMs: number;
}

export type CapDecision = { allowed: true } | { allowed: false; count: number; limit: number; windowMs: number };

/**
 * Where caps are counted. `take` checks and counts in one step (a request refused by the cap is
 * not counted), so two callers racing for the last slot cannot both get it.
 */
export interface ActionCapLedger {
  take(actionType: string, rule: CapRule): Promise<CapDecision>;
  /** Requests of this type counted in the window (for status texts and tests). */
  count(actionType: string, windowMs: number): Promise<number>;
}

export type CapSnapshot = Record<string, number[]>;

/** Pure sliding-window counters, one per action type; the caller supplies the clock. */
export class SlidingWindowCaps {
  private sent = new Map<string, number[]>();

  constructor(private readonly now: () => number = Date.now) {}

  restore(snapshot: unknown): void {
    this.sent.clear();
    if (!snapshot || typeof snapshot !== 'object') return;
    for (const [type, times] of Object.entries(snapshot as Record<string, unknown>)) {
      if (Array.isArray(times)) this.sent.set(type, times.filter((t): t is number => typeof t === 'number' && Number.isFinite(t)));
    }
  }

  /** Keeps what any window up to `keepMs` still needs. */
  snapshot(keepMs = 24 * 3600_000): CapSnapshot {
    const cutoff = this.now() - keepMs;
    const out: CapSnapshot = {};
    for (const [type, times] of this.sent) {
      const kept = times.filter((t) => t > cutoff);
      if (kept.length) out[type] = kept;
    }
    return out;
  }

  count(actionType: string, windowMs: number): number {
    const cutoff = this.now() - windowMs;
    return (this.sent.get(actionType) ?? []).filter((t) => t > cutoff).length;
  }

  check(actionType: string, rule: CapRule): CapDecision {
    const count = this.count(actionType, rule.windowMs);
    return count >= rule.limit ? { allowed: false, count, limit: rule.limit, windowMs: rule.windowMs } : { allowed: true };
  }

  record(actionType: string): void {
    const list = this.sent.get(actionType) ?? [];
    list.push(this.now());
    this.sent.set(actionType, list);
  }

  take(actionType: string, rule: CapRule): CapDecision {
    const decision = this.check(actionType, rule);
    if (decision.allowed) this.record(actionType);
    return decision;
  }
}

/**
 * The ledger kept in the action journal file (one per connection, `key` names it), so a restart
 * remembers what was sent. Operations are serialised: check-and-count is atomic in this process.
 */
export class JournalCapLedger implements ActionCapLedger {
  private readonly caps: SlidingWindowCaps;
  private ready: Promise<void> | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly journal: ActionJournal,
    private readonly key: string,
    now: () => number = Date.now,
  ) {
    this.caps = new SlidingWindowCaps(now);
  }

  private load(): Promise<void> {
    this.ready ??= this.journal.guardState(this.key).then((state) => this.caps.restore(state));
    return this.ready;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.catch(() => undefined).then(fn);
    this.queue = run;
    return run;
  }

  take(actionType: string, rule: CapRule): Promise<CapDecision> {
    return this.serial(async () => {
      await this.load();
      const decision = this.caps.take(actionType, rule);
      if (decision.allowed) await this.journal.saveGuardState(this.key, this.caps.snapshot());
      return decision;
    });
  }

  count(actionType: string, windowMs: number): Promise<number> {
    return this.serial(async () => {
      await this.load();
      return this.caps.count(actionType, windowMs);
    });
  }
}
