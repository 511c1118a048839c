'use strict';
// Rate governor with a controllable clock: FIFO queueing, sliding windows, pause, abort, registry.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { RateGovernor, governorFor, resetGovernors, DEFAULT_RATE_BUDGETS } = require('../../dist/client/transport/governor.js');

function fakeClock(start = 1_000_000) {
  let now = start;
  let timers = [];
  let seq = 0;
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const t = { at: now + ms, fn, id: ++seq };
      timers.push(t);
      return t;
    },
    clearTimeout(t) {
      timers = timers.filter((x) => x !== t);
    },
    async advance(ms) {
      const end = now + ms;
      for (;;) {
        timers.sort((a, b) => a.at - b.at || a.id - b.id);
        const t = timers[0];
        if (!t || t.at > end) break;
        timers.shift();
        now = t.at;
        t.fn();
        await flush();
      }
      now = end;
      await flush();
    },
  };
}
const flush = () => new Promise((r) => setImmediate(r));

test('a burst of 500 queues in FIFO order and none fails', async () => {
  const clock = fakeClock();
  const g = new RateGovernor([{ limit: 100, windowMs: 60_000 }, { limit: 1500, windowMs: 3_600_000 }], clock);
  const order = [];
  const queuedInfo = [];
  const all = Array.from({ length: 500 }, (_, i) => g.acquire({ onQueued: (info) => queuedInfo.push(info) }).then(() => order.push(i)));
  await flush();
  assert.equal(order.length, 100, 'first window grants 100');
  assert.equal(g.queued, 400);
  assert.equal(queuedInfo.length, 400);
  assert.equal(queuedInfo[0].waitMs, 60_000);
  assert.equal(queuedInfo[0].reason, 'rate-budget');
  await clock.advance(59_999);
  assert.equal(order.length, 100, 'nothing before the window slides');
  await clock.advance(1);
  assert.equal(order.length, 200);
  await clock.advance(180_000);
  await Promise.all(all);
  assert.equal(order.length, 500);
  assert.deepEqual(order, [...order].sort((a, b) => a - b), 'FIFO');
  assert.equal(g.stats.maxQueue, 400);
});

test('hourly window holds even when the minute window is free', async () => {
  const clock = fakeClock();
  const g = new RateGovernor([{ limit: 5, windowMs: 1_000 }, { limit: 8, windowMs: 10_000 }], clock);
  let granted = 0;
  for (let i = 0; i < 10; i++) g.acquire().then(() => granted++);
  await flush();
  assert.equal(granted, 5);
  await clock.advance(1_000);
  assert.equal(granted, 8, 'hour budget caps at 8');
  await clock.advance(5_000);
  assert.equal(granted, 8);
  await clock.advance(4_000);
  assert.equal(granted, 10, 'frees when the first grants leave the long window');
});

test('pause (429 Retry-After) holds every queued request of the family', async () => {
  const clock = fakeClock();
  const g = new RateGovernor([{ limit: 100, windowMs: 60_000 }], clock);
  await g.acquire();
  g.pause(5_000);
  let done = 0;
  let reason;
  const p = [g.acquire({ onQueued: (i) => (reason = i.reason) }), g.acquire()].map((x) => x.then(() => done++));
  await flush();
  assert.equal(done, 0);
  assert.equal(reason, 'retry-after');
  await clock.advance(4_999);
  assert.equal(done, 0);
  await clock.advance(1);
  await Promise.all(p);
  assert.equal(done, 2);
});

test('abort removes a queued request; the rest keep their order', async () => {
  const clock = fakeClock();
  const g = new RateGovernor([{ limit: 1, windowMs: 1_000 }], clock);
  await g.acquire();
  const ac = new AbortController();
  const got = [];
  const a = g.acquire({ signal: ac.signal });
  const b = g.acquire().then(() => got.push('b'));
  ac.abort();
  await assert.rejects(a);
  await clock.advance(1_000);
  await b;
  assert.deepEqual(got, ['b']);
  assert.equal(g.queued, 0);
});

test('registry shares one governor per origin + tenant + family', () => {
  resetGovernors();
  const a = governorFor('https://API.example', 'T1', 'alerts');
  assert.equal(governorFor('https://api.example', 't1', 'alerts'), a);
  assert.notEqual(governorFor('https://api.example', 't1', 'hunting'), a);
  assert.notEqual(governorFor('https://api.example', 't2', 'alerts'), a);
  assert.deepEqual(DEFAULT_RATE_BUDGETS.hunting, [{ limit: 45, windowMs: 60_000 }, { limit: 1500, windowMs: 3_600_000 }]);
  assert.deepEqual(DEFAULT_RATE_BUDGETS['graph-hunting'], DEFAULT_RATE_BUDGETS.hunting);
  assert.deepEqual(DEFAULT_RATE_BUDGETS.machineactions, [{ limit: 100, windowMs: 60_000 }, { limit: 1500, windowMs: 3_600_000 }]);
  resetGovernors();
});

test('a slot is re-dated when its response arrives, so the next window starts from there', async () => {
  const clock = fakeClock();
  const g = new RateGovernor([{ limit: 2, windowMs: 1_000 }], clock);
  const a = await g.acquire();
  const b = await g.acquire();
  let third = false;
  const c = g.acquire().then((slot) => {
    third = true;
    return slot;
  });
  // The responses come back 300 ms after the grants: the service counted the calls then.
  await clock.advance(300);
  a.counted();
  b.counted();
  await clock.advance(750); // 1 050 ms after the grants, only 750 ms after the responses
  assert.equal(third, false, 'the window is measured from the responses');
  await clock.advance(300);
  assert.equal(third, true);
  (await c).counted();
});

test('a refused call (429) gives its slot back, so its retry is not charged twice', async () => {
  const clock = fakeClock();
  const g = new RateGovernor([{ limit: 1, windowMs: 1_000 }], clock);
  const first = await g.acquire();
  let granted = false;
  const retry = g.acquire().then((slot) => {
    granted = true;
    return slot;
  });
  await flush();
  assert.equal(granted, false);
  first.refunded();
  await flush();
  assert.equal(granted, true);
  (await retry).counted();
  first.counted(); // settling twice is harmless
  assert.equal(g.nextFreeInMs() > 0, true, 'the retry holds the only slot');
});

test('a slot is dated when the answer began, not when a large body finished downloading', async () => {
  const clock = fakeClock();
  const g = new RateGovernor([{ limit: 1, windowMs: 1_000 }], clock);
  const a = await g.acquire();
  let second = false;
  const b = g.acquire().then((slot) => {
    second = true;
    return slot;
  });
  // The status line arrived 200 ms after the grant; the body took 500 ms more to download.
  await clock.advance(700);
  a.counted(500);
  await clock.advance(450); // 1 150 ms after the grant, 950 ms after the answer began
  assert.equal(second, false, 'the window runs from the start of the answer');
  await clock.advance(100); // 1 050 ms after the answer began
  assert.equal(second, true, 'the body download does not hold the next call back');
  (await b).counted();
});
