// Client-side rate governor: sliding windows per (API origin, tenant, family), shared by every
// connection in the process (MDE quotas are tenant-wide). Requests queue FIFO instead of failing;
// a 429 + Retry-After pauses the whole family. With shared state (Redis) configured, the windows
// live in Redis and every process using the tenant + app shares them (SharedRateGovernor).
import { randomUUID } from 'node:crypto';
import type { ApiFamily, RateBudget, RateBudgets } from '../types';
import { MdeError } from '../errors';
import type { SharedHealth, SharedState } from '../state/shared-state';

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

/** What the HTTP client needs of a governor (local or shared). */
export interface Governor {
  readonly queued: number;
  readonly stats: { granted: number; queuedTotal: number; maxQueue: number; maxWaitMs: number; pauses: number };
  acquire(opts?: AcquireOptions): Promise<RateSlot>;
  pause(ms: number): void;
  drain(reason: unknown): void;
}

export class RateGovernor implements Governor {
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

// ---------------------------------------------------------------- shared across processes

/** Windows lengthened like the local registry's (2 %, at least 100 ms, at most 1 s). */
function withMargin(budgets: RateBudget[], ratio: number): RateBudget[] {
  return budgets.map((b) => ({ limit: b.limit, windowMs: b.windowMs + Math.min(1_000, Math.max(100, Math.round(b.windowMs * ratio))) }));
}

/** How long a waiter sleeps at most before asking Redis again (other instances' answers re-date their slots). */
const MAX_SHARED_WAIT_MS = 200;
/** Most grants one round trip hands out. */
const MAX_SHARED_BATCH = 100;

/**
 * Sliding windows kept in Redis: each grant is reserved by one Lua script (check every window +
 * add the grant, atomically, on the server's clock), re-dated when the answer arrives and refunded
 * on a 429, whose Retry-After pauses every instance. Requests queue FIFO in this process; the head
 * asks Redis and sleeps as long as Redis says.
 *
 * While Redis is unreachable, requests go through a local governor holding `localShare` of each
 * budget (every instance does the same, so together they stay within it); what it granted is
 * added to the shared windows when Redis is back.
 */
export class SharedRateGovernor implements Governor {
  private readonly queue: Waiter[] = [];
  private pumping = false;
  private readonly budgets: RateBudget[];
  private readonly maxWindow: number;
  private readonly fallback: RateGovernor;
  /** Local times of grants made by the fallback and not yet told to Redis. */
  private localGrants: number[] = [];
  private readonly offHealth: () => void;
  private closed = false;
  /** How far ahead a grant is dated until its answer re-dates it (the shortest window). */
  private readonly horizonMs: number;
  private offset: number | undefined;
  private offsetRtt = Infinity;
  private offsetAt = 0;
  readonly stats = { granted: 0, queuedTotal: 0, maxQueue: 0, maxWaitMs: 0, pauses: 0, sharedGrants: 0, localGrants: 0 };

  constructor(
    private readonly shared: SharedState,
    /** origin + family: the rate keys of this governor inside the shared namespace. */
    private readonly scope: string,
    budgets: RateBudget[],
    private readonly clock: GovernorClock = realClock,
  ) {
    this.budgets = withMargin(budgets, 0.02);
    this.maxWindow = Math.max(...this.budgets.map((b) => b.windowMs));
    this.horizonMs = Math.min(30_000, ...this.budgets.map((b) => b.windowMs));
    const share = shared.localShare;
    this.fallback = new RateGovernor(
      budgets.map((b) => ({ limit: Math.max(1, Math.floor(b.limit * share)), windowMs: b.windowMs })),
      clock,
      () => {
        this.stats.localGrants++;
        this.localGrants.push(this.clock.now());
      },
      0.02,
    );
    this.offHealth = shared.onHealth((h) => this.onHealth(h));
  }

  get queued(): number {
    return this.queue.length + this.fallback.queued;
  }

  /** Where requests are counted now: in Redis, or locally at a share of the budget. */
  get mode(): 'shared' | 'local' {
    return this.shared.health === 'up' ? 'shared' : 'local';
  }

