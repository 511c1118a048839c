// SharedState on Redis (ioredis, loaded only when a Redis URL is configured: nothing heavy at
// node-set load). Each operation is one Lua script or one command, so it is atomic across every
// process; times inside scripts are Redis's TIME, so client clocks never need to agree.
//
// The client never queues commands while disconnected (enableOfflineQueue: false): an operation
// fails at once with SharedStateUnavailableError, and the caller falls back or refuses. It keeps
// reconnecting in the background and reports health changes.
import type { Redis as RedisClient, RedisOptions } from 'ioredis';
import type { RateBudget } from '../types';
import {
  checkSharedStateSettings,
  SharedStateUnavailableError,
  type CapReservation,
  type IntentHolder,
  type SharedHealth,
  type SharedState,
  type SharedStateSettings,
} from './shared-state';

const NOW = `local t = redis.call('TIME'); local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

// KEYS: grants zset, pause key. ARGV: member prefix, wanted, horizon, n, then limit/window pairs.
// Grants as many of `wanted` as every window has room for (members prefix:0 ... prefix:k-1), all
// at once, dated `horizon` ms ahead: a call still on the wire counts as late as it may be counted
// by the service, until its answer re-dates it. Returns {granted, 0, now}, or {0, ms until a
// slot frees, now} (now: the server's clock, for the callers' offset).
const RESERVE_RATE = `${NOW}
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then return {0, paused, now} end
local wanted = tonumber(ARGV[2])
local horizon = tonumber(ARGV[3])
local n = tonumber(ARGV[4])
local maxw = 0
local wait = 0
local room = wanted
for i = 0, n - 1 do
  local limit = tonumber(ARGV[5 + 2 * i])
  local win = tonumber(ARGV[6 + 2 * i])
  if win > maxw then maxw = win end
  local lo = '(' .. (now - win)
  local count = redis.call('ZCOUNT', KEYS[1], lo, '+inf')
  if count >= limit then
    local r = redis.call('ZRANGEBYSCORE', KEYS[1], lo, '+inf', 'WITHSCORES', 'LIMIT', count - limit, 1)
    local freeIn = tonumber(r[2]) + win - now
    if freeIn < 1 then freeIn = 1 end
    if freeIn > wait then wait = freeIn end
    room = 0
  elseif limit - count < room then
    room = limit - count
  end
end
if room <= 0 then return {0, wait, now} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - maxw)
for i = 0, room - 1 do redis.call('ZADD', KEYS[1], now + horizon, ARGV[1] .. ':' .. i) end
redis.call('PEXPIRE', KEYS[1], maxw + horizon + 5000)
return {room, 0, now}`;

// KEYS: grants. ARGV: member, at (server clock). The answer's time replaces the horizon.
const REDATE_RATE = `redis.call('ZADD', KEYS[1], 'XX', tonumber(ARGV[2]), ARGV[1])
return 0`;

// KEYS: pause key. ARGV: ms.
const PAUSE_RATE = `local ms = tonumber(ARGV[1])
if redis.call('PTTL', KEYS[1]) < ms then redis.call('SET', KEYS[1], '1', 'PX', ms) end
return 0`;

// KEYS: grants. ARGV: maxWindow, member prefix, ages...
const ADD_GRANTS = `${NOW}
for i = 3, #ARGV do redis.call('ZADD', KEYS[1], now - tonumber(ARGV[i]), ARGV[2] .. i) end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]) + 5000)
return 0`;

// KEYS: cap zset. ARGV: limit, window, member. Returns {allowed 0|1, count after}.
const RESERVE_CAP = `${NOW}
local win = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - win)
local count = redis.call('ZCARD', KEYS[1])
if count >= tonumber(ARGV[1]) then return {0, count} end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], win + 5000)
return {1, count + 1}`;

// KEYS: cap zset. ARGV: window. Entries in the window.
const COUNT_CAP = `${NOW}
return redis.call('ZCOUNT', KEYS[1], '(' .. (now - tonumber(ARGV[1])), '+inf')`;

// KEYS: request key. ARGV: verb, keepMs.
const RECORD_REQUEST = `${NOW}
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. now, 'PX', tonumber(ARGV[2]))
return 0`;

// KEYS: request key. Returns {verb, agoMs} or false.
const LAST_REQUEST = `${NOW}
local v = redis.call('GET', KEYS[1])
if not v then return false end
local bar = string.find(v, '|', 1, true)
return {string.sub(v, 1, bar - 1), now - tonumber(string.sub(v, bar + 1))}`;

// KEYS: intent. ARGV: requestId, ttl. Returns false when claimed, else the holder's value.
const CLAIM_INTENT = `local ok = redis.call('SET', KEYS[1], cjson.encode({requestId = ARGV[1]}), 'NX', 'PX', tonumber(ARGV[2]))
if ok then return false end
return redis.call('GET', KEYS[1]) or ''`;

// KEYS: intent. ARGV: requestId, actionId ('' = release), ttl.
const SETTLE_INTENT = `local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local holder = cjson.decode(v)
if holder.requestId ~= ARGV[1] then return 0 end
if ARGV[2] == '' then redis.call('DEL', KEYS[1]) return 1 end
redis.call('SET', KEYS[1], cjson.encode({requestId = ARGV[1], actionId = ARGV[2]}), 'PX', tonumber(ARGV[3]))
return 1`;

// KEYS: lease. ARGV: token, ttl. 1 when the token holds it after the call.
const HOLD_LEASE = `local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2])) return 1 end
if v then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]))
return 1`;

const RELEASE_LEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0`;

