'use strict';
const { connectionSettings } = require('../helpers/sim');
// Client against the bundled simulator (https on loopback, its own CA): tokens, retries,
// operations. Every connection uses the custom cloud pointing at the simulator.
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { startSimulator, DEMO } = require('../../dist/simulator/index.js');
const { MdeConnection } = require('../../dist/client/connection.js');
const errors = require('../../dist/client/errors.js');
const { listAlerts, iterateAlertPages, getAlert, getAlertRelated } = require('../../dist/client/mde/alerts.js');
const { listMachines, getMachine, resolveMachineByName } = require('../../dist/client/mde/machines.js');
const { isolateMachine, releaseMachine, waitForMachineAction, findPendingAction, getMachineAction } = require('../../dist/client/mde/machine-actions.js');
const { runHuntingQuery } = require('../../dist/client/hunting/hunting.js');
const { resetGovernors } = require('../../dist/client/transport/governor.js');

const APPS = DEMO.apps;
let sim;
const open = [];

function log() {
  return typeof sim.requests === 'function' ? sim.requests() : sim.requests;
}
function count(pred) {
  return log().filter(pred).length;
}
const tokenPosts = () => count((r) => r.kind === 'token' && r.method === 'POST');

function connect(over = {}, opts = {}) {
  const { app = APPS.socAutomation, ...rest } = over;
  const c = new MdeConnection(connectionSettings(sim, app, { retry: { baseDelayMs: 20, limit: 4 }, timeoutMs: 10_000, ...rest }), opts);
  open.push(c);
  return c;
}

before(async () => {
  sim = await startSimulator({ port: 0, actionTimings: { pendingMs: 50, inProgressMs: 100 }, rateLimits: false });
});

after(async () => {
  await Promise.all(open.map((c) => c.close()));
  resetGovernors();
  await sim.close();
});

