'use strict';
// Rate limits, injected faults, the control API and shutdown behaviour.
const { test, before, after, describe } = require('node:test');
const assert = require('node:assert/strict');
const https = require('node:https');
const { startSimulator, DEMO } = require('../../dist/simulator/index.js');
const { request, getToken, sleep } = require('../fixtures/simulator-client.js');

describe('rate limits', () => {
  let sim;
  let tok;
  before(async () => {
    sim = await startSimulator({ alerts: 3, machines: 12, processEvents: 20, rateLimits: { alerts: [{ limit: 5, windowMs: 1000 }], hunting: [{ limit: 2, windowMs: 1000 }] } });
    tok = await getToken(sim);
  });
  after(() => sim.close());

  test('alerts: the 6th call in a 1 s window is 429 TooManyRequests with Retry-After; budget returns after the window', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await request(sim, 'GET', '/api/alerts', { token: tok })).status, 200);
    const r = await request(sim, 'GET', '/api/alerts', { token: tok });
    assert.equal(r.status, 429);
    assert.equal(r.json.error.code, 'TooManyRequests');
    assert.equal(r.headers['retry-after'], '1');
    // Other families have their own budget.
    assert.equal((await request(sim, 'GET', '/api/machines', { token: tok })).status, 200);
    assert.equal(sim.count({ status: 429 }), 1);
    assert.equal(sim.count((e) => e.status === 429 && e.family === 'alerts' && e.tenantId === DEMO.tenantId), 1);
    await sleep(1050);
    assert.equal((await request(sim, 'GET', '/api/alerts', { token: tok })).status, 200);
  });

  test('hunting 429 uses code "429" and the quota text', async () => {
    const run = () => request(sim, 'POST', '/api/advancedqueries/run', { token: tok, json: { Query: 'DeviceInfo | take 1' } });
    assert.equal((await run()).status, 200);
    assert.equal((await run()).status, 200);
    const r = await run();
    assert.equal(r.status, 429);
    assert.equal(r.json.error.code, '429');
    assert.equal(r.json.error.message, 'API calls quota exceeded! maximum allowed 2 per 00:00:01');
    assert.ok(Number(r.headers['retry-after']) >= 1);
  });

  test('Graph hunting has its own budget: 429 TooManyRequests in the Graph error shape', async () => {
    sim.setRateLimits({ 'graph-hunting': [{ limit: 1, windowMs: 1000 }] });
    const g = await getToken(sim, 'socAutomation', { resource: 'https://graph.microsoft.com' });
    const call = () => request(sim, 'POST', '/v1.0/security/runHuntingQuery', { token: g, json: { Query: 'DeviceInfo | take 1' } });
    assert.equal((await call()).status, 200);
    const r = await call();
    assert.equal(r.status, 429);
    assert.equal(r.json.error.code, 'TooManyRequests');
    assert.ok(r.json.error.innerError['request-id']);
    assert.equal(r.headers['retry-after'], '1');
    assert.equal((await request(sim, 'POST', '/api/advancedqueries/run', { token: tok, json: { Query: 'DeviceInfo | take 1' } })).status, 200);
  });

  test('budgets are per tenant; setRateLimits(false) lifts them; default MDE budget is 100/min', async () => {
    sim.setRateLimits({ alerts: [{ limit: 1, windowMs: 60_000 }] });
    assert.equal((await request(sim, 'GET', '/api/alerts', { token: tok })).status, 200);
    const r = await request(sim, 'GET', '/api/alerts', { token: tok });
    assert.equal(r.status, 429);
    assert.ok(Number(r.headers['retry-after']) >= 59 && Number(r.headers['retry-after']) <= 60);
    const other = await getToken(sim, 'socAutomation', { tenant: DEMO.secondTenantId });
    assert.equal((await request(sim, 'GET', '/api/alerts', { token: other })).status, 200);
    sim.setRateLimits(false);
    for (let i = 0; i < 3; i++) assert.equal((await request(sim, 'GET', '/api/alerts', { token: tok })).status, 200);
    const s = await startSimulator({ alerts: 1, machines: 12, processEvents: 10 });
    try {
      const t = await getToken(s);
      const statuses = [];
      for (let i = 0; i < 101; i++) statuses.push((await request(s, 'GET', '/api/machines?$top=1', { token: t })).status);
      assert.equal(statuses.filter((x) => x === 200).length, 100);
      assert.equal(statuses[100], 429);
    } finally {
      await s.close();
    }
  });
});