// KEYS: value, lease. ARGV: token, value ('' with remove = 1 deletes).
const SAVE_FENCED = `if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
if ARGV[3] == '1' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[2]) end
return 1`;

interface Scripts {
  mdeReserveRate(grants: string, pause: string, ...args: (string | number)[]): Promise<[number, number, number]>;
  mdeRedateRate(grants: string, member: string, at: number): Promise<number>;
  mdePauseRate(pause: string, ms: number): Promise<number>;
  mdeAddGrants(grants: string, ...args: (string | number)[]): Promise<number>;
  mdeReserveCap(cap: string, limit: number, windowMs: number, member: string): Promise<[number, number]>;
  mdeCountCap(cap: string, windowMs: number): Promise<number>;
  mdeRecordRequest(key: string, verb: string, keepMs: number): Promise<number>;
  mdeLastRequest(key: string): Promise<[string, number] | null>;
  mdeClaimIntent(key: string, requestId: string, ttlMs: number): Promise<string | null>;
  mdeSettleIntent(key: string, requestId: string, actionId: string, ttlMs: number): Promise<number>;
  mdeHoldLease(key: string, token: string, ttlMs: number): Promise<number>;
  mdeReleaseLease(key: string, token: string): Promise<number>;
  mdeSaveFenced(key: string, lease: string, token: string, value: string, remove: string): Promise<number>;
}

const SCRIPTS: Record<keyof Scripts, { numberOfKeys: number; lua: string }> = {
  mdeReserveRate: { numberOfKeys: 2, lua: RESERVE_RATE },
  mdeRedateRate: { numberOfKeys: 1, lua: REDATE_RATE },
  mdePauseRate: { numberOfKeys: 1, lua: PAUSE_RATE },
  mdeAddGrants: { numberOfKeys: 1, lua: ADD_GRANTS },
  mdeReserveCap: { numberOfKeys: 1, lua: RESERVE_CAP },
  mdeCountCap: { numberOfKeys: 1, lua: COUNT_CAP },
  mdeRecordRequest: { numberOfKeys: 1, lua: RECORD_REQUEST },
  mdeLastRequest: { numberOfKeys: 1, lua: LAST_REQUEST },
  mdeClaimIntent: { numberOfKeys: 1, lua: CLAIM_INTENT },
  mdeSettleIntent: { numberOfKeys: 1, lua: SETTLE_INTENT },
  mdeHoldLease: { numberOfKeys: 1, lua: HOLD_LEASE },
  mdeReleaseLease: { numberOfKeys: 1, lua: RELEASE_LEASE },
  mdeSaveFenced: { numberOfKeys: 2, lua: SAVE_FENCED },
};

