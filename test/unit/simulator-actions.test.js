'use strict';
// Machine actions: isolation lifecycle, duplicates, validation, cancel, outcomes.
const { test, before, after, describe } = require('node:test');
const assert = require('node:assert/strict');
const { startSimulator, DEMO } = require('../../dist/simulator/index.js');
const { request, getToken, sleep } = require('../fixtures/simulator-client.js');

const TIMINGS = { pendingMs: 60, inProgressMs: 120 };

async function waitFor(fn, timeoutMs = 2000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(15);
  }
}

describe('machine actions', () => {
  let sim;
  let tok;
  const byName = (n) => sim.state.machines.find((m) => m.computerDnsName === n);
  before(async () => {
    sim = await startSimulator({
      alerts: 3, machines: 24, processEvents: 20, actionTimings: TIMINGS,
      actionOutcome: { 'srv-sql-02.contoso-sim.local': 'Failed' },
    });
    tok = await getToken(sim);
  });
  after(() => sim.close());
  const post = (path, json, token = tok) => request(sim, 'POST', path, { token, json });
  const isolation = async (id) => (await request(sim, 'GET', '/_simulator/state')).json.machines.find((m) => m.id === id).isolationState;

  test('isolate: 201 Pending with the full field set, then InProgress, then Succeeded; isolation state follows', async (t) => {
    // Its own simulator with wide Pending / InProgress windows, so a busy machine cannot skip a state.
    const slow = await startSimulator({ alerts: 3, machines: 24, processEvents: 20, actionTimings: { pendingMs: 400, inProgressMs: 1500 } });
    t.after(() => slow.close());
    const slowTok = await getToken(slow);
    const post = (path, json) => request(slow, 'POST', path, { token: slowTok, json });
    const isolation = async (id) => (await request(slow, 'GET', '/_simulator/state')).json.machines.find((x) => x.id === id).isolationState;
    const m = slow.state.machines.find((x) => x.computerDnsName === 'ws-fin-0412.contoso-sim.local');
    // Read in one synchronous step inside the simulator: the machine is never isolated before the action succeeded.
    const consistent = (id) => {
      const action = slow.state.actions.find((x) => x.id === id);
      const state = slow.state.machineInternal.get(m.id)?.isolationState ?? 'NotIsolated';
      if (action.status !== 'Succeeded') assert.equal(state, 'NotIsolated', `isolated while ${action.status}`);
      return action.status;
    };
    const t0 = Date.now();
    const r = await post(`/api/machines/${m.id}/isolate`, { Comment: 'Isolate due to alert 1234', IsolationType: 'Selective' });
    assert.equal(r.status, 201, r.text);
    const a = r.json;
    assert.equal(a['@odata.context'], `https://127.0.0.1:${slow.port}/api/$metadata#MachineActions/$entity`);
    assert.match(a.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(a.type, 'Isolate');
    assert.equal(a.scope, 'Selective');
    assert.equal(a.status, 'Pending');
    assert.equal(a.requestor, DEMO.apps.socAutomation.displayName);
    assert.equal(a.requestorComment, 'Isolate due to alert 1234');
    assert.equal(a.requestSource, 'PublicApi');
    assert.equal(a.machineId, m.id);
    assert.equal(a.computerDnsName, m.computerDnsName);
    assert.equal(a.errorHResult, 0);
    for (const k of ['title', 'cancellationRequestor', 'cancellationComment', 'cancellationDateTimeUtc', 'externalId', 'relatedFileInfo', 'troubleshootInfo']) assert.equal(a[k], null, k);
    assert.deepEqual(a.commands, []);
    assert.match(a.creationDateTimeUtc, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
    assert.equal(await isolation(m.id), 'NotIsolated');

    const get = () => request(slow, 'GET', `/api/machineactions/${a.id}`, { token: slowTok });
    await waitFor(async () => { consistent(a.id); return (await get()).json.status === 'InProgress'; }, 10_000);
    assert.ok(Date.now() - t0 >= 400 - 5);
    const done = await waitFor(async () => { consistent(a.id); const x = (await get()).json; return x.status === 'Succeeded' && x; }, 10_000);
    assert.ok(done.lastUpdateDateTimeUtc > a.lastUpdateDateTimeUtc);
    assert.equal(await isolation(m.id), 'Isolated');

    const un = await post(`/api/machines/${m.id}/unisolate`, { Comment: 'release' });
    assert.equal(un.status, 201);
    assert.equal(un.json.type, 'Unisolate');
    await waitFor(async () => (await isolation(m.id)) === 'NotIsolated', 10_000);
  });

  test('duplicate isolate while pending: 400 ActiveRequestAlreadyExists; other machines unaffected', async () => {
    const m = byName('lt-exec-0007.contoso-sim.local');
    const first = await post(`/api/machines/${m.id}/isolate`, { Comment: 'one', IsolationType: 'Full' });
    assert.equal(first.status, 201);
    const dup = await post(`/api/machines/${m.computerDnsName}/isolate`, { Comment: 'two', IsolationType: 'Full' });
    assert.equal(dup.status, 400);
    assert.equal(dup.json.error.code, 'ActiveRequestAlreadyExists');
    assert.equal(dup.json.error.message, 'Action is already in progress');
    const other = await post(`/api/machines/${byName('ws-fin-0413.contoso-sim.local').id}/isolate`, { Comment: 'x', IsolationType: 'Full' });
    assert.equal(other.status, 201);
    await waitFor(async () => (await isolation(m.id)) === 'Isolated');
    // Once the first finished, a new isolate is accepted again.
    assert.equal((await post(`/api/machines/${m.id}/isolate`, { Comment: 'three', IsolationType: 'Full' })).status, 201);
  });

  test('duplicateActionMode return-existing answers 201 with the pending action', async () => {
    const s = await startSimulator({ alerts: 1, machines: 12, processEvents: 10, duplicateActionMode: 'return-existing', actionTimings: { pendingMs: 5000, inProgressMs: 5000 } });
    try {
      const t = await getToken(s);
      const m = s.state.machines[0];
      const a = await request(s, 'POST', `/api/machines/${m.id}/isolate`, { token: t, json: { Comment: 'a', IsolationType: 'Full' } });
      const b = await request(s, 'POST', `/api/machines/${m.id}/isolate`, { token: t, json: { Comment: 'b', IsolationType: 'Full' } });
      assert.equal(b.status, 201);
      assert.equal(b.json.id, a.json.id);
      assert.equal(s.state.actions.length, 1);
    } finally {
      await s.close();
    }
  });

  test('validation: Comment, IsolationType, property case, macOS, unknown machine', async () => {
    const m = byName('srv-app-03.contoso-sim.local');
    const cases = [
      [{ IsolationType: 'Full' }, 400, 'MissingRequiredParameter', /Comment/],
      [{ Comment: '', IsolationType: 'Full' }, 400, 'MissingRequiredParameter', /Comment/],
      [{ Comment: 'x', IsolationType: 'Partial' }, 400, 'InvalidInput', /IsolationType/],
      [{ comment: 'x', IsolationType: 'Full' }, 400, 'InvalidRequestBody', /./],
      [{ Comment: 'x', isolationType: 'Full' }, 400, 'InvalidRequestBody', /./],
      ['{not json', 400, 'InvalidRequestBody', /./],
    ];
    for (const [body, status, code, re] of cases) {
      const r = await post(`/api/machines/${m.id}/isolate`, body);
      assert.equal(r.status, status, JSON.stringify(body));
      assert.equal(r.json.error.code, code, JSON.stringify(body));
      assert.match(r.json.error.message, re);
    }
    const mac = await post(`/api/machines/${byName('mac-dsg-0031.contoso-sim.local').id}/isolate`, { Comment: 'x', IsolationType: 'Full' });
    assert.equal(mac.json.error.code, 'OsPlatformNotSupported');
    const nf = await post('/api/machines/0000000000000000000000000000000000000000/isolate', { Comment: 'x', IsolationType: 'Full' });
    assert.equal(nf.status, 404);
    assert.equal(nf.json.error.code, 'ResourceNotFound');
    assert.equal(sim.state.actions.filter((a) => a.machineId === m.id).length, 0);
  });

  test('Selective isolation: refused on Linux and macOS (OsPlatformNotSupported) and on Windows 10 before 1709 (ClientVersionNotSupported); Full on Linux accepted', async () => {
    const linux = byName('lnx-web-01.contoso-sim.local');
    const mac = byName('mac-dsg-0031.contoso-sim.local');
    const old = byName('kiosk-7.contoso-sim.local');
    const saved = { osBuild: old.osBuild, version: old.version, osVersion: old.osVersion };
    Object.assign(old, { osBuild: 15063, version: '1703', osVersion: '10.0.15063.2614' });
    try {
      const before = sim.state.actions.length;
      for (const [m, code, re] of [[linux, 'OsPlatformNotSupported', /^OS Platform Linux isn't supported for this action\.$/], [mac, 'OsPlatformNotSupported', /macOS/], [old, 'ClientVersionNotSupported', /supported on client version 1709 and above/]]) {
        const r = await post(`/api/machines/${m.id}/isolate`, { Comment: 'x', IsolationType: 'Selective' });
        assert.equal(r.status, 400, m.computerDnsName);
        assert.equal(r.json.error.code, code, m.computerDnsName);
        assert.match(r.json.error.message, re);
        assert.equal(typeof r.json.error.target, 'string', 'the documented error shape');
      }
      assert.equal(sim.state.actions.length, before, 'no action was created');
      const full = await post(`/api/machines/${linux.id}/isolate`, { Comment: 'x', IsolationType: 'Full' });
      assert.equal(full.status, 201, full.text);
      assert.equal(full.json.scope, 'Full');
    } finally {
      Object.assign(old, saved);
    }
  });

  test('cancel: Pending action becomes Cancelled with cancellation fields and never completes; final action → 400', async () => {
    const m = byName('dc010.contoso-sim.local');
    const a = (await post(`/api/machines/${m.id}/isolate`, { Comment: 'oops', IsolationType: 'Full' })).json;
    const noComment = await post(`/api/machineactions/${a.id}/cancel`, {});
    assert.equal(noComment.json.error.code, 'MissingRequiredParameter');
    const c = await post(`/api/machineactions/${a.id}/cancel`, { Comment: 'wrong machine' });
    assert.equal(c.status, 200);
    assert.equal(c.json.status, 'Cancelled');
    assert.equal(c.json.cancellationRequestor, DEMO.apps.socAutomation.displayName);
    assert.equal(c.json.cancellationComment, 'wrong machine');
    assert.ok(c.json.cancellationDateTimeUtc);
    await sleep(TIMINGS.pendingMs + TIMINGS.inProgressMs + 60);
    assert.equal(sim.state.actions.find((x) => x.id === a.id).status, 'Cancelled');
    assert.equal(await isolation(m.id), 'NotIsolated');
    const again = await post(`/api/machineactions/${a.id}/cancel`, { Comment: 'again' });
    assert.equal(again.status, 400);
    assert.equal((await post('/api/machineactions/8a0b2d6e-0000-4000-8000-000000000000/cancel', { Comment: 'x' })).status, 404);
  });

  test('outcome override: an action can end Failed and leaves isolation unchanged', async () => {
    const m = byName('srv-sql-02.contoso-sim.local');
    const a = (await post(`/api/machines/${m.id}/isolate`, { Comment: 'x', IsolationType: 'Full' })).json;
    const done = await waitFor(() => { const x = sim.state.actions.find((y) => y.id === a.id); return x.status !== 'Pending' && x.status !== 'InProgress' && x; });
    assert.equal(done.status, 'Failed');
    assert.notEqual(done.errorHResult, 0);
    assert.equal(await isolation(m.id), 'NotIsolated');
  });

  test('GET /machineactions with $filter, $orderby and $top; 404 for unknown id', async () => {
    const m = byName('ws-fin-0412.contoso-sim.local');
    assert.equal((await post(`/api/machines/${m.id}/isolate`, { Comment: 'listed', IsolationType: 'Full' })).status, 201);
    const r = await request(sim, 'GET', `/api/machineactions?$filter=${encodeURIComponent(`machineId eq '${m.id}' and type eq 'Isolate'`)}`, { token: tok });
    assert.equal(r.status, 200);
    assert.equal(r.json['@odata.context'], `https://127.0.0.1:${sim.port}/api/$metadata#MachineActions`);
    assert.equal(r.json.value.length, 1);
    const sorted = await request(sim, 'GET', '/api/machineactions?$orderby=CreationDateTimeUtc%20desc&$top=2', { token: tok });
    assert.equal(sorted.json.value.length, 2);
    assert.ok(sorted.json.value[0].creationDateTimeUtc >= sorted.json.value[1].creationDateTimeUtc);
    assert.equal(sorted.json.value[0].id, sim.state.actions.at(-1).id);
    const st = await request(sim, 'GET', `/api/machineactions?$filter=${encodeURIComponent("status in ('Cancelled','Failed')")}`, { token: tok });
    assert.deepEqual(st.json.value.map((a) => a.status).sort(), ['Cancelled', 'Failed']);
    assert.equal((await request(sim, 'GET', '/api/machineactions/nope', { token: tok })).status, 404);
  });
});

describe('answers lost after the action was created (dropAnswerNext)', () => {
  const https = require('node:https');
  let sim;
  let tok;
  before(async () => {
    sim = await startSimulator({ alerts: 1, machines: 12, processEvents: 10, actionTimings: { pendingMs: 5000, inProgressMs: 5000 } });
    tok = await getToken(sim);
  });
  after(() => sim.close());

  /** A POST that reports what arrived: status, body text, or the socket error. */
  function rawPost(path, json, timeoutMs = 3000) {
    return new Promise((resolve) => {
      const body = Buffer.from(JSON.stringify(json));
      const req = https.request({ host: '127.0.0.1', port: sim.port, method: 'POST', path, ca: sim.caPem, agent: false, headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, length: res.headers['content-length'], text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (e) => resolve({ status: res.statusCode, error: e.code || e.message, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('aborted', () => resolve({ status: res.statusCode, error: 'aborted', text: Buffer.concat(chunks).toString('utf8') }));
      });
      req.setTimeout(timeoutMs, () => {
        req.destroy();
        resolve({ error: 'client timeout' });
      });
      req.on('error', (e) => resolve({ error: e.code || e.message }));
      req.end(body);
    });
  }
  const actionsOn = (m) => sim.state.actions.filter((a) => a.machineId === m.id);

  test('reset, cut and invalid-json: the action exists, the client never gets a usable answer; only the matching request is hit', async () => {
    const machines = sim.state.machines.filter((m) => /^Windows/.test(m.osPlatform)).slice(0, 3);
    const [reset, cut, invalid] = machines;
    sim.setFaults({ dropAnswerNext: [{ mode: 'reset', method: 'POST', pathIncludes: `/${reset.id}/isolate` }] });
    // A GET on the same machine is not affected.
    assert.equal((await request(sim, 'GET', `/api/machines/${reset.id}`, { token: tok })).status, 200);
    const r1 = await rawPost(`/api/machines/${reset.id}/isolate`, { Comment: 'r', IsolationType: 'Full' });
    assert.ok(r1.error && r1.status === undefined, JSON.stringify(r1));
    assert.equal(actionsOn(reset).length, 1, 'the isolation was carried out');

    sim.setFaults({ dropAnswerNext: [{ mode: 'cut', method: 'POST', pathIncludes: '/isolate' }] });
    const r2 = await rawPost(`/api/machines/${cut.id}/isolate`, { Comment: 'c', IsolationType: 'Full' });
    assert.equal(r2.status, 201);
    assert.ok(r2.error, 'the body was cut');
    assert.throws(() => JSON.parse(r2.text), 'at most the first half arrived');
    assert.equal(actionsOn(cut).length, 1);

    sim.setFaults({ dropAnswerNext: [{ mode: 'invalid-json', method: 'POST', pathIncludes: '/isolate' }] });
    const r3 = await rawPost(`/api/machines/${invalid.id}/isolate`, { Comment: 'i', IsolationType: 'Full' });
    assert.equal(r3.status, 201);
    assert.equal(r3.error, undefined);
    assert.throws(() => JSON.parse(r3.text));
    assert.equal(actionsOn(invalid).length, 1);

    const log = sim.requests.filter((r) => r.fault && r.fault.startsWith('dropAnswer:'));
    assert.deepEqual(log.map((r) => [r.fault, r.status]), [['dropAnswer:reset', 201], ['dropAnswer:cut', 201], ['dropAnswer:invalid-json', 201]]);
    // Rules are used up: the next POST is answered normally.
    const next = await rawPost(`/api/machines/${machines[0].id}/unisolate`, { Comment: 'n' });
    assert.equal(next.status, 201);
    assert.ok(JSON.parse(next.text).id);
  });

  test('hold: the action is created and no answer comes until the hold ends', async () => {
    const m = sim.state.machines.filter((x) => /^Windows/.test(x.osPlatform))[4];
    sim.setFaults({ dropAnswerNext: [{ mode: 'hold', method: 'POST', pathIncludes: '/isolate', holdMs: 400 }] });
    const r = await rawPost(`/api/machines/${m.id}/isolate`, { Comment: 'h', IsolationType: 'Full' }, 10_000);
    assert.ok(r.error && r.error !== 'client timeout', JSON.stringify(r));
    assert.equal(actionsOn(m).length, 1);
  });
});
