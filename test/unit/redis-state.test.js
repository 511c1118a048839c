'use strict';
// The shared-state building blocks on a real redis-server (Debian's, started on a free port):
// the Lua scripts (rate windows, pause, caps, intents, lease + fenced writes), the shared
// governor's fallback when Redis is unreachable, the fail-closed ledger, and the settings reader.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { startRedis, stopAllRedis, redisSkip, freePort } = require('../helpers/redis');

const dist = path.resolve(__dirname, '..', '..', 'dist');
const { RedisSharedState } = require(path.join(dist, 'client', 'state', 'redis-state.js'));
const { sharedNamespace } = require(path.join(dist, 'client', 'state', 'shared-state.js'));
const { SharedRateGovernor } = require(path.join(dist, 'client', 'transport', 'governor.js'));
const { SharedActionLedger } = require(path.join(dist, 'client', 'safety', 'action-ledger.js'));
const { SharedCheckpointStore } = require(path.join(dist, 'client', 'state', 'checkpoint-store.js'));
const { SharedCapLedger } = require(path.join(dist, 'client', 'state', 'shared-caps.js'));
const { readSharedStateSettings } = require(path.join(dist, 'nodes', 'shared', 'shared-state-settings.js'));

const TENANT = '11111111-2222-3333-4444-555555555555';
const CLIENT = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';