export class RedisSharedState implements SharedState {
  readonly localShare: number;
  readonly leaseMs: number;
  private readonly redis: RedisClient & Scripts;
  private state: SharedHealth = 'connecting';
  private readonly listeners = new Set<(h: SharedHealth) => void>();
  private readonly firstConnect: Promise<void>;
  private closed = false;

  constructor(
    settings: SharedStateSettings,
    /** From sharedNamespace(): prefix + tenant + app + origin. */
    readonly namespace: string,
  ) {
    const checked = checkSharedStateSettings(settings);
    this.localShare = checked.localShare;
    this.leaseMs = checked.leaseMs;
    // Loaded here, not at the top: a flow without shared state never pays for ioredis.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const IORedis = (require('ioredis') as { default: new (url: string, o: RedisOptions) => RedisClient }).default;
    const options: RedisOptions = {
      lazyConnect: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 3_000,
      // Keep trying, never more than 1 s apart, so recovery is seen quickly.
      retryStrategy: (times: number) => Math.min(100 * times, 1_000),
      reconnectOnError: () => false,
      // Commands issued in one tick (re-dating many answered calls) share one round trip.
      enableAutoPipelining: true,
    };
    if (settings.password) options.password = settings.password;
    if (settings.username) options.username = settings.username;
    if (/^rediss:/i.test(checked.url)) options.tls = settings.tlsCa ? { ca: settings.tlsCa } : {};
    this.redis = new IORedis(checked.url, options) as RedisClient & Scripts;
    for (const [name, s] of Object.entries(SCRIPTS)) this.redis.defineCommand(name, s);
    // ioredis reports every connection problem as an 'error' event: without a listener it would
    // print the error (possibly the URL) to the console. Health changes are what we report.
    this.redis.on('error', () => undefined);
    this.redis.on('ready', () => this.setHealth('up'));
    this.redis.on('close', () => {
      if (!this.closed) this.setHealth('down');
    });
    this.firstConnect = new Promise<void>((resolve, reject) => {
      const off = this.onHealth((h) => {
        off();
        if (h === 'up') resolve();
        else reject(new SharedStateUnavailableError('the first connection attempt failed.'));
      });
    });
    this.firstConnect.catch(() => undefined);
  }

  get health(): SharedHealth {
    return this.state;
  }

