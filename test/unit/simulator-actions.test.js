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

  test('isolate: 201 Pending with the full field set, then InProgress, then Succeeded; isolation state follows', async () => {
    const m = byName('ws-fin-0412.contoso-sim.local');
    const t0 = Date.now();
    const r = await post(`/api/machines/${m.id}/isolate`, { Comment: 'Isolate due to alert 1234', IsolationType: 'Selective' });
    assert.equal(r.status, 201, r.text);
    const a = r.json;
    assert.equal(a['@odata.context'], `https://127.0.0.1:${sim.port}/api/$metadata#MachineActions/$entity`);
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

    const get = () => request(sim, 'GET', `/api/machineactions/${a.id}`, { token: tok });
    await waitFor(async () => (await get()).json.status === 'InProgress');
    assert.ok(Date.now() - t0 >= TIMINGS.pendingMs - 5);
    assert.equal(await isolation(m.id), 'NotIsolated');
    const done = await waitFor(async () => { const x = (await get()).json; return x.status === 'Succeeded' && x; });
    assert.ok(done.lastUpdateDateTimeUtc > a.lastUpdateDateTimeUtc);
    assert.equal(await isolation(m.id), 'Isolated');

    const un = await post(`/api/machines/${m.id}/unisolate`, { Comment: 'release' });
    assert.equal(un.status, 201);
    assert.equal(un.json.type, 'Unisolate');
    await waitFor(async () => (await isolation(m.id)) === 'NotIsolated');
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
