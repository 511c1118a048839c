'use strict';
// The trigger's engine against an in-memory fake of Graph's list endpoint: offset paging read
// afresh for every page (like $skip / @odata.nextLink), newest first, no server-side ordering
// promise, and hooks that change the data between pages.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { AlertPoller, timeKey, sinceFromKey, fingerprint, changedFields } = require('../../dist/client/alerts/poller.js');
const { MemoryCheckpointStore, FileCheckpointStore } = require('../../dist/client/state/checkpoint-store.js');

const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const MIN = 60_000;
const iso = (ms) => new Date(ms).toISOString();

function alert(id, createdMs, extra = {}) {
  const created = typeof createdMs === 'string' ? createdMs : iso(createdMs);
  return { id, title: `alert ${id}`, severity: 'high', status: 'new', assignedTo: null, createdDateTime: created, lastUpdateDateTime: created, ...extra };
}

class FakeGraph {
  constructor({ pageSize = 10 } = {}) {
    this.pageSize = pageSize;
    this.items = [];
    this.hidden = new Set();
    this.queries = [];
    this.pagesServed = 0;
    /** (pageIndex, graph) => void, called before each page is cut (1-based). */
    this.beforePage = undefined;
    this.source = this.source.bind(this);
  }
  add(...alerts) {
    this.items.push(...alerts);
    return this;
  }
  find(id) {
    return this.items.find((a) => a.id === id);
  }
  update(id, changes, atMs) {
    Object.assign(this.find(id), changes, { lastUpdateDateTime: iso(atMs) });
  }
  matching(q) {
    const since = Date.parse(q.since);
    return this.items
      // A time the fake cannot read is passed on: the engine must cope with what it is given.
      .filter((a) => !this.hidden.has(a.id) && !(Date.parse(a[q.field]) < since))
      .map((a, index) => ({ a, index }))
      .sort((x, y) => Date.parse(y.a.createdDateTime) - Date.parse(x.a.createdDateTime) || y.index - x.index)
      .map((x) => x.a);
  }
  async *source(q) {
    this.queries.push({ field: q.field, since: q.since });
    for (let page = 1, skip = 0; ; page++, skip += this.pageSize) {
      if (this.beforePage) await this.beforePage(page, this);
      const slice = this.matching(q).slice(skip, skip + this.pageSize);
      this.pagesServed++;
      await new Promise((r) => setImmediate(r));
      yield { items: structuredClone(slice) };
      if (slice.length < this.pageSize) return;
    }
  }
}

function poller(graph, overrides = {}) {
  const clock = overrides.clock ?? { now: T0 + 60 * MIN };
  return new AlertPoller({
    source: graph.source,
    store: overrides.store ?? new MemoryCheckpointStore(),
    key: 'trigger-1|tenant|alerts',
    mode: 'created',
    lookbackMs: 60 * MIN,
    overlapMs: 5 * MIN,
    now: () => clock.now,
    ...overrides,
  });
}

async function pollIds(p, opts = {}) {
  const emitted = [];
  const outcome = await p.poll({ ...opts, emit: (e) => emitted.push(e) });
  return { ids: emitted.map((e) => e.id), emitted, outcome };
}

const range = (n, f) => Array.from({ length: n }, (_, i) => f(i));

describe('time keys', () => {
  it('keep 7 fractional digits so items within one millisecond still order', () => {
    assert.equal(timeKey('2026-12-01T10:00:00.1234567Z'), '2026-12-01T10:00:00.1234567Z');
    assert.equal(timeKey('2026-12-01T10:00:00Z'), '2026-12-01T10:00:00.0000000Z');
    assert.equal(timeKey('2026-12-01T10:00:00.5Z'), '2026-12-01T10:00:00.5000000Z');
    assert.ok(timeKey('2026-12-01T10:00:00.1234567Z') < timeKey('2026-12-01T10:00:00.1234568Z'));
    assert.equal(timeKey('2026-12-01T11:00:00.25+01:00'), '2026-12-01T10:00:00.2500000Z');
  });
  it('refuse what is not an ISO 8601 time', () => {
    for (const bad of [undefined, null, 12, '', 'yesterday', '2026-12-01', '2026-13-45T99:00:00Z']) assert.equal(timeKey(bad), undefined, String(bad));
  });
  it('floor to the millisecond for the query, so the filter asks for a superset', () => {
    assert.equal(sinceFromKey('2026-12-01T10:00:00.1239999Z'), '2026-12-01T10:00:00.123Z');
  });
});