  onHealth(listener: (h: SharedHealth) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  ready(): Promise<void> {
    return this.state === 'up' ? Promise.resolve() : this.firstConnect;
  }

  private setHealth(h: SharedHealth): void {
    if (h === this.state) return;
    this.state = h;
    for (const l of [...this.listeners]) l(h);
  }

  private key(...parts: string[]): string {
    return [this.namespace, ...parts].join(':');
  }

  /** Runs one store operation; any failure becomes our own error (never ioredis's object). */
  private async run<T>(what: string, op: () => Promise<T>): Promise<T> {
    if (this.closed) throw new SharedStateUnavailableError('the connection was closed (the flow was redeployed).');
    try {
      return await op();
    } catch {
      throw new SharedStateUnavailableError(`${what} failed.`);
    }
  }

  reserveRate(scope: string, budgets: RateBudget[], memberPrefix: string, wanted = 1, horizonMs = 0): Promise<{ granted: number; waitMs: number; serverNow: number }> {
    const args: (string | number)[] = [memberPrefix, Math.max(1, Math.floor(wanted)), Math.max(0, Math.round(horizonMs)), budgets.length];
    for (const b of budgets) args.push(b.limit, Math.round(b.windowMs));
    return this.run('reserving a rate slot', async () => {
      const [granted, waitMs, serverNow] = await this.redis.mdeReserveRate(this.key('rate', scope), this.key('pause', scope), ...args);
      return { granted: Number(granted), waitMs: Number(waitMs), serverNow: Number(serverNow) };
    });
  }

  async redateRate(scope: string, member: string, atServerMs: number): Promise<void> {
    await this.run('re-dating a rate slot', () => this.redis.mdeRedateRate(this.key('rate', scope), member, Math.round(atServerMs)));
  }

  async refundRate(scope: string, member: string): Promise<void> {
    await this.run('refunding a rate slot', () => this.redis.zrem(this.key('rate', scope), member));
  }

  async pauseRate(scope: string, ms: number): Promise<void> {
    await this.run('sharing a Retry-After pause', () => this.redis.mdePauseRate(this.key('pause', scope), Math.max(1, Math.round(ms))));
  }

  async addRateGrants(scope: string, agesMs: number[], maxWindowMs: number): Promise<void> {
    if (!agesMs.length) return;
    const prefix = `local-${process.pid}-${Date.now()}-`;
    await this.run('adding local grants', () => this.redis.mdeAddGrants(this.key('rate', scope), Math.round(maxWindowMs), prefix, ...agesMs.map((a) => Math.max(0, Math.round(a)))));
  }

  reserveCap(cap: string, limit: number, windowMs: number, member: string): Promise<CapReservation> {
    return this.run('checking the shared cap', async () => {
      const [allowed, count] = await this.redis.mdeReserveCap(this.key('cap', cap), limit, Math.round(windowMs), member);
      return Number(allowed) === 1 ? { allowed: true, count: Number(count) } : { allowed: false, count: Number(count) };
    });
  }

  countCap(cap: string, windowMs: number): Promise<number> {
    return this.run('reading the shared cap', async () => Number(await this.redis.mdeCountCap(this.key('cap', cap), Math.round(windowMs))));
  }

  async recordRequest(subject: string, verb: string, keepMs: number): Promise<void> {
    await this.run('recording the request', () => this.redis.mdeRecordRequest(this.key('recent', subject), verb, Math.max(1, Math.round(keepMs))));
  }

  lastRequest(subject: string): Promise<{ verb: string; agoMs: number } | undefined> {
    return this.run('reading recent requests', async () => {
      const r = await this.redis.mdeLastRequest(this.key('recent', subject));
      return r ? { verb: String(r[0]), agoMs: Number(r[1]) } : undefined;
    });
  }

  claimIntent(key: string, requestId: string, ttlMs: number): Promise<IntentHolder | null> {
    return this.run('registering the action', async () => {
      const held = await this.redis.mdeClaimIntent(this.key('intent', key), requestId, Math.max(1, Math.round(ttlMs)));
      if (held === null) return null;
      try {
        const parsed = JSON.parse(held) as { requestId?: unknown; actionId?: unknown };
        return { requestId: String(parsed.requestId ?? ''), ...(typeof parsed.actionId === 'string' && parsed.actionId ? { actionId: parsed.actionId } : {}) };
      } catch {
        return { requestId: '' };
      }
    });
  }

  async settleIntent(key: string, requestId: string, actionId: string | undefined, ttlMs: number): Promise<void> {
    await this.run('settling the action', () => this.redis.mdeSettleIntent(this.key('intent', key), requestId, actionId ?? '', Math.max(1, Math.round(ttlMs))));
  }

  holdLease(name: string, token: string, ttlMs: number): Promise<boolean> {
    return this.run('holding the lease', async () => Number(await this.redis.mdeHoldLease(this.key('lease', name), token, Math.round(ttlMs))) === 1);
  }

  async releaseLease(name: string, token: string): Promise<void> {
    await this.run('releasing the lease', () => this.redis.mdeReleaseLease(this.key('lease', name), token));
  }

  loadValue(key: string): Promise<string | undefined> {
    return this.run('reading the checkpoint', async () => (await this.redis.get(this.key('value', key))) ?? undefined);
  }

  saveFenced(key: string, value: string, lease: string, token: string): Promise<boolean> {
    return this.run('saving the checkpoint', async () => Number(await this.redis.mdeSaveFenced(this.key('value', key), this.key('lease', lease), token, value, '0')) === 1);
  }

  removeFenced(key: string, lease: string, token: string): Promise<boolean> {
    return this.run('removing the checkpoint', async () => Number(await this.redis.mdeSaveFenced(this.key('value', key), this.key('lease', lease), token, '', '1')) === 1);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    this.redis.disconnect(false);
  }
}