describe('token provider', () => {
  test('client secret: token with roles, then served from cache', async () => {
    const c = connect();
    const t = await c.getToken('mde');
    assert.ok(t.accessToken.split('.').length === 3);
    assert.ok(t.roles.includes('Machine.Isolate'));
    assert.equal(t.tenantId, DEMO.tenantId);
    assert.equal(t.appId, APPS.socAutomation.clientId);
    assert.equal(t.audience, 'https://api.securitycenter.microsoft.com');
    assert.ok(t.expiresOn.getTime() > Date.now() + 5 * 60_000);
    const t2 = await c.getToken('mde');
    assert.equal(t2.accessToken, t.accessToken);
    assert.equal(t2.fromCache, true);
    const g = await c.getToken('graph');
    assert.equal(g.audience, 'https://graph.microsoft.com');
    assert.deepEqual(g.roles, DEMO.apps.socAutomation.graphRoles);
    assert.equal(c.tokens.tokenRequests, 2);
  });

  test('100 concurrent getToken → exactly 1 token POST', async () => {
    const c = connect();
    const before = tokenPosts();
    const all = await Promise.all(Array.from({ length: 100 }, () => c.getToken('mde')));
    assert.equal(new Set(all.map((t) => t.accessToken)).size, 1);
    assert.equal(tokenPosts() - before, 1);
    assert.equal(c.tokens.tokenRequests, 1);
  });

  test('20 concurrent failing getToken → 1 POST, all rejected with a readable AADSTS7000215', async () => {
    const c = connect({ credential: { kind: 'secret', clientSecret: 'wrong-secret-value' } });
    const before = tokenPosts();
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => c.getToken('mde')));
    assert.equal(tokenPosts() - before, 1);
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      assert.ok(r.reason instanceof errors.MdeAuthError);
      assert.equal(r.reason.code, 'InvalidClientSecret');
      assert.equal(r.reason.aadsts, 7000215);
      assert.equal(r.reason.status, 401);
      assert.match(r.reason.message, /AADSTS7000215/);
      assert.match(r.reason.message, /secret VALUE/);
      assert.doesNotMatch(r.reason.message, /wrong-secret-value/);
      assert.doesNotMatch(JSON.stringify(r.reason.toJSON()), /wrong-secret-value/);
    }
  });

  test('unknown tenant, unknown client, role-less app', async () => {
    const unknownTenant = connect({ tenantId: '00000000-1111-2222-3333-444444444444' });
    await assert.rejects(unknownTenant.getToken('mde'), (e) => e.code === 'TenantNotFound' && e.aadsts === 90002 && /AADSTS90002/.test(e.message) && /tenant ID/.test(e.message));
    const unknownClient = connect({ clientId: '11111111-2222-3333-4444-555555555555' });
    await assert.rejects(unknownClient.getToken('mde'), (e) => e.code === 'ApplicationNotFound' && e.aadsts === 700016 && /adminconsent/.test(e.message));
    const none = connect({ app: APPS.noRoles });
    assert.deepEqual((await none.getToken('mde')).roles, []);
  });

  test('settings are validated before any request', () => {
    const before = log().length;
    assert.throws(() => connect({ tenantId: 'common' }), (e) => e instanceof errors.MdeInputError && /common/.test(e.message));
    assert.throws(() => connect({ tenantId: 'not a tenant' }), errors.MdeInputError);
    assert.throws(() => connect({ clientId: 'my-app' }), (e) => e instanceof errors.MdeInputError && /client ID/.test(e.message));
    assert.throws(() => connect({ credential: { kind: 'secret', clientSecret: '' } }), errors.MdeInputError);
    assert.throws(() => connect({ cloud: { cloud: 'custom', authorityHost: sim.url } }), errors.MdeInputError);
    assert.throws(() => connect({ cloud: { cloud: 'mars' } }), errors.MdeInputError);
    assert.equal(log().length, before);
  });

  const cert = () => sim.demoCertificate;
  const certConn = (credential) => connect({ app: APPS.certificate, clientId: APPS.certificate.clientId, credential: { kind: 'certificate', privateKeyPem: cert().keyPem, ...credential } });
  test('certificate: SHA-256 thumbprint, SHA-1 thumbprint, colons, derived, x5c', async () => {
    const colon = (h) => h.toUpperCase().match(/../g).join(':');
    const variants = [
      { thumbprint: cert().thumbprintSha256 },
      { thumbprint: cert().thumbprintSha1 },
      { thumbprint: colon(cert().thumbprintSha256) },
      { thumbprint: colon(cert().thumbprintSha1) },
      { certificatePem: cert().certPem },
      { certificatePem: cert().certPem, sendX5c: true },
    ];
    for (const v of variants) {
      const t = await certConn(v).getToken('mde');
      assert.equal(t.appId, APPS.certificate.clientId, JSON.stringify(Object.keys(v)));
      assert.ok(t.roles.includes('Alert.Read.All'));
    }
  });

  test('certificate with a thumbprint that is not registered → AADSTS700027', async () => {
    const c = certConn({ thumbprint: 'ab'.repeat(32) });
    await assert.rejects(c.getToken('mde'), (e) => e instanceof errors.MdeAuthError && e.code === 'InvalidCertificate' && /AADSTS700027/.test(e.message));
  });

  test('a token within 5 min of expiry is refreshed (injected clock)', async () => {
    let skew = 0;
    const c = connect({}, { now: () => Date.now() + skew });
    const t1 = await c.getToken('mde');
    assert.equal(c.tokens.tokenRequests, 1);
    skew = t1.expiresOn.getTime() - Date.now() - 4 * 60_000; // 4 min left
    const t2 = await c.getToken('mde');
    assert.equal(c.tokens.tokenRequests, 2);
    assert.notEqual(t2.accessToken, t1.accessToken);
    skew = 0;
    const t3 = await c.getToken('mde');
    assert.equal(t3.accessToken, t2.accessToken);
    assert.equal(c.tokens.tokenRequests, 2);
  });

  test('token endpoint down: a token close to expiry is still used, an expired one is not', async () => {
    let skew = 0;
    // Short timeout: without a usable token the provider waits for the endpoint that long.
    const c = connect({ timeoutMs: 2_000 }, { now: () => Date.now() + skew });
    const t1 = await c.getToken('mde');
    sim.setFaults({ tokenEndpointDown: true });
    try {
      skew = t1.expiresOn.getTime() - Date.now() - 4 * 60_000; // inside the refresh margin, still valid
      const t2 = await c.getToken('mde');
      assert.equal(t2.accessToken, t1.accessToken);
      assert.equal(c.tokens.tokenRequests, 2, 'a refresh was attempted');
      skew = t1.expiresOn.getTime() - Date.now() + 1_000; // expired
      await assert.rejects(c.getToken('mde'), (e) => e instanceof errors.MdeError && !/SimSecret/.test(e.message));
    } finally {
      sim.setFaults({ tokenEndpointDown: false });
    }
  });

  test('forceRefresh goes to the network once for concurrent callers', async () => {
    const c = connect();
    const t1 = await c.getToken('mde');
    const all = await Promise.all(Array.from({ length: 10 }, () => c.getToken('mde', { forceRefresh: true })));
    assert.equal(c.tokens.tokenRequests, 2);
    assert.equal(new Set(all.map((t) => t.accessToken)).size, 1);
    assert.notEqual(all[0].accessToken, t1.accessToken);
  });
});

