// State that several Node-RED processes using one tenant + app share (opt-in, on Redis): the rate
// windows, the destructive-action caps, the intents of machine actions about to be sent, and the
// trigger's lease + checkpoint. Every method is one atomic step on the server; times inside the
// store come from the server's clock, so instances with skewed clocks still agree.
//
// Every method rejects with SharedStateUnavailableError when the store cannot be reached: the
// caller decides what that means (reads fall back to a local governor, destructive actions are
// refused, the trigger stands by).
import { createHash } from 'node:crypto';
import { MdeError } from '../errors';
import type { RateBudget } from '../types';

export type SharedHealth = 'connecting' | 'up' | 'down';

export interface SharedStateSettings {
  /** redis:// or rediss:// (TLS). Credentials never go in the URL that is logged or shown. */
  url: string;
  /** Sent with AUTH; kept out of every key, value, log and error. */
  password?: string;
  /** Redis 6 ACL user name (optional). */
  username?: string;
  /** Extra PEM CA for rediss:// (a private CA). */
  tlsCa?: string;
  /** Share of each rate budget a process uses on its own while the store is unreachable (0 < share <= 1, default 0.5). */
  localShare?: number;
  /** Trigger lease length (default 15 000 ms): a standby takes over at most this long after the holder died. */
  leaseMs?: number;
  /** Prefix of every key (default "mde"). */
  keyPrefix?: string;
}

export const DEFAULT_LOCAL_SHARE = 0.5;
export const DEFAULT_LEASE_MS = 15_000;

export type CapReservation = { allowed: true; count: number } | { allowed: false; count: number };

export interface IntentHolder {
  requestId: string;
  /** Set once the holder knows MDE's machine action id. */
  actionId?: string;
}

export interface SharedState {
  /** Key prefix for this tenant + app + API origin (no secret in it). */
  readonly namespace: string;
  readonly health: SharedHealth;
  readonly localShare: number;
  readonly leaseMs: number;
  /** Called on every change of health (up / down). Returns an unsubscribe function. */
  onHealth(listener: (health: SharedHealth) => void): () => void;
  /** Resolves once connected, or rejects when the first attempt fails (tests, status). */
  ready(): Promise<void>;

  // --- rate windows (scope = origin + family)
  /**
   * Reserves up to `wanted` slots (members `<prefix>:0` ...) that fit in every window of `scope`,
   * atomically, dated `horizonMs` ahead until their answer re-dates them; none free: `granted` 0
   * and the ms until one frees. `serverNow`: the store's clock (ms) when it answered.
   */
  reserveRate(scope: string, budgets: RateBudget[], memberPrefix: string, wanted?: number, horizonMs?: number): Promise<{ granted: number; waitMs: number; serverNow: number }>;
  /** Dates a granted slot at `atServerMs` (the store's clock): when the service answered the call. */
  redateRate(scope: string, member: string, atServerMs: number): Promise<void>;
  refundRate(scope: string, member: string): Promise<void>;
  /** A 429 + Retry-After: every instance holds this scope for `ms`. */
  pauseRate(scope: string, ms: number): Promise<void>;
  /** Grants made locally while the store was down (ages in ms), so the shared window counts them. */
  addRateGrants(scope: string, agesMs: number[], maxWindowMs: number): Promise<void>;

  // --- caps and recent requests of destructive actions
  /** Atomically: count the entries of `cap` in the window and, under `limit`, add `member`. */
  reserveCap(cap: string, limit: number, windowMs: number, member: string): Promise<CapReservation>;
  /** Entries of `cap` in the window (status texts). */
  countCap(cap: string, windowMs: number): Promise<number>;
  /** Records that `verb` was requested for `subject` (server time), kept `keepMs`. */
  recordRequest(subject: string, verb: string, keepMs: number): Promise<void>;
  /** The last request recorded for `subject`, with its age. */
  lastRequest(subject: string): Promise<{ verb: string; agoMs: number } | undefined>;