describe('field fingerprints', () => {
  it('name changed, added and removed top-level fields, ignoring key order and lastUpdateDateTime', () => {
    const a = { id: '1', status: 'new', evidence: [{ b: 1, a: 2 }], lastUpdateDateTime: 'x', gone: 1 };
    const b = { id: '1', status: 'inProgress', evidence: [{ a: 2, b: 1 }], lastUpdateDateTime: 'y', assignedTo: 'x@y' };
    assert.deepEqual(changedFields(fingerprint(a), fingerprint(b)), ['status', 'assignedTo', 'gone']);
  });
  it('store short hashes, not values', () => {
    const f = fingerprint({ description: 'x'.repeat(10_000) });
    assert.ok(f.description.length <= 12);
  });
});

describe('AlertPoller: first start and order', () => {
  it('looks back the configured time on first start and emits oldest first', async () => {
    const graph = new FakeGraph().add(alert('old', T0 - 5 * MIN), alert('c', T0 + 30 * MIN), alert('a', T0 + 10 * MIN), alert('b', T0 + 20 * MIN));
    const p = poller(graph);
    const { ids, emitted, outcome } = await pollIds(p);
    assert.deepEqual(ids, ['a', 'b', 'c'], 'time order, nothing older than the look-back');
    assert.ok(emitted.every((e) => e.event === 'created' && e.changed === undefined));
    assert.equal(graph.queries[0].since, iso(T0));
    assert.equal(graph.queries[0].field, 'createdDateTime');
    assert.equal(outcome.checkpoint, timeKey(iso(T0 + 30 * MIN)));
  });

  it('emits nothing again on the next polls, and asks from the watermark minus the overlap', async () => {
    const graph = new FakeGraph().add(alert('a', T0 + 10 * MIN), alert('b', T0 + 20 * MIN));
    const p = poller(graph);
    await pollIds(p);
    for (let i = 0; i < 3; i++) assert.deepEqual((await pollIds(p)).ids, []);
    assert.equal(graph.queries.at(-1).since, iso(T0 + 15 * MIN));
  });

  it('orders items of one millisecond by their 7-digit times, then by ID', async () => {
    const graph = new FakeGraph().add(
      alert('z', '2026-12-01T10:30:00.0000003Z'),
      alert('y', '2026-12-01T10:30:00.0000001Z'),
      alert('b', '2026-12-01T10:30:00.0000002Z'),
      alert('a', '2026-12-01T10:30:00.0000002Z'),
    );
    assert.deepEqual((await pollIds(poller(graph))).ids, ['y', 'a', 'b', 'z']);
  });

  it('leaves out items without an ID or a time, and counts them', async () => {
    const graph = new FakeGraph().add(alert('ok', T0 + MIN), { title: 'no id', createdDateTime: iso(T0 + MIN) }, alert('bad-time', 'yesterday'));
    const { ids, outcome } = await pollIds(poller(graph));
    assert.deepEqual(ids, ['ok']);
    assert.equal(outcome.malformed, 2);
  });

  it('refuses settings of the wrong type or range', () => {
    const graph = new FakeGraph();
    assert.throws(() => poller(graph, { mode: 'both' }), /"created" or "updated"/);
    assert.throws(() => poller(graph, { overlapMs: '300000' }), /overlap/);
    assert.throws(() => poller(graph, { lookbackMs: -1 }), /look-back/);
    assert.throws(() => poller(graph, { maxBatch: 0 }), /batch/);
  });
});