describe('http', () => {
  test('401 → one token refresh and a retry; a second 401 fails', async () => {
    const c = connect();
    await c.getToken('mde');
    sim.setFaults({ failNext: [{ status: 401, pathIncludes: '/api/machines', count: 1 }] });
    const machines = await listMachines(c.http, { top: 2 });
    assert.equal(machines.length, 2);
    assert.equal(c.http.stats.tokenRefreshes, 1);
    assert.equal(c.tokens.tokenRequests, 2);
    sim.setFaults({ failNext: [{ status: 401, pathIncludes: '/api/machines', count: 2 }] });
    await assert.rejects(listMachines(c.http, { top: 2 }), (e) => e instanceof errors.MdeApiError && e.status === 401);
    assert.equal(c.http.stats.tokenRefreshes, 2);
    sim.setFaults({ failNext: [] });
  });

  test('429 + Retry-After is waited for and retried', async () => {
    const c = connect();
    const waits = [];
    sim.setFaults({ failNext: [{ status: 429, pathIncludes: '/api/alerts', count: 1, retryAfter: 1 }] });
    const t0 = Date.now();
    const res = await c.http.request({ audience: 'mde', family: 'alerts', method: 'GET', path: '/api/alerts', searchParams: { $top: 1 }, onWait: (w) => waits.push(w) });
    assert.equal(res.status, 200);
    assert.equal(res.retries, 1);
    assert.ok(Date.now() - t0 >= 950, 'waited for Retry-After');
    assert.equal(c.http.stats.responses429, 1);
    assert.deepEqual(waits.map((w) => [w.reason, w.waitMs]), [['retry-after', 1000]]);
    sim.setFaults({ failNext: [] });
  });

  test('429 with a Retry-After beyond maxRetryAfterMs fails fast with MdeRateLimitError', async () => {
    const c = connect({ retry: { maxRetryAfterMs: 500, baseDelayMs: 20 } });
    sim.setFaults({ failNext: [{ status: 429, pathIncludes: '/api/alerts', count: 1, retryAfter: 30 }] });
    await assert.rejects(
      c.http.request({ audience: 'mde', family: 'alerts', method: 'GET', path: '/api/alerts', searchParams: { $top: 1 } }),
      (e) => e instanceof errors.MdeRateLimitError && e.retryAfterMs === 30_000 && e.status === 429,
    );
    sim.setFaults({ failNext: [] });
  });

  test('idempotent GET is retried on 503; POST isolate is NOT replayed on 503', async () => {
    const c = connect();
    const [m] = await listMachines(c.http, { top: 1 });
    sim.setFaults({ failNext: [{ status: 503, pathIncludes: `/api/machines/${m.id}`, count: 1 }] });
    const got = await getMachine(c.http, m.id);
    assert.equal(got.id, m.id);
    assert.equal(c.http.stats.retries, 1);

    const path = `/api/machines/${m.id}/isolate`;
    const before = count((r) => r.path === path);
    sim.setFaults({ failNext: [{ status: 503, pathIncludes: path, count: 1 }] });
    await assert.rejects(isolateMachine(c.http, m.id, { comment: 'test', isolationType: 'Full' }), (e) => e instanceof errors.MdeApiError && e.status === 503 && /not sent again/.test(e.message));
    assert.equal(count((r) => r.path === path) - before, 1, 'exactly one POST');
    sim.setFaults({ failNext: [] });
  });

  test('connection resets: GET retried, POST isolate not replayed', async () => {
    const c = connect({ retry: { baseDelayMs: 5, limit: 4 } });
    const [m] = await listMachines(c.http, { top: 1 });
    const before = c.http.stats.networkErrors;
    sim.setFaults({ failNext: [{ status: 0, pathIncludes: `/api/machines/${m.id}`, count: 2 }] });
    assert.equal((await getMachine(c.http, m.id)).id, m.id);
    assert.equal(c.http.stats.networkErrors - before, 2);
    const path = `/api/machines/${m.id}/isolate`;
    const posts = count((r) => r.path === path);
    sim.setFaults({ failNext: [{ status: 0, pathIncludes: path, count: 1 }] });
    await assert.rejects(isolateMachine(c.http, m.id, { comment: 'reset test' }), (e) => e instanceof errors.MdeNetworkError && e.code === 'NetworkError');
    assert.equal(count((r) => r.path === path) - posts, 1, 'exactly one POST');
    sim.setFaults({ failNext: [] });
  });

  test('per-attempt timeout → MdeNetworkError Timeout after the retries', async () => {
    const c = connect({ timeoutMs: 200, retry: { limit: 1, baseDelayMs: 10 } });
    await c.getToken('mde');
    sim.setFaults({ latencyMs: 500 });
    try {
      const before = c.http.stats.requests;
      await assert.rejects(listMachines(c.http, { top: 1 }), (e) => e instanceof errors.MdeNetworkError && e.code === 'Timeout' && /did not answer/.test(e.message));
      assert.equal(c.http.stats.requests - before, 2, 'first attempt + 1 retry');
    } finally {
      sim.setFaults({ latencyMs: 0 });
    }
  });

  test('403 names the missing role and where to grant it', async () => {
    const c = connect({ app: APPS.readOnly });
    const [m] = await listMachines(c.http, { top: 1 });
    await assert.rejects(isolateMachine(c.http, m.id, { comment: 'x' }), (e) => e instanceof errors.MdeApiError && e.status === 403 && /Machine\.Isolate/.test(e.message) && /Grant admin consent/.test(e.message));
  });

  test('404 keeps the MDE error body', async () => {
    const c = connect();
    await assert.rejects(getMachine(c.http, 'f'.repeat(40)), (e) => e.status === 404 && e.code === 'ResourceNotFound' && typeof e.mde?.message === 'string');
  });

  test('governor queues requests under the simulator quota (no 429)', async () => {
    resetGovernors();
    const limits = { machines: [{ limit: 5, windowMs: 500 }] };
    try {
      const c = connect({ rateLimits: limits });
      // warm the keep-alive sockets first: TLS handshakes delay only the first burst, which
      // would make the server see the windows shorter than we do
      await Promise.all(Array.from({ length: 5 }, () => c.http.request({ audience: 'mde', family: 'alerts', method: 'GET', path: '/api/alerts', searchParams: { $top: 1 } })));
      sim.setRateLimits(limits);
      const waits = [];
      const t0 = Date.now();
      await Promise.all(Array.from({ length: 12 }, () => c.http.request({ audience: 'mde', family: 'machines', method: 'GET', path: '/api/machines', searchParams: { $top: 1 }, onWait: (w) => waits.push(w) })));
      assert.equal(c.http.stats.responses429, 0);
      assert.ok(Date.now() - t0 >= 900, 'two windows waited');
      assert.ok(waits.some((w) => w.reason === 'rate-budget'));
    } finally {
      sim.setRateLimits(false);
      resetGovernors();
    }
  });
});

