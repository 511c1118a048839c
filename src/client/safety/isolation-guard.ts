// Safety rails for destructive machine actions: protected machines, a blast-radius cap and a
// window in which contradictory requests (isolate then release, or the reverse) are refused.
// Pure policy: the caller supplies the clock and persists `snapshot()` if it wants restarts to
// remember what was sent. The cap is the generic per-action-type sliding window (action-caps.ts),
// applied to Isolate; the other response actions use it through ActionCapLedger.
import { SlidingWindowCaps, type CapDecision } from './action-caps';

export type { CapDecision } from './action-caps';

export type IsolationVerb = 'isolate' | 'release';

export interface ProtectionRules {
  ids: string[];
  /** Computer names or patterns with `*` wildcards, matched case-insensitively on the full DNS name and its host label. */
  namePatterns: string[];
  /** Machine tags (case-insensitive). */
  tags: string[];
}

export interface MachineFacts {
  id: string;
  computerDnsName?: string | null;
  machineTags?: string[] | null;
}

export type ConflictDecision = { allowed: true } | { allowed: false; other: IsolationVerb; agoMs: number };

export interface GuardSnapshot {
  isolations: number[];
  lastRequest: Record<string, { verb: IsolationVerb; at: number }>;
}

function wildcardToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`, 'i');
}

/** Returns why a machine is protected, or null. */
export function protectionReason(machine: MachineFacts, rules: ProtectionRules): string | null {
  const id = machine.id.toLowerCase();
  if (rules.ids.some((p) => p.trim().toLowerCase() === id)) return `machine ID ${machine.id} is on the protected list`;
  const fullName = (machine.computerDnsName ?? '').toLowerCase();
  const hostLabel = fullName.split('.')[0];
  for (const pattern of rules.namePatterns) {
    const re = wildcardToRegExp(pattern.trim());
    if (fullName && (re.test(fullName) || re.test(hostLabel))) return `name matches protected pattern "${pattern.trim()}"`;
  }
  const tags = (machine.machineTags ?? []).map((t) => t.toLowerCase());
  const tag = rules.tags.find((t) => tags.includes(t.trim().toLowerCase()));
  if (tag) return `machine carries the protected tag "${tag.trim()}"`;
  return null;
}

const ISOLATE = 'Isolate';

export class IsolationGuard {
  private readonly caps: SlidingWindowCaps;
  private lastRequest = new Map<string, { verb: IsolationVerb; at: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.caps = new SlidingWindowCaps(now);
  }

  restore(snapshot: Partial<GuardSnapshot> | undefined): void {
    if (!snapshot) return;
    this.caps.restore({ [ISOLATE]: Array.isArray(snapshot.isolations) ? snapshot.isolations : [] });
    this.lastRequest = new Map(Object.entries(snapshot.lastRequest ?? {}));
  }

  snapshot(): GuardSnapshot {
    this.prune();
    return { isolations: this.caps.snapshot(this.windowMs)[ISOLATE] ?? [], lastRequest: Object.fromEntries(this.lastRequest) };
  }

  /** Isolations sent in the current window. */
  isolationsInWindow(): number {
    return this.caps.count(ISOLATE, this.windowMs);
  }

  checkCap(): CapDecision {
    return this.caps.check(ISOLATE, { limit: this.limit, windowMs: this.windowMs });
  }

  checkConflict(machineId: string, verb: IsolationVerb, conflictWindowMs: number): ConflictDecision {
    const last = this.lastRequest.get(machineId.toLowerCase());
    if (!last || last.verb === verb) return { allowed: true };
    const agoMs = this.now() - last.at;
    return agoMs < conflictWindowMs ? { allowed: false, other: last.verb, agoMs } : { allowed: true };
  }

  /** Record a request that was actually sent (or joined) so later ones see it. */
  record(machineId: string, verb: IsolationVerb, countsTowardCap: boolean): void {
    const at = this.now();
    this.lastRequest.set(machineId.toLowerCase(), { verb, at });
    if (verb === 'isolate' && countsTowardCap) this.caps.record(ISOLATE);
  }

  private prune(): void {
    const keepFor = Math.max(this.windowMs, 24 * 3600_000);
    for (const [key, value] of this.lastRequest) {
      if (this.now() - value.at > keepFor) this.lastRequest.delete(key);
    }
  }
}