describe('AlertPoller: bursts with one timestamp across page boundaries', () => {
  it('emits all 25 alerts sharing one timestamp (page size 10) once each', async () => {
    const at = T0 + 30 * MIN;
    const graph = new FakeGraph({ pageSize: 10 }).add(...range(25, (i) => alert(`burst-${String(i).padStart(2, '0')}`, at)));
    const p = poller(graph);
    const first = await pollIds(p);
    assert.equal(first.ids.length, 25);
    assert.equal(new Set(first.ids).size, 25);
    assert.deepEqual(first.ids, [...first.ids].sort(), 'ties ordered by ID');
    assert.equal(first.outcome.pages, 3);
    assert.deepEqual((await pollIds(p)).ids, [], 'the watermark is that timestamp, asked again with ge, all remembered');
  });

  for (const overlapMs of [5 * MIN, 0]) {
    it(`picks up more alerts with the watermark timestamp that arrive after the poll (overlap ${overlapMs / MIN} min)`, async () => {
      const at = T0 + 30 * MIN;
      const graph = new FakeGraph({ pageSize: 10 }).add(...range(10, (i) => alert(`first-${i}`, at)));
      const p = poller(graph, { overlapMs });
      assert.equal((await pollIds(p)).ids.length, 10);
      graph.add(...range(7, (i) => alert(`second-${i}`, at)));
      const second = await pollIds(p);
      assert.deepEqual(second.ids, range(7, (i) => `second-${i}`));
      assert.equal(second.outcome.repeated, 10);
    });
  }

  it('caps a poll at maxBatch inside a burst and finishes it in the next polls, none lost or doubled', async () => {
    const at = T0 + 30 * MIN;
    const graph = new FakeGraph({ pageSize: 4 }).add(alert('before', at - MIN), ...range(25, (i) => alert(`b${String(i).padStart(2, '0')}`, at)), alert('after', at + MIN));
    const p = poller(graph, { maxBatch: 10 });
    const all = [];
    let polls = 0;
    for (;;) {
      const { ids, outcome } = await pollIds(p);
      all.push(...ids);
      polls++;
      if (!outcome.more) break;
      assert.equal(ids.length, 10);
    }
    assert.equal(polls, 3);
    assert.deepEqual(all, ['before', ...range(25, (i) => `b${String(i).padStart(2, '0')}`), 'after']);
    assert.deepEqual((await pollIds(p)).ids, []);
  });
});

describe('AlertPoller: late arrivals (ingestion delay)', () => {
  it('emits an alert that shows up late, within the overlap, at the next poll', async () => {
    const graph = new FakeGraph().add(alert('a', T0 + 10 * MIN), alert('late', T0 + 18 * MIN), alert('b', T0 + 20 * MIN));
    graph.hidden.add('late');
    const p = poller(graph);
    assert.deepEqual((await pollIds(p)).ids, ['a', 'b']);
    graph.hidden.delete('late');
    assert.deepEqual((await pollIds(p)).ids, ['late']);
    assert.deepEqual((await pollIds(p)).ids, []);
  });

  it('does not reach further back than the overlap (a later delay is outside the contract)', async () => {
    const graph = new FakeGraph().add(alert('a', T0 + 10 * MIN), alert('very-late', T0 + 12 * MIN), alert('b', T0 + 20 * MIN));
    graph.hidden.add('very-late');
    const p = poller(graph);
    await pollIds(p);
    graph.hidden.delete('very-late');
    assert.deepEqual((await pollIds(p)).ids, []);
    assert.equal(graph.queries.at(-1).since, iso(T0 + 15 * MIN));
  });

  it('keeps only the alerts inside the window in memory', async () => {
    const clock = { now: T0 + 60 * MIN };
    const store = new MemoryCheckpointStore();
    const graph = new FakeGraph({ pageSize: 50 });
    const p = poller(graph, { clock, store });
    for (let minute = 0; minute < 120; minute++) {
      graph.add(alert(`m${minute}`, T0 + 60 * MIN + minute * MIN));
      clock.now = T0 + 60 * MIN + minute * MIN;
      assert.deepEqual((await pollIds(p)).ids, [`m${minute}`]);
    }
    const saved = await store.load('trigger-1|tenant|alerts');
    assert.ok(saved.seen.length <= 6, `remembered ${saved.seen.length} alerts, the window holds 6 at most`);
    assert.ok(graph.queries.every((q, i) => i === 0 || q.since >= graph.queries[i - 1].since), 'the lower bound never moves back');
  });
});