  // --- intents of actions being sent (a second instance follows the first one's action)
  /** Claims `key` for `requestId` (null = claimed), or returns who holds it. */
  claimIntent(key: string, requestId: string, ttlMs: number): Promise<IntentHolder | null>;
  /** The holder names the action it sent (kept `ttlMs` more so late-comers join it). */
  settleIntent(key: string, requestId: string, actionId: string | undefined, ttlMs: number): Promise<void>;

  // --- leases and fenced checkpoints (the trigger)
  /** Takes the lease when free or renews it when `token` holds it. True when `token` holds it now. */
  holdLease(name: string, token: string, ttlMs: number): Promise<boolean>;
  releaseLease(name: string, token: string): Promise<void>;
  loadValue(key: string): Promise<string | undefined>;
  /** Writes `value` only while `token` holds lease `lease` (a holder that lost it cannot write). */
  saveFenced(key: string, value: string, lease: string, token: string): Promise<boolean>;
  removeFenced(key: string, lease: string, token: string): Promise<boolean>;

  close(): Promise<void>;
}

export class SharedStateUnavailableError extends MdeError {
  constructor(what: string) {
    super(`The shared state (Redis) is unreachable: ${what}`, { code: 'SharedStateUnavailable', hint: 'check that Redis is running and reachable from this Node-RED instance.' });
  }
}

/** The trigger's lease moved to another instance: this one stands by. */
export class LeaseLostError extends MdeError {
  constructor() {
    super('Another Node-RED instance holds the trigger lease now; this one stands by.', { code: 'LeaseLost' });
  }
}

/**
 * Keys per tenant + app + API origin, so every instance using them shares one state. The origin
 * is hashed (URLs can be long); tenant and client IDs are not secrets and make keys readable.
 */
export function sharedNamespace(prefix: string, tenantId: string, clientId: string, apiOrigin: string): string {
  const origin = createHash('sha256').update(apiOrigin.toLowerCase().replace(/\/+$/, '')).digest('hex').slice(0, 12);
  return `${prefix}:${tenantId.toLowerCase()}:${clientId.toLowerCase()}:${origin}`;
}

/** Validated settings (a bad value is refused, never replaced by a default). */
export function checkSharedStateSettings(s: SharedStateSettings): Required<Pick<SharedStateSettings, 'url' | 'localShare' | 'leaseMs' | 'keyPrefix'>> {
  if (typeof s.url !== 'string' || !/^rediss?:\/\/[^\s]+$/i.test(s.url.trim())) {
    throw new MdeError('The shared state URL must be a redis:// or rediss:// URL.', { code: 'InvalidSetting' });
  }
  const localShare = s.localShare ?? DEFAULT_LOCAL_SHARE;
  if (typeof localShare !== 'number' || !(localShare > 0 && localShare <= 1)) {
    throw new MdeError(`The local share of the rate budget must be a number above 0 and at most 1, got ${JSON.stringify(localShare)}.`, { code: 'InvalidSetting' });
  }
  const leaseMs = s.leaseMs ?? DEFAULT_LEASE_MS;
  if (typeof leaseMs !== 'number' || !Number.isFinite(leaseMs) || leaseMs < 500) {
    throw new MdeError(`The trigger lease must be a number of at least 500 ms, got ${JSON.stringify(leaseMs)}.`, { code: 'InvalidSetting' });
  }
  const keyPrefix = s.keyPrefix ?? 'mde';
  if (typeof keyPrefix !== 'string' || !/^[A-Za-z0-9_.:-]{1,40}$/.test(keyPrefix)) {
    throw new MdeError('The shared state key prefix must be 1 to 40 letters, digits or _ . : -.', { code: 'InvalidSetting' });
  }
  return { url: s.url.trim(), localShare, leaseMs, keyPrefix };
}

/** The URL without user info, for logs and status. */
export function redactedUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//');
}
