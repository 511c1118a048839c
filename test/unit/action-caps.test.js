'use strict';
// The per-action-type cap: pure sliding windows, the journal-backed ledger behind ActionCapLedger,
// and IsolationGuard's cap built on it (its own tests stay in safety.test.js).
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { SlidingWindowCaps, JournalCapLedger } = require('../../dist/client/safety/action-caps.js');
const { ActionJournal } = require('../../dist/client/safety/action-journal.js');
const { IsolationGuard } = require('../../dist/client/safety/isolation-guard.js');

describe('per-action-type caps', () => {
  it('counts each action type in its own sliding window', () => {
    let now = 1_000_000;
    const caps = new SlidingWindowCaps(() => now);
    const rule = { limit: 2, windowMs: 60_000 };
    assert.equal(caps.take('RunAntiVirusScan', rule).allowed, true);
    assert.equal(caps.take('RunAntiVirusScan', rule).allowed, true);
    assert.deepEqual(caps.take('RunAntiVirusScan', rule), { allowed: false, count: 2, limit: 2, windowMs: 60_000 });
    assert.equal(caps.take('Offboard', { limit: 1, windowMs: 60_000 }).allowed, true, 'another type has its own count');
    assert.equal(caps.count('RunAntiVirusScan', 60_000), 2, 'a refused request is not counted');
    now += 60_001;
    assert.equal(caps.take('RunAntiVirusScan', rule).allowed, true, 'the window slides');
  });

  it('restores only numbers from a snapshot and keeps what a day of windows needs', () => {
    let now = 10 * 86_400_000;
    const caps = new SlidingWindowCaps(() => now);
    caps.restore({ Offboard: [now - 1000, 'x', null, now - 2 * 86_400_000], Bogus: 'nope' });
    assert.equal(caps.count('Offboard', 86_400_000), 1);
    assert.deepEqual(caps.snapshot(), { Offboard: [now - 1000] });
    now += 1;
  });

  it('the journal ledger survives a restart and never gives the last slot twice', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mde-caps-'));
    const file = path.join(dir, 'journal.json');
    const ledger = new JournalCapLedger(new ActionJournal(file), 'machine-action-caps:cfg');
    const rule = { limit: 3, windowMs: 600_000 };
    const decisions = await Promise.all(Array.from({ length: 5 }, () => ledger.take('Offboard', rule)));
    assert.equal(decisions.filter((d) => d.allowed).length, 3);
    const again = new JournalCapLedger(new ActionJournal(file), 'machine-action-caps:cfg');
    assert.equal(await again.count('Offboard', 600_000), 3);
    assert.equal((await again.take('Offboard', rule)).allowed, false);
    const other = new JournalCapLedger(new ActionJournal(file), 'machine-action-caps:other-connection');
    assert.equal((await other.take('Offboard', rule)).allowed, true, 'each connection has its own ledger');
  });

  it('IsolationGuard keeps its snapshot format on the generic windows', () => {
    let now = 5_000_000;
    const guard = new IsolationGuard(2, 60_000, () => now);
    guard.restore({ isolations: [now - 70_000, now - 1000], lastRequest: {} });
    assert.equal(guard.isolationsInWindow(), 1);
    guard.record('m1', 'isolate', true);
    assert.equal(guard.checkCap().allowed, false);
    assert.deepEqual(guard.snapshot().isolations, [now - 1000, now]);
    now += 61_000;
    assert.equal(guard.checkCap().allowed, true);
  });
});
