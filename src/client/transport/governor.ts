// Client-side rate governor: sliding windows per (API origin, tenant, family), shared by every
// connection in the process (MDE quotas are tenant-wide). Requests queue FIFO instead of failing;
// a 429 + Retry-After pauses the whole family.
import type { ApiFamily, RateBudget, RateBudgets } from '../types';
import { MdeError } from '../errors';

// Documented budgets (mde-api.md §6.4): most APIs 100/min and 1,500/h each; hunting 45/min.
const perApi = (): RateBudget[] => [
  { limit: 100, windowMs: 60_000 },
  { limit: 1_500, windowMs: 3_600_000 },
];
const perHunting = (): RateBudget[] => [
  { limit: 45, windowMs: 60_000 },
  { limit: 1_500, windowMs: 3_600_000 },
];

// Graph throttling-limits, "Security detections and incidents service limits": any operation on
// alert, 150 requests per minute per app per tenant. No separate figure for incidents: same budget.
const perGraphSecurity = (): RateBudget[] => [{ limit: 150, windowMs: 60_000 }];

export const DEFAULT_RATE_BUDGETS: RateBudgets = {
  alerts: perApi(),
  machines: perApi(),
  machineactions: perApi(),
  other: perApi(),
  hunting: perHunting(),
  'graph-hunting': perHunting(),
  'graph-alerts': perGraphSecurity(),
  'graph-incidents': perGraphSecurity(),
};

export interface GovernorClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: GovernorClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface GovernorWaitInfo {
  /** Time this request waited for its slot (ms). */
  waitedMs: number;
  /** Requests still queued behind it. */
  queued: number;
}

export interface AcquireOptions {
  signal?: AbortSignal;
  /** Called once when the request has to queue: expected wait and queue depth. */
  onQueued?: (info: { waitMs: number; queued: number; reason: 'rate-budget' | 'retry-after' }) => void;
}

/**
 * A granted call. The grant is first dated when the slot is handed out; the service counts the
 * call when it arrives, up to a connection set-up later, so the slot is re-dated to when the
 * answer began (`counted`): the service had counted the call by then, and a large body's
 * download time does not delay the next window. A 429 did not use the service's budget
 * (`refunded`), so the retry is not charged twice.
 */
export interface RateSlot {
  /** `answeredAgoMs`: how long ago the answer's status line arrived (0 or absent: now). */
  counted(answeredAgoMs?: number): void;
  refunded(): void;
}

interface Waiter {
  resolve: (slot: RateSlot) => void;
  reject: (e: unknown) => void;
  enqueuedAt: number;
  opts: AcquireOptions;
  notified: boolean;
  cleanup?: () => void;
}

export class RateGovernor {
  private readonly grants: number[] = [];
  private readonly queue: Waiter[] = [];
  private pausedUntil = 0;
  private timer: unknown;
  private timerAt = 0;
  private readonly maxWindow: number;
  /** Totals for tests and status. */
  readonly stats = { granted: 0, queuedTotal: 0, maxQueue: 0, maxWaitMs: 0, pauses: 0 };

  private budgets: RateBudget[];

  /**
   * `safetyMarginRatio` lengthens every window a little (default 0; the shared registry uses
   * 2 %, at least 100 ms, at most 1 s) so latency and clock skew between us and the server do not cause 429s.
   */
  constructor(
    budgets: RateBudget[],
    private readonly clock: GovernorClock = realClock,
    private readonly onGrant?: (info: GovernorWaitInfo) => void,
    safetyMarginRatio = 0,
  ) {
    for (const b of budgets) {
      if (!(b.limit > 0) || !(b.windowMs > 0)) throw new RangeError(`invalid rate budget ${JSON.stringify(b)}`);
    }
    this.budgets = budgets.map((b) => ({
      limit: b.limit,
      windowMs: b.windowMs + (safetyMarginRatio > 0 ? Math.min(1_000, Math.max(100, Math.round(b.windowMs * safetyMarginRatio))) : 0),
    }));
    this.maxWindow = Math.max(0, ...this.budgets.map((b) => b.windowMs));
  }

  get queued(): number {
    return this.queue.length;
  }

  get pausedUntilMs(): number {
    return this.pausedUntil;
  }

  /** Resolves when a slot is free (FIFO). Rejects only when `signal` aborts. */
  acquire(opts: AcquireOptions = {}): Promise<RateSlot> {
    if (opts.signal?.aborted) return Promise.reject(abortError(opts.signal));
    return new Promise<RateSlot>((resolve, reject) => {
      const w: Waiter = { resolve, reject, enqueuedAt: this.clock.now(), opts, notified: false };
      if (opts.signal) {
        const signal = opts.signal;
        const onAbort = () => {
          const i = this.queue.indexOf(w);
          if (i >= 0) this.queue.splice(i, 1);
          reject(abortError(signal));
          this.pump();
        };
        signal.addEventListener('abort', onAbort, { once: true });
        w.cleanup = () => signal.removeEventListener('abort', onAbort);
      }
      this.queue.push(w);
      this.stats.maxQueue = Math.max(this.stats.maxQueue, this.queue.length);
      this.pump();
      if (this.queue.includes(w)) {
        const now = this.clock.now();
        w.notified = true;
        this.stats.queuedTotal++;
        opts.onQueued?.({ waitMs: this.nextFreeInMs(now), queued: this.queue.length, reason: this.pausedUntil > now ? 'retry-after' : 'rate-budget' });
      }
    });
  }