describe('shared state on Redis', { skip: redisSkip }, () => {
  let redis;
  let n = 0;
  const states = [];
  before(async () => {
    redis = await startRedis({ password: 'canary-redis-password-Zq7' });
  });
  after(async () => {
    await Promise.all(states.map((s) => s.close()));
    await stopAllRedis();
  });
  /** Two "processes" on one namespace (two clients, as two Node-RED instances would have). */
  async function pair(extra = {}) {
    const ns = sharedNamespace(`u${++n}`, TENANT, CLIENT, 'https://api.securitycenter.microsoft.com');
    const make = () => new RedisSharedState({ url: redis.url, password: 'canary-redis-password-Zq7', ...extra }, ns);
    const a = make();
    const b = make();
    states.push(a, b);
    await Promise.all([a.ready(), b.ready()]);
    return [a, b];
  }

  it('keys name the tenant and app, never the password', () => {
    const ns = sharedNamespace('mde', TENANT, CLIENT, 'https://api.securitycenter.microsoft.com/');
    assert.match(ns, new RegExp(`^mde:${TENANT}:${CLIENT}:[0-9a-f]{12}$`));
    assert.equal(ns, sharedNamespace('mde', TENANT.toUpperCase(), CLIENT, 'https://API.securitycenter.microsoft.com'));
  });

  it('rate windows are shared: a budget of 3 is used up by two clients together, a refund frees a slot, a pause holds both', async () => {
    const [a, b] = await pair();
    const budgets = [{ limit: 3, windowMs: 60_000 }];
    assert.equal((await a.reserveRate('alerts', budgets, 'g1', 1)).granted, 1);
    assert.equal((await b.reserveRate('alerts', budgets, 'g2', 5)).granted, 2, 'only the room left is granted');
    const full = await a.reserveRate('alerts', budgets, 'g3', 1);
    assert.equal(full.granted, 0, 'the fourth waits');
    assert.ok(full.waitMs > 0);
    await a.refundRate('alerts', 'g2:1');
    assert.equal((await b.reserveRate('alerts', budgets, 'g4', 3)).granted, 1, 'a refunded slot is free again');
    await b.pauseRate('other', 30_000);
    const paused = await a.reserveRate('other', budgets, 'p1', 1);
    assert.equal(paused.granted, 0, 'a Retry-After pause holds the other client too');
    assert.ok(paused.waitMs > 0);
  });

  it('the cap is one count for both clients, and a contradictory request is seen by the other', async () => {
    const [a, b] = await pair();
    assert.deepEqual(await a.reserveCap('isolate', 2, 60_000, 'r1'), { allowed: true, count: 1 });
    assert.deepEqual(await b.reserveCap('isolate', 2, 60_000, 'r2'), { allowed: true, count: 2 });
    assert.deepEqual(await a.reserveCap('isolate', 2, 60_000, 'r3'), { allowed: false, count: 2 });
    const la = new SharedActionLedger(a, { cap: 2, capWindowMs: 60_000 });
    const lb = new SharedActionLedger(b, { cap: 2, capWindowMs: 60_000 });
    await la.recordJoin('M1', 'isolate');
    const conflict = await lb.checkConflict('m1', 'release', 300_000);
    assert.equal(conflict.allowed, false);
    assert.equal(conflict.other, 'isolate');
  });

  it('per-action-type caps (take / count) are one count for both clients, and the isolate ledger uses the same Isolate counter', async () => {
    const [a, b] = await pair();
    const ca = new SharedCapLedger(a);
    const cb = new SharedCapLedger(b);
    const rule = { limit: 2, windowMs: 60_000 };
    assert.deepEqual(await ca.take('RunAntiVirusScan', rule), { allowed: true });
    assert.deepEqual(await cb.take('RunAntiVirusScan', rule), { allowed: true });
    assert.deepEqual(await ca.take('RunAntiVirusScan', rule), { allowed: false, count: 2, limit: 2, windowMs: 60_000 });
    assert.equal(await cb.count('RunAntiVirusScan', 60_000), 2);
    assert.deepEqual(await cb.take('CollectInvestigationPackage', rule), { allowed: true }, 'each type has its own count');
    const ledger = new SharedActionLedger(a, { cap: 2, capWindowMs: 60_000 });
    assert.deepEqual(await ledger.reserve('m1', 'isolate', 'r1'), { allowed: true });
    assert.equal(await cb.count('Isolate', 60_000), 1);
  });

  it('an intent: the second sender waits for the first one\'s action id and follows it', async () => {
    const [a, b] = await pair();
    const la = new SharedActionLedger(a, { cap: 5, capWindowMs: 60_000, pollMs: 20 });
    const lb = new SharedActionLedger(b, { cap: 5, capWindowMs: 60_000, pollMs: 20 });
    assert.deepEqual(await la.claimIntent('M1', 'Isolate', 'req-a'), { mine: true });
    const following = lb.claimIntent('M1', 'Isolate', 'req-b');
    await la.settleIntent('M1', 'Isolate', 'req-a', 'action-1');
    assert.deepEqual(await following, { mine: false, actionId: 'action-1' });
    // A sender that sent nothing frees the intent: the next one sends.
    assert.deepEqual(await la.claimIntent('M2', 'Isolate', 'req-c'), { mine: true });
    const next = lb.claimIntent('M2', 'Isolate', 'req-d');
    await la.settleIntent('M2', 'Isolate', 'req-c', undefined);
    assert.deepEqual(await next, { mine: true });
  });

  it('the lease is held by one token at a time; the other cannot write the checkpoint; released, it is taken over', async () => {
    const [a, b] = await pair();
    assert.equal(await a.holdLease('trig', 'ta', 5_000), true);
    assert.equal(await b.holdLease('trig', 'tb', 5_000), false);
    assert.equal(await a.holdLease('trig', 'ta', 5_000), true, 'renewed');
    const storeA = new SharedCheckpointStore(a, 'trig', 'ta');
    const storeB = new SharedCheckpointStore(b, 'trig', 'tb');
    await storeA.save('cp', { watermark: 'w1' });
    await assert.rejects(storeB.save('cp', { watermark: 'stale' }), { code: 'LeaseLost' });
    assert.deepEqual(await storeB.load('cp'), { watermark: 'w1' });
    await a.releaseLease('trig', 'ta');
    assert.equal(await b.holdLease('trig', 'tb', 5_000), true);
    await storeB.save('cp', { watermark: 'w2' });
    await assert.rejects(storeA.save('cp', { watermark: 'old holder' }), { code: 'LeaseLost' });
    assert.deepEqual(await storeA.load('cp'), { watermark: 'w2' });
  });
});

