// A sliding-window cap on blocking indicators per connection, so a runaway flow (a loop, a
// poisoned feed) cannot block the world. Counted before the request leaves: a request whose
// answer is lost still counts.
export interface CapDecision {
  allowed: boolean;
  /** Blocking indicators already counted in the window. */
  count: number;
  limit: number;
  windowMs: number;
}

export class BlockCap {
  private stamps: number[] = [];

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  private prune(): void {
    const since = this.now() - this.windowMs;
    this.stamps = this.stamps.filter((t) => t > since);
  }

  /** Whether `n` more blocking indicators fit in the window (nothing is counted). */
  check(n = 1): CapDecision {
    this.prune();
    return { allowed: this.stamps.length + n <= this.limit, count: this.stamps.length, limit: this.limit, windowMs: this.windowMs };
  }

  /** Counts `n` blocking indicators now. */
  record(n = 1): void {
    const t = this.now();
    for (let i = 0; i < n; i++) this.stamps.push(t);
  }
}
