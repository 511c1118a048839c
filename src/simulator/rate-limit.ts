// Sliding-window budgets per (tenant, API family), as MDE enforces them tenant-wide (§6.3-6.4).
import type { ApiFamily, RateLimitConfig, RateWindow } from './types';

const MINUTE = 60_000;
const HOUR = 3_600_000;

export const DEFAULT_RATE_LIMITS: Record<ApiFamily, RateWindow[]> = {
  alerts: [{ limit: 100, windowMs: MINUTE }, { limit: 1500, windowMs: HOUR }],
  machines: [{ limit: 100, windowMs: MINUTE }, { limit: 1500, windowMs: HOUR }],
  machineactions: [{ limit: 100, windowMs: MINUTE }, { limit: 1500, windowMs: HOUR }],
  // files, IPs, domains, users: each reference page, "100 calls per minute and 1500 calls per hour".
  entities: [{ limit: 100, windowMs: MINUTE }, { limit: 1500, windowMs: HOUR }],
  hunting: [{ limit: 45, windowMs: MINUTE }, { limit: 1500, windowMs: HOUR }],
  'graph-hunting': [{ limit: 45, windowMs: MINUTE }, { limit: 1500, windowMs: HOUR }],
  // Graph throttling-limits, "Security detections and incidents service limits": any operation
  // on alert, 150 requests per minute per app per tenant (no separate figure for incidents).
  'graph-alerts': [{ limit: 150, windowMs: MINUTE }],
  'graph-incidents': [{ limit: 150, windowMs: MINUTE }],
  // post-ti-indicator.md, get-ti-indicators-collection.md, delete-ti-indicator-by-id.md: 100/min, 1,500/h.
  indicators: [{ limit: 100, windowMs: MINUTE }, { limit: 1500, windowMs: HOUR }],
  // import-ti-indicators.md: "Rate limitations for this API are 30 calls per minute."
  'indicators-import': [{ limit: 30, windowMs: MINUTE }],
};

export type RateDecision = { ok: true } | { ok: false; retryAfterSec: number; window: RateWindow };

/** "00:01:00" / "01:00:00": how MDE prints the window in its quota message. */
export function formatWindow(ms: number): string {
  const s = Math.round(ms / 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

export class RateLimiter {
  private config: RateLimitConfig = {};
  private readonly hits = new Map<string, number[]>();

  constructor(config?: RateLimitConfig) {
    this.set(config);
  }

  /** Replaces the configuration (unspecified families keep the documented budgets) and forgets history. */
  set(config: RateLimitConfig | undefined): void {
    this.config = config === undefined ? {} : config;
    this.hits.clear();
  }

  windowsFor(family: ApiFamily): RateWindow[] {
    if (this.config === false) return [];
    const own = this.config[family];
    if (own === false) return [];
    return own ?? DEFAULT_RATE_LIMITS[family];
  }

  /** Records the call when it fits every window; a refused call does not use budget. */
  take(tenantId: string, family: ApiFamily, now = Date.now()): RateDecision {
    const windows = this.windowsFor(family);
    if (!windows.length) return { ok: true };
    const key = `${tenantId.toLowerCase()}|${family}`;
    const longest = Math.max(...windows.map((w) => w.windowMs));
    let list = this.hits.get(key);
    if (!list) {
      list = [];
      this.hits.set(key, list);
    }
    // Timestamps are appended in order, so expired ones are at the front.
    let drop = 0;
    while (drop < list.length && list[drop] <= now - longest) drop++;
    if (drop) list.splice(0, drop);
    let worst: { retryAfterSec: number; window: RateWindow } | undefined;
    for (const w of windows) {
      const since = now - w.windowMs;
      let first = 0;
      while (first < list.length && list[first] <= since) first++;
      const inWindow = list.length - first;
      if (inWindow >= w.limit) {
        // The call fits again once the oldest call that counts drops out of the window.
        const oldest = list[list.length - w.limit];
        const retryAfterSec = Math.max(1, Math.ceil((oldest + w.windowMs - now) / 1000));
        if (!worst || retryAfterSec > worst.retryAfterSec) worst = { retryAfterSec, window: w };
      }
    }
    if (worst) return { ok: false, ...worst };
    list.push(now);
    return { ok: true };
  }
}