describe('shared state keeps secrets out of Redis', { skip: redisSkip }, () => {
  it('after rate, cap, intent, lease and checkpoint writes, no key or value holds the Redis password or a client secret', async () => {
    const password = 'canary-redis-password-Zq7';
    const redis = await startRedis({ password });
    const ns = sharedNamespace('mde', TENANT, CLIENT, 'https://api.securitycenter.microsoft.com');
    const state = new RedisSharedState({ url: redis.url, password }, ns);
    try {
      await state.ready();
      await state.reserveRate('api:alerts', [{ limit: 5, windowMs: 60_000 }], 'p', 2);
      await state.pauseRate('api:alerts', 1000);
      await state.reserveCap('isolate', 5, 60_000, 'req-1');
      await state.recordRequest('machine:m1', 'isolate', 60_000);
      await state.claimIntent('m1:Isolate', 'req-1', 60_000);
      await state.settleIntent('m1:Isolate', 'req-1', 'action-1', 60_000);
      await state.holdLease('trigger:t', 'token-1', 60_000);
      await new SharedCheckpointStore(state, 'trigger:t', 'token-1').save('t', { watermark: 'w', seen: [['a', 'b']] });
      const IORedis = require('ioredis');
      const reader = new IORedis(redis.url, { password, lazyConnect: true });
      await reader.connect();
      const keys = await reader.keys('*');
      assert.ok(keys.length >= 6, `keys written: ${keys.join(', ')}`);
      let everything = keys.join('\n');
      for (const k of keys) {
        const type = await reader.type(k);
        if (type === 'string') everything += await reader.get(k);
        else if (type === 'zset') everything += (await reader.zrange(k, 0, -1, 'WITHSCORES')).join(',');
      }
      reader.disconnect();
      for (const k of keys) assert.ok(k.startsWith(`${ns}:`), `${k} is in the tenant + app namespace`);
      assert.doesNotMatch(everything, /canary-redis-password|secret/i);
    } finally {
      await state.close();
      await redis.close();
    }
  });
});

describe('shared state unreachable', () => {
  it('the governor grants on its local share of the budget; the ledger refuses (fail closed) with a clear error', async () => {
    const port = await freePort(); // nothing listens there
    const state = new RedisSharedState({ url: `redis://127.0.0.1:${port}`, password: 'canary-redis-password-Zq7', localShare: 0.5 }, sharedNamespace('mde', TENANT, CLIENT, 'https://x.example'));
    try {
      await assert.rejects(state.ready(), { code: 'SharedStateUnavailable' });
      const gov = new SharedRateGovernor(state, 'x:alerts', [{ limit: 4, windowMs: 60_000 }]);
      const slots = [await gov.acquire(), await gov.acquire()];
      assert.equal(slots.length, 2);
      assert.equal(gov.mode, 'local');
      let third = false;
      const pending = gov.acquire().then(() => (third = true));
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(third, false, 'half of a budget of 4: the third waits');
      gov.drain(new Error('done'));
      await pending.catch(() => undefined);
      assert.equal(gov.stats.localGrants, 2);
      const ledger = new SharedActionLedger(state, { cap: 5, capWindowMs: 60_000 });
      const refused = await ledger.reserve('m1', 'isolate', 'r1').then(() => undefined, (e) => e);
      assert.equal(refused.code, 'SharedStateUnavailable');
      assert.match(refused.message, /unreachable.*refused.*Nothing was sent/s);
      assert.doesNotMatch(refused.message + JSON.stringify(refused), /canary-redis-password/);
    } finally {
      await state.close();
    }
  });
});

describe('shared state settings', () => {
  it('the dialog wins over settings.js; a password in the URL or a wrong type is refused, never replaced', () => {
    assert.equal(readSharedStateSettings({}, {}, {}), undefined, 'nothing configured: all local');
    const fromSettings = readSharedStateSettings({}, {}, { mdeDefender: { redis: { url: 'redis://r:6379', password: 'p1', localShare: 0.25, leaseMs: 5000 } } });
    assert.deepEqual(fromSettings, { url: 'redis://r:6379', password: 'p1', localShare: 0.25, leaseMs: 5000 });
    const fromDialog = readSharedStateSettings({ redisUrl: 'rediss://d:6380', redisLocalShare: '40' }, { redisPassword: 'p2' }, { mdeDefender: { redis: { url: 'redis://r:6379', password: 'p1' } } });
    assert.deepEqual(fromDialog, { url: 'rediss://d:6380', password: 'p2', localShare: 0.4 });
    assert.throws(() => readSharedStateSettings({ redisUrl: 'redis://user:secret@r:6379' }, {}, {}), /password field/);
    assert.throws(() => readSharedStateSettings({ redisUrl: 'http://r' }, {}, {}), /redis:\/\/ or rediss:\/\//);
    assert.throws(() => readSharedStateSettings({ redisUrl: 42 }, {}, {}), /must be text/);
    assert.throws(() => readSharedStateSettings({ redisUrl: 'redis://r', redisLocalShare: 'half' }, {}, {}), /must be a number/);
    assert.throws(() => readSharedStateSettings({ redisUrl: 'redis://r', redisLocalShare: 0 }, {}, {}), /1 to 100/);
    assert.throws(() => readSharedStateSettings({}, {}, { mdeDefender: { redis: 'redis://r' } }), /must be an object/);
  });
});