  /** Server said 429 + Retry-After: hold every queued and future request of this family. */
  pause(ms: number): void {
    if (!(ms > 0)) return;
    const until = this.clock.now() + ms;
    if (until > this.pausedUntil) {
      this.pausedUntil = until;
      this.stats.pauses++;
    }
    this.pump();
  }

  /** ms until the next slot is free (0 = now). */
  nextFreeInMs(now = this.clock.now()): number {
    this.prune(now);
    let at = Math.max(now, this.pausedUntil);
    // Waiting for one window can land in another full window (minute vs hour): repeat until
    // every window has room at `at`.
    for (let moved = true; moved; ) {
      moved = false;
      for (const b of this.budgets) {
        const freeAt = this.freeAt(b, at);
        if (freeAt > at) {
          at = freeAt;
          moved = true;
        }
      }
    }
    return at - now;
  }

  /** When budget `b` next has room at or after `at` (grants are sorted, newest last). */
  private freeAt(b: RateBudget, at: number): number {
    const start = at - b.windowMs;
    let inWindow = 0;
    let firstIdx = -1;
    for (let i = this.grants.length - 1; i >= 0 && this.grants[i]! > start; i--) {
      inWindow++;
      firstIdx = i;
    }
    // The slot frees when the (inWindow - limit)-th oldest grant in the window leaves it.
    return inWindow >= b.limit ? this.grants[firstIdx + (inWindow - b.limit)]! + b.windowMs : at;
  }

  private prune(now: number): void {
    const cutoff = now - this.maxWindow;
    let n = 0;
    while (n < this.grants.length && this.grants[n]! <= cutoff) n++;
    if (n) this.grants.splice(0, n);
  }

  private pump(): void {
    while (this.queue.length) {
      const now = this.clock.now();
      const wait = this.nextFreeInMs(now);
      if (wait > 0) {
        this.schedule(now + wait);
        return;
      }
      const w = this.queue.shift()!;
      this.insertGrant(now);
      this.stats.granted++;
      const waited = now - w.enqueuedAt;
      this.stats.maxWaitMs = Math.max(this.stats.maxWaitMs, waited);
      w.cleanup?.();
      this.onGrant?.({ waitedMs: waited, queued: this.queue.length });
      w.resolve(this.slot(now));
    }
    this.unschedule();
  }

  private slot(grantedAt: number): RateSlot {
    let settled = false;
    return {
      counted: (answeredAgoMs = 0) => {
        if (settled) return;
        settled = true;
        const answeredAt = this.clock.now() - Math.max(0, answeredAgoMs);
        if (answeredAt > grantedAt && this.removeGrant(grantedAt)) {
          this.insertGrant(answeredAt);
          this.pump();
        }
      },
      refunded: () => {
        if (settled) return;
        settled = true;
        if (this.removeGrant(grantedAt)) this.pump();
      },
    };
  }

  /** Grants stay sorted: the window arithmetic scans them from the newest. */
  private insertGrant(at: number): void {
    let i = this.grants.length;
    while (i > 0 && this.grants[i - 1]! > at) i--;
    this.grants.splice(i, 0, at);
  }

  private removeGrant(at: number): boolean {
    const i = this.grants.lastIndexOf(at);
    if (i < 0) return false; // already pruned: older than every window
    this.grants.splice(i, 1);
    return true;
  }

  private schedule(at: number): void {
    if (this.timer !== undefined && this.timerAt <= at) return;
    this.unschedule();
    this.timerAt = at;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, Math.max(0, at - this.clock.now()));
  }

  private unschedule(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Rejects every queued request (connection closed). */
  drain(reason: unknown): void {
    this.unschedule();
    for (const w of this.queue.splice(0)) {
      w.cleanup?.();
      w.reject(reason);
    }
  }
}

function abortError(signal: AbortSignal): unknown {
  const r = signal.reason as unknown;
  if (r instanceof Error) return r;
  return new MdeError('The request was cancelled.', { code: 'Aborted' });
}

// ---------------------------------------------------------------- process-wide registry

const registry = new Map<string, RateGovernor>();

export function resolveBudgets(family: ApiFamily, overrides?: Partial<RateBudgets>): RateBudget[] {
  return overrides?.[family] ?? DEFAULT_RATE_BUDGETS[family] ?? DEFAULT_RATE_BUDGETS.other;
}

/**
 * The governor shared by every connection to the same API origin + tenant + family. The first
 * caller's budgets win (all connections to one tenant share the tenant's quota).
 */
export function governorFor(apiOrigin: string, tenantId: string, family: ApiFamily, overrides?: Partial<RateBudgets>, clock?: GovernorClock): RateGovernor {
  const key = `${apiOrigin.toLowerCase()}|${tenantId.toLowerCase()}|${family}`;
  let g = registry.get(key);
  if (!g) {
    g = new RateGovernor(resolveBudgets(family, overrides), clock, undefined, 0.02);
    registry.set(key, g);
  }
  return g;
}

/** Tests: forget every shared governor. */
export function resetGovernors(): void {
  for (const g of registry.values()) g.drain(new MdeError('Rate governors were reset.', { code: 'Aborted' }));
  registry.clear();
}