describe('AlertPoller: stop or crash mid-batch', () => {
  function thirty() {
    return new FakeGraph({ pageSize: 7 }).add(...range(30, (i) => alert(`a${String(i).padStart(2, '0')}`, T0 + i * MIN)));
  }

  it('stops when the signal fires and resumes after the last emitted item (redeploy)', async () => {
    const graph = thirty();
    const store = new MemoryCheckpointStore();
    const controller = new AbortController();
    const first = [];
    const outcome = await poller(graph, { store }).poll({
      signal: controller.signal,
      emit: (e) => {
        first.push(e.id);
        if (first.length === 12) controller.abort();
      },
    });
    assert.equal(outcome.aborted, true);
    assert.equal(first.length, 12);
    const rest = (await pollIds(poller(graph, { store }))).ids;
    assert.deepEqual([...first, ...rest], range(30, (i) => `a${String(i).padStart(2, '0')}`));
  });

  it('after a crash resumes from what the store last held, never skipping an item', async () => {
    // The "disk" is whatever the store held at the moment of the crash: taken while item 18 is
    // being sent, it holds items 0-17 at most.
    const graph = thirty();
    const store = new MemoryCheckpointStore();
    let onDisk;
    const sent = [];
    await assert.rejects(
      poller(graph, { store }).poll({
        emit: async (e) => {
          if (sent.length === 18) {
            onDisk = await store.load('trigger-1|tenant|alerts');
            throw new Error('process killed');
          }
          sent.push(e.id);
        },
      }),
      /process killed/,
    );
    const restarted = new MemoryCheckpointStore();
    await restarted.save('trigger-1|tenant|alerts', onDisk);
    const rest = (await pollIds(poller(graph, { store: restarted }))).ids;
    assert.deepEqual([...sent, ...rest], range(30, (i) => `a${String(i).padStart(2, '0')}`));
  });

  it('does not record an item whose sending threw, and sends it again next poll', async () => {
    const graph = thirty();
    const p = poller(graph);
    let calls = 0;
    await assert.rejects(p.poll({ emit: (e) => { if (++calls === 5) throw new Error(`send failed for ${e.id}`); } }), /send failed for a04/);
    const { ids } = await pollIds(p);
    assert.equal(ids[0], 'a04');
    assert.equal(ids.length, 26);
  });
});

describe('AlertPoller: failing source', () => {
  it('keeps the checkpoint when a page fails, and the next poll emits everything once', async () => {
    const graph = new FakeGraph({ pageSize: 5 }).add(...range(12, (i) => alert(`f${String(i).padStart(2, '0')}`, T0 + i * MIN)));
    const store = new MemoryCheckpointStore();
    const p = poller(graph, { store });
    const before = await p.state();
    graph.beforePage = (page) => {
      if (page === 2) throw Object.assign(new Error('Service unavailable'), { code: 'ServiceUnavailable' });
    };
    const emitted = [];
    await assert.rejects(p.poll({ emit: (e) => emitted.push(e.id) }), /Service unavailable/);
    assert.deepEqual(emitted, [], 'nothing is emitted from a partial read');
    assert.deepEqual(await p.state(), before);
    graph.beforePage = undefined;
    assert.deepEqual((await pollIds(p)).ids, range(12, (i) => `f${String(i).padStart(2, '0')}`));
  });

  it('returns quietly when aborted while reading', async () => {
    const graph = new FakeGraph({ pageSize: 2 }).add(...range(6, (i) => alert(`x${i}`, T0 + i * MIN)));
    const controller = new AbortController();
    graph.beforePage = (page) => {
      if (page === 2) controller.abort();
    };
    const { ids, outcome } = await pollIds(poller(graph), { signal: controller.signal });
    assert.deepEqual(ids, []);
    assert.equal(outcome.aborted, true);
  });
});

describe('AlertPoller: reads over several pages are not snapshots', () => {
  it('finds an alert hidden by a shift while paging (an earlier alert left the result set) at the next poll', async () => {
    // Newest first, 10 per page. While page 1 is being read, an alert on page 1 stops matching
    // (its status filter); page 2 then starts one further down and never shows alert n19.
    const graph = new FakeGraph({ pageSize: 10 }).add(...range(30, (i) => alert(`n${String(i).padStart(2, '0')}`, T0 + i * MIN)));
    graph.beforePage = (page) => {
      if (page === 2) graph.hidden.add('n25');
    };
    const p = poller(graph);
    const first = await pollIds(p);
    graph.beforePage = undefined;
    assert.equal(first.ids.includes('n19'), false, 'the shift hid n19 from the first read');
    assert.ok(first.outcome.pages > 1);
    const second = await pollIds(p);
    assert.deepEqual(second.ids, ['n19']);
    assert.equal(graph.queries[1].since, graph.queries[0].since, 'asked again from the same lower bound');
    assert.deepEqual((await pollIds(p)).ids, []);
    assert.ok(graph.queries[2].since > graph.queries[1].since, 'then the bound moves on');
  });

  it('tolerates alerts inserted on top while paging (they shift items into the next page twice)', async () => {
    const graph = new FakeGraph({ pageSize: 10 }).add(...range(25, (i) => alert(`s${String(i).padStart(2, '0')}`, T0 + i * MIN)));
    let added = 0;
    graph.beforePage = (page) => {
      if (page > 1 && added < 3) graph.add(alert(`new${added++}`, T0 + 40 * MIN + added * 1000));
    };
    const p = poller(graph);
    const { ids } = await pollIds(p);
    graph.beforePage = undefined;
    const again = (await pollIds(p)).ids;
    const all = [...ids, ...again];
    assert.equal(added, 2, 'two alerts arrived during the read');
    assert.equal(new Set(all).size, all.length, 'no alert twice');
    assert.equal(all.length, 27, 'none missing');
  });
});