  acquire(opts: AcquireOptions = {}): Promise<RateSlot> {
    if (opts.signal?.aborted) return Promise.reject(abortError(opts.signal));
    if (this.shared.health === 'down' && this.queue.length === 0) return this.fallback.acquire(opts);
    return new Promise<RateSlot>((resolve, reject) => {
      const w: Waiter = { resolve, reject, enqueuedAt: this.clock.now(), opts, notified: false };
      if (opts.signal) {
        const signal = opts.signal;
        const onAbort = () => {
          const i = this.queue.indexOf(w);
          if (i >= 0) this.queue.splice(i, 1);
          reject(abortError(signal));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        w.cleanup = () => signal.removeEventListener('abort', onAbort);
      }
      this.queue.push(w);
      this.stats.maxQueue = Math.max(this.stats.maxQueue, this.queue.length);
      void this.pump();
    });
  }

  pause(ms: number): void {
    if (!(ms > 0)) return;
    this.stats.pauses++;
    this.fallback.pause(ms);
    this.shared.pauseRate(this.scope, ms).catch(() => undefined);
  }

  drain(reason: unknown): void {
    this.closed = true;
    this.offHealth();
    for (const w of this.queue.splice(0)) {
      w.cleanup?.();
      w.reject(reason);
    }
    this.fallback.drain(reason);
  }

  private onHealth(h: SharedHealth): void {
    if (h === 'up') {
      // Grants made locally meanwhile still count in the shared windows.
      const now = this.clock.now();
      const ages = this.localGrants.filter((t) => now - t < this.maxWindow).map((t) => now - t);
      this.localGrants = [];
      if (ages.length) this.shared.addRateGrants(this.scope, ages, this.maxWindow).catch(() => undefined);
    }
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length && !this.closed) {
        // Just deployed: wait for the first connection (or its failure) rather than go local.
        if (this.shared.health === 'connecting') await this.shared.ready().catch(() => undefined);
        if (this.shared.health !== 'up') {
          this.handOver(this.queue.shift()!);
          continue;
        }
        // One round trip grants as many queued requests as the windows have room for.
        const prefix = randomUUID();
        let reply: { granted: number; waitMs: number; serverNow: number };
        const askedAt = this.clock.now();
        try {
          reply = await this.shared.reserveRate(this.scope, this.budgets, prefix, Math.min(this.queue.length, MAX_SHARED_BATCH), this.horizonMs);
          this.learnOffset(askedAt, this.clock.now(), reply.serverNow);
        } catch {
          // Redis went away between the health check and the call: the head goes local.
          if (this.queue.length) this.handOver(this.queue.shift()!);
          continue;
        }
        for (let i = 0; i < reply.granted; i++) {
          const member = `${prefix}:${i}`;
          const w = this.queue.shift();
          if (!w) {
            // Aborted while Redis answered: give the slot back.
            this.shared.refundRate(this.scope, member).catch(() => undefined);
            continue;
          }
          const waited = this.clock.now() - w.enqueuedAt;
          this.stats.granted++;
          this.stats.sharedGrants++;
          this.stats.maxWaitMs = Math.max(this.stats.maxWaitMs, waited);
          w.cleanup?.();
          w.resolve(this.sharedSlot(member));
        }
        if (reply.granted > 0 || !this.queue.length) continue;
        const head = this.queue[0]!;
        if (!head.notified) {
          head.notified = true;
          this.stats.queuedTotal++;
          head.opts.onQueued?.({ waitMs: reply.waitMs, queued: this.queue.length, reason: 'rate-budget' });
        }
        await new Promise<void>((resolve) => this.clock.setTimeout(resolve, Math.min(Math.max(1, reply.waitMs), MAX_SHARED_WAIT_MS)));
      }
    } finally {
      this.pumping = false;
    }
  }

  /** Redis is unreachable: the waiter queues on the local governor (its share of the budget). */
  private handOver(w: Waiter): void {
    w.cleanup?.();
    if (w.opts.signal?.aborted) {
      w.reject(abortError(w.opts.signal));
      return;
    }
    this.fallback.acquire(w.opts).then(w.resolve, w.reject);
  }

  usesState(shared: SharedState): boolean {
    return this.shared === shared;
  }

  /**
   * Store clock - local clock, from the reply with the shortest round trip seen in the last
   * minute: answers are re-dated on the store's clock, so instances never need synchronised clocks.
   */
  private learnOffset(sentAt: number, receivedAt: number, serverNow: number): void {
    const rtt = receivedAt - sentAt;
    const stale = receivedAt - this.offsetAt > 60_000;
    if (this.offset === undefined || stale || rtt <= this.offsetRtt) {
      this.offset = serverNow - (sentAt + rtt / 2);
      this.offsetRtt = rtt;
      this.offsetAt = receivedAt;
    }
  }

  private sharedSlot(member: string): RateSlot {
    let settled = false;
    return {
      counted: (answeredAgoMs = 0) => {
        if (settled) return;
        settled = true;
        // The local time of the answer, on the store's clock (the command may run later).
        const at = this.clock.now() - Math.max(0, answeredAgoMs) + (this.offset ?? 0);
        this.shared.redateRate(this.scope, member, at).catch(() => undefined);
      },
      refunded: () => {
        if (settled) return;
        settled = true;
        this.shared.refundRate(this.scope, member).catch(() => undefined);
      },
    };
  }
}

// ---------------------------------------------------------------- process-wide registry

const registry = new Map<string, Governor>();

export function resolveBudgets(family: ApiFamily, overrides?: Partial<RateBudgets>): RateBudget[] {
  return overrides?.[family] ?? DEFAULT_RATE_BUDGETS[family] ?? DEFAULT_RATE_BUDGETS.other;
}

/**
 * The governor shared by every connection to the same API origin + tenant + family. The first
 * caller's budgets win (all connections to one tenant share the tenant's quota).
 */
export function governorFor(apiOrigin: string, tenantId: string, family: ApiFamily, overrides?: Partial<RateBudgets>, clock?: GovernorClock, shared?: SharedState): Governor {
  // With shared state, one governor per store namespace (tenant + app + origin) and family.
  const key = shared ? `shared|${shared.namespace}|${family}` : `${apiOrigin.toLowerCase()}|${tenantId.toLowerCase()}|${family}`;
  let g = registry.get(key);
  if (!g) {
    g = shared ? new SharedRateGovernor(shared, `${new URL(apiOrigin).host.toLowerCase()}:${family}`, resolveBudgets(family, overrides), clock) : new RateGovernor(resolveBudgets(family, overrides), clock, undefined, 0.02);
    registry.set(key, g);
  }
  return g;
}

/** The shared state closed (its config node went away): its governors go with it. */
export function forgetSharedGovernors(shared: SharedState): void {
  for (const [key, g] of registry) {
    if (key.startsWith(`shared|${shared.namespace}|`) && g instanceof SharedRateGovernor && g.usesState(shared)) {
      g.drain(new MdeError('This connection was closed (the flow was redeployed).', { code: 'ConnectionClosed' }));
      registry.delete(key);
    }
  }
}

/** Tests: forget every shared governor. */
export function resetGovernors(): void {
  for (const g of registry.values()) g.drain(new MdeError('Rate governors were reset.', { code: 'Aborted' }));
  registry.clear();
}