describe('operations', () => {
  test('alert paging with $top/$skip across pages matches one big page', async () => {
    const c = connect();
    const all = await listAlerts(c.http, { pageSize: 10_000 });
    assert.ok(all.alerts.length >= 20, `seeded alerts: ${all.alerts.length}`);
    assert.equal(all.pages, 1);
    assert.equal(all.truncated, false);
    const paged = await listAlerts(c.http, { pageSize: 7 });
    assert.equal(paged.pages, Math.floor(all.alerts.length / 7) + 1);
    assert.deepEqual(paged.alerts.map((a) => a.id), all.alerts.map((a) => a.id));
    const capped = await listAlerts(c.http, { pageSize: 7, maxResults: 10 });
    assert.equal(capped.alerts.length, 10);
    assert.equal(capped.truncated, true);
    const pages = [];
    for await (const p of iterateAlertPages(c.http, { pageSize: 5, maxResults: 12 })) pages.push(p.length);
    assert.deepEqual(pages, [5, 5, 2]);
  });

  test('alert filters and single alert + related machine', async () => {
    const c = connect();
    const high = await listAlerts(c.http, { severity: ['high'], status: ['New', 'InProgress'] });
    for (const a of high.alerts) {
      assert.equal(a.severity, 'High');
      assert.ok(['New', 'InProgress'].includes(a.status));
    }
    const any = (await listAlerts(c.http, { maxResults: 1, pageSize: 1 })).alerts[0];
    const one = await getAlert(c.http, any.id, { expandEvidence: true });
    assert.equal(one.id, any.id);
    assert.ok(Array.isArray(one.evidence));
    const m = await getAlertRelated(c.http, any.id, 'machine');
    assert.equal(m.id, any.machineId);
    await assert.rejects(getAlert(c.http, "da' or 1 eq 1"), errors.MdeInputError);
  });

  test('resolveMachineByName: exact host label / DNS name only', async () => {
    const c = connect();
    const [m] = await listMachines(c.http, { top: 1 });
    const full = m.computerDnsName;
    const label = full.split('.')[0];
    assert.equal((await resolveMachineByName(c.http, full.toUpperCase())).id, m.id);
    if (full.includes('.')) assert.equal((await resolveMachineByName(c.http, label)).id, m.id);
    await assert.rejects(resolveMachineByName(c.http, label.slice(0, -1)), (e) => e.code === 'MachineNotFound' || e.code === 'AmbiguousMachineName');
    await assert.rejects(resolveMachineByName(c.http, 'no-such-device-xyz'), (e) => e.code === 'MachineNotFound' && /no-such-device-xyz/.test(e.message));
  });

  test('isolate → wait → Succeeded; release; pending lookup', async () => {
    const c = connect();
    const machines = await listMachines(c.http, { top: 50 });
    const m = machines[machines.length - 1];
    const statuses = [];
    const a = await isolateMachine(c.http, m.id, { comment: 'client test', isolationType: 'Selective' });
    assert.equal(a.type, 'Isolate');
    assert.equal(a.machineId, m.id);
    const pending = await findPendingAction(c.http, m.id, 'Isolate');
    if (pending) assert.equal(pending.id, a.id);
    const done = await waitForMachineAction(c.http, a.id, { intervalMs: 30, timeoutMs: 5_000, onStatus: (x) => statuses.push(x.status) });
    assert.equal(done.status, 'Succeeded');
    assert.ok(done.lastUpdateDateTimeUtc);
    assert.equal(statuses[statuses.length - 1], 'Succeeded');
    assert.equal(await findPendingAction(c.http, m.id, 'Isolate'), undefined);
    const r = await releaseMachine(c.http, m.id, { comment: 'client test done' });
    assert.equal(r.type, 'Unisolate');
    assert.equal((await waitForMachineAction(c.http, r.id, { intervalMs: 30, timeoutMs: 5_000 })).status, 'Succeeded');
    assert.equal((await getMachineAction(c.http, r.id)).id, r.id);
  });

  test('waitForMachineAction gives up with WaitTimeout and the last state', async () => {
    const c = connect();
    const machines = await listMachines(c.http, { top: 50 });
    const m = machines[machines.length - 2];
    const a = await isolateMachine(c.http, m.id, { comment: 'timeout test' });
    await assert.rejects(waitForMachineAction(c.http, a.id, { intervalMs: 5, timeoutMs: 10 }), (e) => e instanceof errors.MdeWaitTimeoutError && e.code === 'WaitTimeout' && e.lastAction.id === a.id);
    await waitForMachineAction(c.http, a.id, { intervalMs: 30, timeoutMs: 5_000 });
    await waitForMachineAction(c.http, (await releaseMachine(c.http, m.id, { comment: 'undo' })).id, { intervalMs: 30, timeoutMs: 5_000 });
  });

  test('hunting: Graph and MDE APIs give the same normalised output', async () => {
    const c = connect();
    const q = 'DeviceProcessEvents | order by Timestamp asc | take 20 | project Timestamp, DeviceName, FileName';
    const g = await runHuntingQuery(c.http, q, { api: 'graph' });
    const m = await runHuntingQuery(c.http, q, { api: 'mde' });
    assert.equal(g.api, 'graph');
    assert.equal(m.api, 'mde');
    assert.deepEqual(g.schema, m.schema);
    assert.deepEqual(g.results, m.results);
    assert.equal(g.results.length, 20);
    assert.deepEqual(g.schema.map((s) => s.name), ['Timestamp', 'DeviceName', 'FileName']);
    const d = await runHuntingQuery(c.http, q, { api: 'mde', convertDates: true });
    assert.ok(d.results[0].Timestamp instanceof Date);
    await assert.rejects(runHuntingQuery(c.http, 'DeviceProcessEvents | wher x', { api: 'mde' }), (e) => e.code === 'BadRequest' && e.status === 400);
  });

  test('hunting: call quota 429 maps to HuntingCallQuota', async () => {
    const c = connect({ retry: { limit: 0, baseDelayMs: 10 } });
    sim.setFaults({ failNext: [{ status: 429, pathIncludes: '/api/advancedqueries/run', count: 1, retryAfter: 1, body: { error: { code: '429', message: 'API calls quota exceeded! maximum allowed 45 per 00:01:00', target: 'x' } } }] });
    await assert.rejects(runHuntingQuery(c.http, 'DeviceInfo | take 1', { api: 'mde' }), (e) => e instanceof errors.MdeRateLimitError && e.code === 'HuntingCallQuota');
    sim.setFaults({ failNext: [] });
  });
});