describe('AlertPoller: updated mode', () => {
  it('emits an alert again when lastUpdateDateTime moves, naming the changed fields', async () => {
    const clock = { now: T0 + 60 * MIN };
    const graph = new FakeGraph().add(alert('a', T0 + 10 * MIN), alert('b', T0 + 20 * MIN));
    const p = poller(graph, { mode: 'updated', clock });
    const first = await pollIds(p);
    assert.deepEqual(first.emitted.map((e) => [e.id, e.event]), [['a', 'created'], ['b', 'created']]);
    assert.equal(graph.queries[0].field, 'lastUpdateDateTime');

    graph.update('a', { status: 'inProgress', assignedTo: 'analyst@contoso.com' }, T0 + 70 * MIN);
    const second = await pollIds(p);
    assert.deepEqual(second.ids, ['a']);
    assert.equal(second.emitted[0].event, 'updated');
    assert.deepEqual(second.emitted[0].changed, ['status', 'assignedTo']);
    assert.equal(second.emitted[0].item.status, 'inProgress');

    assert.deepEqual((await pollIds(p)).ids, [], 'the same version is not emitted twice');
    graph.update('a', { comments: [{ comment: 'looked at it' }] }, T0 + 71 * MIN);
    graph.update('b', { status: 'resolved' }, T0 + 72 * MIN);
    const third = await pollIds(p);
    assert.deepEqual(third.emitted.map((e) => [e.id, e.changed]), [['a', ['comments']], ['b', ['status']]]);
  });

  it('says changed: null when the previous version is no longer remembered (bounded memory)', async () => {
    const graph = new FakeGraph().add(alert('a', T0 + 10 * MIN), alert('b', T0 + 20 * MIN), alert('c', T0 + 30 * MIN));
    const store = new MemoryCheckpointStore();
    const p = poller(graph, { mode: 'updated', maxVersions: 2, store });
    await pollIds(p);
    const saved = await store.load('trigger-1|tenant|alerts');
    assert.deepEqual(saved.versions.map((v) => v[0]), ['b', 'c'], 'the least recently emitted was forgotten');
    graph.update('a', { status: 'resolved' }, T0 + 80 * MIN);
    graph.update('c', { severity: 'low' }, T0 + 81 * MIN);
    const { emitted } = await pollIds(p);
    assert.deepEqual(emitted.map((e) => [e.id, e.event, e.changed]), [['a', 'updated', null], ['c', 'updated', ['severity']]]);
  });

  it('reports an alert created before the checkpoint and updated now as updated (previous version unknown)', async () => {
    const graph = new FakeGraph().add(alert('old', T0 - 10 * 60 * MIN));
    const p = poller(graph, { mode: 'updated' });
    assert.deepEqual((await pollIds(p)).ids, []);
    graph.update('old', { status: 'resolved' }, T0 + 50 * MIN);
    const { emitted } = await pollIds(p);
    assert.deepEqual(emitted.map((e) => [e.id, e.event, e.changed]), [['old', 'updated', null]]);
  });

  it('remembers versions across a restart (the checkpoint holds their fingerprints, not the alerts)', async () => {
    const graph = new FakeGraph().add(alert('a', T0 + 10 * MIN, { description: 'x'.repeat(5000) }));
    const store = new MemoryCheckpointStore();
    await pollIds(poller(graph, { mode: 'updated', store }));
    assert.ok(JSON.stringify(await store.load('trigger-1|tenant|alerts')).length < 1000);
    graph.update('a', { severity: 'medium' }, T0 + 61 * MIN);
    const { emitted } = await pollIds(poller(graph, { mode: 'updated', store }));
    assert.deepEqual(emitted.map((e) => e.changed), [['severity']]);
  });

  it('in created mode ignores updates', async () => {
    const graph = new FakeGraph().add(alert('a', T0 + 10 * MIN));
    const p = poller(graph);
    await pollIds(p);
    graph.update('a', { status: 'resolved' }, T0 + 65 * MIN);
    assert.deepEqual((await pollIds(p)).ids, []);
  });
});