describe('faults', () => {
  let sim;
  let tok;
  before(async () => {
    sim = await startSimulator({ alerts: 3, machines: 12, processEvents: 20, seed: 5 });
    tok = await getToken(sim);
  });
  after(() => sim.close());

  test('failNext: deterministic failures with Retry-After, count and pathIncludes', async () => {
    sim.setFaults({ failNext: [{ status: 503, count: 2, retryAfter: 2 }] });
    const a = await request(sim, 'GET', '/api/alerts', { token: tok });
    const b = await request(sim, 'GET', '/api/machines', { token: tok });
    const c = await request(sim, 'GET', '/api/alerts', { token: tok });
    assert.deepEqual([a.status, b.status, c.status], [503, 503, 200]);
    assert.equal(a.headers['retry-after'], '2');
    assert.equal(a.json.error.code, 'ServiceUnavailable');
    assert.equal(sim.count((e) => e.fault === 'failNext:503'), 2);

    sim.setFaults({ failNext: [{ status: 429, pathIncludes: '/machines' }] });
    assert.equal((await request(sim, 'GET', '/api/alerts', { token: tok })).status, 200);
    const m = await request(sim, 'GET', '/api/machines', { token: tok });
    assert.equal(m.status, 429);
    assert.equal(m.headers['retry-after'], '1');
    assert.equal((await request(sim, 'GET', '/api/machines', { token: tok })).status, 200);

    // pathIncludes can target the token endpoint too; its errors are Entra-shaped.
    sim.setFaults({ failNext: [{ status: 500, pathIncludes: '/oauth2/' }] });
    const t = await request(sim, 'POST', `/${DEMO.tenantId}/oauth2/v2.0/token`, { form: { grant_type: 'client_credentials', client_id: DEMO.apps.socAutomation.clientId, client_secret: DEMO.apps.socAutomation.secret, scope: 'https://api.securitycenter.microsoft.com/.default' } });
    assert.equal(t.status, 500);
    assert.equal(t.json.error, 'temporarily_unavailable');
    assert.ok(await getToken(sim));
  });

  test('tokenEndpointDown answers 503 on the token endpoint only', async () => {
    sim.setFaults({ tokenEndpointDown: true });
    await assert.rejects(getToken(sim), /token 503/);
    assert.equal((await request(sim, 'GET', '/api/alerts', { token: tok })).status, 200);
    sim.setFaults({});
    assert.ok(await getToken(sim));
  });

  test('errorRate 1 gives 500/503 (503 with Retry-After: 1); resetRate 1 drops the connection', async () => {
    sim.setFaults({ errorRate: 1 });
    const statuses = new Set();
    for (let i = 0; i < 12; i++) {
      const r = await request(sim, 'GET', '/api/alerts', { token: tok });
      statuses.add(r.status);
      if (r.status === 503) assert.equal(r.headers['retry-after'], '1');
    }
    assert.deepEqual([...statuses].sort(), [500, 503]);
    sim.setFaults({ resetRate: 1 });
    await assert.rejects(request(sim, 'GET', '/api/alerts', { token: tok }), /socket hang up|ECONNRESET/);
    assert.ok(sim.count((e) => e.reset === true) >= 1);
    sim.setFaults({});
    assert.equal((await request(sim, 'GET', '/api/alerts', { token: tok })).status, 200);
  });

  test('latencyMs delays API answers', async () => {
    sim.setFaults({ latencyMs: 150 });
    const t = Date.now();
    assert.equal((await request(sim, 'GET', '/api/alerts?$top=1', { token: tok })).status, 200);
    assert.ok(Date.now() - t >= 140);
    sim.setFaults({});
  });
});

describe('control API and lifecycle', () => {
  test('health, state, requests, reset-log, faults, rate-limits, alerts', async () => {
    const sim = await startSimulator({ alerts: 4, machines: 12, processEvents: 20 });
    try {
      const tok = await getToken(sim);
      const h = await request(sim, 'GET', '/_simulator/health');
      assert.deepEqual([h.status, h.json.status, h.json.tenantId], [200, 'ok', DEMO.tenantId]);
      const st = await request(sim, 'GET', '/_simulator/state');
      assert.equal(st.json.counts.alerts, 4);
      assert.equal(st.json.machines.length, 12);
      assert.ok(st.json.machines.every((m) => m.isolationState === 'NotIsolated'));
      const log = await request(sim, 'GET', '/_simulator/requests');
      assert.ok(log.json.value.some((e) => e.kind === 'token'));
      assert.ok(log.json.value.some((e) => e.kind === 'control' && e.path === '/_simulator/health'));
      assert.equal((await request(sim, 'POST', '/_simulator/reset-log')).status, 200);
      assert.equal(sim.requests.length, 1, 'only the reset call itself remains');

      const created = await request(sim, 'POST', '/_simulator/alerts', { json: { severity: 'High', title: 'Injected by test' } });
      assert.equal(created.status, 201);
      const listed = await request(sim, 'GET', `/api/alerts?$filter=${encodeURIComponent(`id eq '${created.json.id}'`)}`, { token: tok });
      assert.equal(listed.json.value.length, 1);
      assert.equal(listed.json.value[0].severity, 'High');
      assert.equal(listed.json.value[0].id, created.json.id);

      await request(sim, 'POST', '/_simulator/faults', { json: { failNext: [{ status: 502 }] } });
      assert.equal((await request(sim, 'GET', '/api/alerts', { token: tok })).status, 502);
      await request(sim, 'POST', '/_simulator/rate-limits', { json: { alerts: [{ limit: 1, windowMs: 5000 }] } });
      assert.equal((await request(sim, 'GET', '/api/alerts', { token: tok })).status, 200);
      assert.equal((await request(sim, 'GET', '/api/alerts', { token: tok })).status, 429);
      assert.equal((await request(sim, 'POST', '/_simulator/faults', { json: '[1]' })).status, 400);
      assert.equal((await request(sim, 'GET', '/_simulator/nope')).status, 404);
      assert.ok(sim.count({ kind: 'control' }) >= 5);
    } finally {
      await sim.close();
    }
  });

  test('newAlertIntervalMs adds alerts over time; addAlert() picks a real machine', async () => {
    const sim = await startSimulator({ alerts: 2, machines: 12, processEvents: 10, newAlertIntervalMs: 40 });
    try {
      await sleep(150);
      assert.ok(sim.state.alerts.length >= 4, String(sim.state.alerts.length));
      const a = sim.addAlert({ severity: 'Low' });
      assert.ok(sim.state.machines.some((m) => m.id === a.machineId));
      assert.equal(a.aadTenantId, DEMO.tenantId);
    } finally {
      await sim.close();
    }
  });

  test('close() ends idle keep-alive connections instead of waiting for them; port in use rejects', async () => {
    const sim = await startSimulator({ alerts: 1, machines: 12, processEvents: 10, actionTimings: { pendingMs: 10_000, inProgressMs: 10_000 } });
    const agent = new https.Agent({ keepAlive: true, ca: sim.caPem });
    const { socketClosed } = await new Promise((resolve, reject) =>
      https
        .get({ host: '127.0.0.1', port: sim.port, path: '/_simulator/health', agent }, (r) => {
          const closed = new Promise((done) => r.socket.once('close', () => done(true)));
          r.resume();
          r.on('end', () => resolve({ socketClosed: closed }));
        })
        .on('error', reject),
    );
    await assert.rejects(startSimulator({ port: sim.port, alerts: 1, machines: 12, processEvents: 10 }), /EADDRINUSE/);
    const openBeforeClose = await Promise.race([socketClosed, new Promise((r) => setTimeout(() => r(false), 50))]);
    assert.equal(openBeforeClose, false, 'the keep-alive socket is still open before close()');
    // The client keeps its socket open; only the server closing it lets both promises settle.
    await sim.close();
    await socketClosed;
    agent.destroy();
  });
});