describe('AlertPoller: reset and large backlogs', () => {
  it('reset starts again from now minus the look-back', async () => {
    const clock = { now: T0 + 60 * MIN };
    const graph = new FakeGraph().add(alert('a', T0 + 10 * MIN), alert('b', T0 + 50 * MIN));
    const p = poller(graph, { clock });
    await pollIds(p);
    clock.now = T0 + 90 * MIN;
    await p.reset();
    assert.deepEqual((await pollIds(p)).ids, ['b']);
    assert.equal(graph.queries.at(-1).since, iso(T0 + 30 * MIN));
  });

  it('drains 10,000 alerts in one poll, in order, yielding to the event loop while emitting', async () => {
    const graph = new FakeGraph({ pageSize: 2000 }).add(...range(10_000, (i) => alert(`k${String(i).padStart(5, '0')}`, T0 + 1000 + i * 300)));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const { ids, outcome } = await pollIds(poller(graph));
    clearInterval(timer);
    assert.equal(ids.length, 10_000);
    assert.equal(outcome.pages, 6);
    assert.equal(outcome.more, false);
    assert.ok(ids.every((id, i) => i === 0 || ids[i - 1] < id), 'in time order');
    assert.ok(ticks > 0, 'timers ran during the batch');
  });
});

describe('FileCheckpointStore', () => {
  const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'mde-cp-'));

  it('survives a restart: a new store on the same file continues where the last one stopped', async () => {
    const dir = tmp();
    const file = path.join(dir, 'mde-trigger-checkpoints.json');
    const graph = new FakeGraph().add(alert('a', T0 + 10 * MIN), alert('b', T0 + 20 * MIN));
    const first = new FileCheckpointStore(file);
    assert.deepEqual((await pollIds(poller(graph, { store: first }))).ids, ['a', 'b']);
    await first.flush();
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    graph.add(alert('c', T0 + 30 * MIN));
    assert.deepEqual((await pollIds(poller(graph, { store: new FileCheckpointStore(file) }))).ids, ['c']);
  });

  it('coalesces saves while a write is on disk (10,000 emitted alerts, a few writes)', async () => {
    const dir = tmp();
    const file = path.join(dir, 'cp.json');
    const graph = new FakeGraph({ pageSize: 2000 }).add(...range(10_000, (i) => alert(`w${i}`, T0 + 1000 + i * 300)));
    const fsp = require('node:fs').promises;
    const rename = fsp.rename;
    let writes = 0;
    fsp.rename = (...args) => {
      writes++;
      return rename.apply(fsp, args);
    };
    try {
      const { ids } = await pollIds(poller(graph, { store: new FileCheckpointStore(file) }));
      assert.equal(ids.length, 10_000);
    } finally {
      fsp.rename = rename;
    }
    assert.ok(writes >= 2 && writes < 1000, `${writes} writes`);
    const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.equal(doc.checkpoints['trigger-1|tenant|alerts'].watermark, timeKey(iso(T0 + 1000 + 9999 * 300)));
  });

  it('keeps checkpoints of several keys side by side, and removes one', async () => {
    const file = path.join(tmp(), 'cp.json');
    const store = new FileCheckpointStore(file);
    await Promise.all([store.save('n1|t|alerts', { v: 1 }), store.save('n2|t|alerts', { v: 2 })]);
    await store.remove('n1|t|alerts');
    const reread = new FileCheckpointStore(file);
    assert.equal(await reread.load('n1|t|alerts'), undefined);
    assert.deepEqual(await reread.load('n2|t|alerts'), { v: 2 });
  });

  it('sets an unreadable file aside, says so, and starts empty', async () => {
    const dir = tmp();
    const file = path.join(dir, 'cp.json');
    fs.writeFileSync(file, '{"version":1,"checkpoints":{"a":');
    const problems = [];
    const store = new FileCheckpointStore(file, { onProblem: (m) => problems.push(m) });
    assert.equal(await store.load('a'), undefined);
    assert.equal(problems.length, 1);
    assert.match(problems[0], /could not be read/);
    assert.equal(fs.readdirSync(dir).filter((f) => f.startsWith('cp.json.unreadable-')).length, 1);
  });

  it('reports a write failure to the poll instead of pretending the checkpoint moved', async () => {
    const dir = tmp();
    const blocker = path.join(dir, 'not-a-dir');
    fs.writeFileSync(blocker, 'x');
    const graph = new FakeGraph().add(alert('a', T0 + 10 * MIN));
    await assert.rejects(pollIds(poller(graph, { store: new FileCheckpointStore(path.join(blocker, 'cp.json')) })), /ENOTDIR|EEXIST/);
  });
});
