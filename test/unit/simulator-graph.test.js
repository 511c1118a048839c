'use strict';
// The simulator's Microsoft Graph security resources: alerts_v2 and incidents with the documented
// OData subset and paging, updates and comments, 403s naming the role, the same alerts on the MDE
// API and on Graph, and the control API for bursts, late arrivals and portal-side updates.
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startSimulator } = require('../../dist/simulator/index.js');
const { request, getToken, sleep } = require('../fixtures/simulator-client');

const GRAPH = 'https://graph.microsoft.com';
const q = (s) => encodeURIComponent(s);

async function tokens(sim) {
  return {
    graph: await getToken(sim, 'socAutomation', { resource: GRAPH }),
    graphRead: await getToken(sim, 'readOnly', { resource: GRAPH }),
    graphNone: await getToken(sim, 'noRoles', { resource: GRAPH }),
    mde: await getToken(sim, 'socAutomation'),
  };
}

/** Every alert of a Graph list, following @odata.nextLink as given. */
async function all(sim, token, path) {
  const out = [];
  let next = path;
  let pages = 0;
  while (next) {
    const r = await request(sim, 'GET', next, { token });
    assert.equal(r.status, 200, r.text);
    out.push(...r.json.value);
    pages++;
    next = r.json['@odata.nextLink'] ? new URL(r.json['@odata.nextLink']).pathname + new URL(r.json['@odata.nextLink']).search : undefined;
  }
  return { items: out, pages };
}

describe('Graph alerts_v2 and incidents', () => {
  let sim;
  let tok;
  before(async () => {
    sim = await startSimulator({ port: 0, alerts: 90, graphPageSize: 25, rateLimits: false });
    tok = await tokens(sim);
  });
  after(() => sim.close());

  test('the same alerts on both APIs: same ids, each API its own field names and enum spelling', async () => {
    const mde = await request(sim, 'GET', '/api/alerts?$expand=evidence', { token: tok.mde });
    const graph = await all(sim, tok.graph, '/v1.0/security/alerts_v2');
    assert.equal(graph.items.length, mde.json.value.length);
    assert.deepEqual(new Set(graph.items.map((a) => a.id)), new Set(mde.json.value.map((a) => a.id)));
    const byId = new Map(mde.json.value.map((a) => [a.id, a]));
    for (const g of graph.items) {
      const m = byId.get(g.id);
      assert.equal(g['@odata.type'], '#microsoft.graph.security.alert');
      assert.equal(g.createdDateTime, m.alertCreationTime);
      assert.equal(g.lastUpdateDateTime, m.lastUpdateTime);
      assert.equal(g.incidentId, String(m.incidentId));
      assert.equal(g.severity, m.severity === 'UnSpecified' ? 'unknown' : m.severity.toLowerCase());
      assert.equal(g.status, { New: 'new', InProgress: 'inProgress', Resolved: 'resolved' }[m.status]);
      assert.equal(g.serviceSource, 'microsoftDefenderForEndpoint');
      assert.equal(g.evidence[0]['@odata.type'], '#microsoft.graph.security.deviceEvidence');
      assert.equal(g.evidence[0].mdeDeviceId, m.machineId);
      assert.equal(g.evidence.length, m.evidence.length + 1);
      assert.ok(!('alertCreationTime' in g) && !('createdDateTime' in m));
    }
  });

  test('lists newest first and pages through @odata.nextLink (server page size without $top, $top as page size)', async () => {
    const first = await request(sim, 'GET', '/v1.0/security/alerts_v2?$count=true', { token: tok.graph });
    assert.equal(first.json['@odata.count'], sim.state.alerts.length);
    assert.equal(first.json.value.length, 25);
    assert.match(first.json['@odata.nextLink'], /\$skiptoken=/);
    const times = first.json.value.map((a) => a.createdDateTime);
    assert.deepEqual(times, [...times].sort().reverse());
    const paged = await all(sim, tok.graph, '/v1.0/security/alerts_v2?$top=40');
    assert.equal(paged.pages, Math.ceil(sim.state.alerts.length / 40));
    assert.equal(new Set(paged.items.map((a) => a.id)).size, sim.state.alerts.length);
    const skipped = await request(sim, 'GET', '/v1.0/security/alerts_v2?$top=10&$skip=20', { token: tok.graph });
    assert.deepEqual(skipped.json.value.map((a) => a.id), paged.items.slice(20, 30).map((a) => a.id));
  });

  test('$filter on the documented properties with eq, ne, ge, le, and, or', async () => {
    const every = (await all(sim, tok.graph, '/v1.0/security/alerts_v2')).items;
    const mid = [...every].sort((a, b) => (a.createdDateTime < b.createdDateTime ? -1 : 1))[40].createdDateTime;
    const cases = [
      ["severity eq 'high'", (a) => a.severity === 'high'],
      ["status eq 'new' or status eq 'inProgress'", (a) => a.status === 'new' || a.status === 'inProgress'],
      ["severity eq 'medium' and status ne 'resolved'", (a) => a.severity === 'medium' && a.status !== 'resolved'],
      [`createdDateTime ge ${mid}`, (a) => a.createdDateTime >= mid],
      [`createdDateTime le ${mid} and (severity eq 'high' or severity eq 'low')`, (a) => a.createdDateTime <= mid && ['high', 'low'].includes(a.severity)],
      ["classification eq 'unknown'", (a) => a.classification === 'unknown'],
      ["serviceSource eq 'microsoftDefenderForEndpoint'", () => true],
      ['assignedTo eq null', (a) => a.assignedTo === null],
      ["assignedTo eq 'analyst1@contoso-sim.onmicrosoft.com'", (a) => a.assignedTo === 'analyst1@contoso-sim.onmicrosoft.com'],
    ];
    for (const [filter, pred] of cases) {
      const got = (await all(sim, tok.graph, `/v1.0/security/alerts_v2?$filter=${q(filter)}`)).items;
      const expected = every.filter(pred);
      assert.ok(expected.length > 0, `${filter} matches something in the seed`);
      assert.deepEqual(got.map((a) => a.id).sort(), expected.map((a) => a.id).sort(), filter);
    }
  });

  test('refuses what the pages do not document: other properties, functions, quoted dates, unknown enum members, $orderby, $top over 1000', async () => {
    const bad = [
      ["detectionSource eq 'antivirus'", /detectionSource.*cannot be used in \$filter/],
      ["incidentId eq '1001'", /incidentId/],
      ["title eq 'x'", /title/],
      ["startswith(title,'x')", /title|function/],
      ["severity in ('high','low')", /in/],
      ["not (severity eq 'high')", /not/],
      ["createdDateTime ge '2024-01-01T00:00:00Z'", /without quotes/],
      ["severity eq 'critical'", /not a valid enumerated type constant.*informational/],
      ["severity ge 'high'", /only supports eq and ne/],
    ];
    for (const [filter, message] of bad) {
      const r = await request(sim, 'GET', `/v1.0/security/alerts_v2?$filter=${q(filter)}`, { token: tok.graph });
      assert.equal(r.status, 400, filter);
      assert.equal(r.json.error.code, 'BadRequest');
      assert.match(r.json.error.message, message, filter);
    }
    for (const [query, message] of [['$orderby=createdDateTime', /\$orderby.*not supported/], ['$top=1001', /limit of '1000'/], ['$top=0', /at least 1/], ['$select=id', /\$select/], ['$expand=evidence', /\$expand/], ['$skiptoken=garbage', /skiptoken/]]) {
      const r = await request(sim, 'GET', `/v1.0/security/alerts_v2?${query}`, { token: tok.graph });
      assert.equal(r.status, 400, query);
      assert.match(r.json.error.message, message, query);
    }
  });

  test('get one alert; unknown id is 404; the legacy comments path is not a route', async () => {
    const id = sim.state.alerts[5].id;
    const r = await request(sim, 'GET', `/v1.0/security/alerts_v2/${id}`, { token: tok.graph });
    assert.equal(r.status, 200);
    assert.equal(r.json.id, id);
    assert.match(r.json['@odata.context'], /#security\/alerts_v2\/\$entity$/);
    assert.equal((await request(sim, 'GET', '/v1.0/security/alerts_v2/da000000000000000000_1', { token: tok.graph })).status, 404);
    const legacy = await request(sim, 'POST', `/v1.0/security/alerts/${id}/comments`, { token: tok.graph, json: { comment: 'x' } });
    assert.equal(legacy.status, 400);
  });

  test('an update through Graph shows on the MDE API and the other way round', async () => {
    const a = sim.state.alerts.find((x) => x.status === 'New');
    const patched = await request(sim, 'PATCH', `/v1.0/security/alerts_v2/${a.id}`, {
      token: tok.graph,
      json: { status: 'resolved', classification: 'truePositive', determination: 'malware', assignedTo: 'soc@contoso-sim.onmicrosoft.com' },
    });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.json.status, 'resolved');
    assert.equal(patched.json.determination, 'malware');
    assert.ok(patched.json.resolvedDateTime);
    const mde = await request(sim, 'GET', `/api/alerts/${a.id}`, { token: tok.mde });
    assert.equal(mde.json.status, 'Resolved');
    assert.equal(mde.json.classification, 'TruePositive');
    assert.equal(mde.json.determination, 'Malware');
    assert.equal(mde.json.assignedTo, 'soc@contoso-sim.onmicrosoft.com');
    assert.equal(mde.json.lastUpdateTime, patched.json.lastUpdateDateTime);

    const back = await request(sim, 'PATCH', `/api/alerts/${a.id}`, { token: tok.mde, json: { status: 'InProgress', classification: 'FalsePositive', determination: 'NotMalicious' } });
    assert.equal(back.status, 200, back.text);
    const g = await request(sim, 'GET', `/v1.0/security/alerts_v2/${a.id}`, { token: tok.graph });
    assert.equal(g.json.status, 'inProgress');
    assert.equal(g.json.classification, 'falsePositive');
    assert.equal(g.json.determination, 'notMalicious');
    assert.equal(g.json.resolvedDateTime, null);
  });

  test('PATCH accepts only the documented properties and members (case-insensitive members, the pages’ alternative spellings)', async () => {
    const id = sim.state.alerts[3].id;
    for (const [body, message] of [
      [{ title: 'x' }, /cannot be updated.*status, classification, determination, assignedTo/],
      [{ Status: 'new' }, /did you mean 'status'/],
      [{ status: 'closed' }, /'closed' was not found.*new, inProgress, resolved/],
      [{ status: 'unknownFutureValue' }, /not found/],
      [{ assignedTo: 42 }, /Edm.String/],
      [{ customDetails: {} }, /cannot be updated/],
    ]) {
      const r = await request(sim, 'PATCH', `/v1.0/security/alerts_v2/${id}`, { token: tok.graph, json: body });
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(r.json.error.message, message);
    }
    const ok = await request(sim, 'PATCH', `/v1.0/security/alerts_v2/${id}`, { token: tok.graph, json: { classification: 'InformationalExpectedActivity', determination: 'confirmedUserActivity' } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.classification, 'informationalExpectedActivity');
    assert.equal(ok.json.determination, 'confirmedActivity');
  });

  test('comments: POST /security/alerts_v2/{id}/comments answers the whole list; the MDE API shows them', async () => {
    const id = sim.state.alerts[10].id;
    const r = await request(sim, 'POST', `/v1.0/security/alerts_v2/${id}/comments`, { token: tok.graph, json: { '@odata.type': 'microsoft.graph.security.alertComment', comment: 'First look: benign installer' } });
    assert.equal(r.status, 200, r.text);
    assert.match(r.json['@odata.context'], /alerts_v2\('.+'\)\/comments$/);
    assert.equal(r.json.value.at(-1).comment, 'First look: benign installer');
    assert.equal(r.json.value.at(-1).createdByDisplayName, 'SOC Automation (simulator)');
    assert.ok(r.json.value.at(-1).createdDateTime);
    const mde = await request(sim, 'GET', `/api/alerts/${id}`, { token: tok.mde });
    assert.equal(mde.json.comments.at(-1).comment, 'First look: benign installer');
    assert.equal((await request(sim, 'POST', `/v1.0/security/alerts_v2/${id}/comments`, { token: tok.graph, json: { comment: '  ' } })).status, 400);
    assert.equal((await request(sim, 'POST', `/v1.0/security/alerts_v2/${id}/comments`, { token: tok.graph, json: { '@odata.type': 'microsoft.graph.security.incident', comment: 'x' } })).status, 400);
  });

  test('incidents group alerts: list, get and $expand=alerts agree with the alerts’ incidentId', async () => {
    const list = await all(sim, tok.graph, '/v1.0/security/incidents?$expand=alerts&$top=10');
    assert.equal(list.items.length, sim.state.incidents.length);
    const alerts = (await all(sim, tok.graph, '/v1.0/security/alerts_v2')).items;
    for (const inc of list.items) {
      assert.equal(inc['@odata.type'], '#microsoft.graph.security.incident');
      const mine = alerts.filter((a) => a.incidentId === inc.id).map((a) => a.id).sort();
      assert.deepEqual(inc.alerts.map((a) => a.id).sort(), mine);
      assert.ok(mine.length >= 1);
    }
    assert.ok(list.items.some((i) => i.alerts.length > 1), 'the seed has a multi-alert incident');
    const multi = list.items.find((i) => i.alerts.length > 1);
    const one = await request(sim, 'GET', `/v1.0/security/incidents/${multi.id}?$expand=alerts`, { token: tok.graph });
    assert.equal(one.status, 200);
    assert.equal(one.json.alerts.length, multi.alerts.length);
    const plain = await request(sim, 'GET', `/v1.0/security/incidents/${multi.id}`, { token: tok.graph });
    assert.equal('alerts' in plain.json, false);
    const filtered = await all(sim, tok.graph, `/v1.0/security/incidents?$filter=${q("status eq 'active' and severity eq 'high'")}`);
    assert.ok(filtered.items.length > 0 && filtered.items.every((i) => i.status === 'active' && i.severity === 'high'));
    const badFilter = await request(sim, 'GET', `/v1.0/security/incidents?$filter=${q("displayName eq 'x'")}`, { token: tok.graph });
    assert.equal(badFilter.status, 400);
    assert.equal((await request(sim, 'GET', '/v1.0/security/incidents?$expand=comments', { token: tok.graph })).status, 400);
  });

  test('incident update (documented properties and statuses) and comments', async () => {
    const id = sim.state.incidents[0].id;
    const r = await request(sim, 'PATCH', `/v1.0/security/incidents/${id}`, { token: tok.graph, json: { status: 'resolved', classification: 'TruePositive', determination: 'MultiStagedAttack', assignedTo: 'lead@contoso-sim.onmicrosoft.com', customTags: ['Demo'] } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.status, 'resolved');
    assert.equal(r.json.classification, 'truePositive');
    assert.equal(r.json.determination, 'multiStagedAttack');
    assert.deepEqual(r.json.customTags, ['Demo']);
    for (const body of [{ status: 'inProgress' }, { status: 'awaitingAction' }, { severity: 'high' }, { customTags: 'Demo' }]) {
      assert.equal((await request(sim, 'PATCH', `/v1.0/security/incidents/${id}`, { token: tok.graph, json: body })).status, 400, JSON.stringify(body));
    }
    const c = await request(sim, 'POST', `/v1.0/security/incidents/${id}/comments`, { token: tok.graph, json: { '@odata.type': 'microsoft.graph.security.alertComment', comment: 'Closed by the playbook' } });
    assert.equal(c.status, 200, c.text);
    assert.equal(c.json.value.at(-1).comment, 'Closed by the playbook');
    assert.equal((await request(sim, 'GET', '/v1.0/security/incidents/999999', { token: tok.graph })).status, 404);
  });

  test('403 names the missing role: read needs SecurityAlert/SecurityIncident.Read.All, writes the ReadWrite.All role', async () => {
    const id = sim.state.alerts[0].id;
    const inc = sim.state.incidents[0].id;
    const cases = [
      [tok.graphNone, 'GET', '/v1.0/security/alerts_v2', undefined, "one of 'SecurityAlert.Read.All, SecurityAlert.ReadWrite.All'"],
      [tok.graphNone, 'GET', '/v1.0/security/incidents', undefined, "one of 'SecurityIncident.Read.All, SecurityIncident.ReadWrite.All'"],
      [tok.graphRead, 'PATCH', `/v1.0/security/alerts_v2/${id}`, { status: 'new' }, "one of 'SecurityAlert.ReadWrite.All'"],
      [tok.graphRead, 'POST', `/v1.0/security/alerts_v2/${id}/comments`, { comment: 'x' }, "one of 'SecurityAlert.ReadWrite.All'"],
      [tok.graphRead, 'PATCH', `/v1.0/security/incidents/${inc}`, { status: 'active' }, "one of 'SecurityIncident.ReadWrite.All'"],
      [tok.graphRead, 'POST', `/v1.0/security/incidents/${inc}/comments`, { comment: 'x' }, "one of 'SecurityIncident.ReadWrite.All'"],
    ];
    for (const [token, method, path, json, needs] of cases) {
      const r = await request(sim, method, path, { token, json });
      assert.equal(r.status, 403, `${method} ${path}`);
      assert.equal(r.json.error.code, 'Forbidden');
      assert.ok(r.json.error.message.includes(needs), r.json.error.message);
    }
    assert.equal((await request(sim, 'GET', '/v1.0/security/alerts_v2?$top=1', { token: tok.graphRead })).status, 200);
    assert.equal((await request(sim, 'GET', '/v1.0/security/alerts_v2?$top=1', { token: tok.mde })).status, 401, 'an MDE token is not a Graph token');
  });
});

describe('Graph paging variants and rate limits', () => {
  test('graphNextLinkWithTop:false answers a $top page without nextLink (only $skip pages on)', async () => {
    const sim = await startSimulator({ port: 0, alerts: 30, graphNextLinkWithTop: false, rateLimits: false });
    try {
      const token = await getToken(sim, 'socAutomation', { resource: GRAPH });
      const r = await request(sim, 'GET', '/v1.0/security/alerts_v2?$top=10', { token });
      assert.equal(r.json.value.length, 10);
      assert.equal(r.json['@odata.nextLink'], undefined);
      const noTop = await request(sim, 'GET', '/v1.0/security/alerts_v2', { token });
      assert.equal(noTop.json.value.length, 30, 'the default page holds them all');
    } finally {
      await sim.close();
    }
  });

  test('graph-alerts and graph-incidents have their own budget (150/min documented) and answer 429 with Retry-After', async () => {
    const sim = await startSimulator({ port: 0, alerts: 5, rateLimits: { 'graph-alerts': [{ limit: 2, windowMs: 5000 }] } });
    try {
      const token = await getToken(sim, 'socAutomation', { resource: GRAPH });
      assert.equal((await request(sim, 'GET', '/v1.0/security/alerts_v2', { token })).status, 200);
      assert.equal((await request(sim, 'GET', '/v1.0/security/alerts_v2', { token })).status, 200);
      const r = await request(sim, 'GET', '/v1.0/security/alerts_v2', { token });
      assert.equal(r.status, 429);
      assert.equal(r.json.error.code, 'TooManyRequests');
      assert.ok(Number(r.headers['retry-after']) >= 1);
      assert.equal((await request(sim, 'GET', '/v1.0/security/incidents', { token })).status, 200, 'incidents are counted apart');
      assert.equal(sim.count({ family: 'graph-alerts' }), 3);
      assert.equal(sim.count({ family: 'graph-incidents' }), 1);
    } finally {
      await sim.close();
    }
  });
});

describe('alerts over time and the control API', () => {
  test('the periodic new alert (the demo’s 45 s one) shows on Graph in its own incident', async () => {
    const sim = await startSimulator({ port: 0, alerts: 3, newAlertIntervalMs: 40, rateLimits: false });
    try {
      const token = await getToken(sim, 'socAutomation', { resource: GRAPH });
      const before = sim.state.alerts.length;
      await sleep(150);
      assert.ok(sim.state.alerts.length > before);
      const newest = sim.state.alerts.at(-1);
      const r = await request(sim, 'GET', `/v1.0/security/alerts_v2/${newest.id}`, { token });
      assert.equal(r.status, 200);
      assert.ok(r.json.incidentId);
      const inc = await request(sim, 'GET', `/v1.0/security/incidents/${r.json.incidentId}?$expand=alerts`, { token });
      assert.deepEqual(inc.json.alerts.map((a) => a.id), [newest.id]);
      assert.ok(Date.parse(r.json.lastUpdateDateTime) <= Date.now(), 'a new alert is not updated in the future');
    } finally {
      await sim.close();
    }
  });

  test('a burst has identical timestamps, shares one incident, and pages without loss or duplicates', async () => {
    const sim = await startSimulator({ port: 0, alerts: 5, graphPageSize: 7, rateLimits: false });
    try {
      const token = await getToken(sim, 'socAutomation', { resource: GRAPH });
      const r = await request(sim, 'POST', '/_simulator/alerts/burst', { json: { count: 30, severity: 'High' } });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.count, 30);
      const stamp = r.json.value[0].alertCreationTime;
      assert.ok(r.json.value.every((a) => a.alertCreationTime === stamp && a.lastUpdateTime === stamp));
      const got = await all(sim, token, `/v1.0/security/alerts_v2?$filter=${q(`createdDateTime eq ${stamp}`)}`);
      assert.equal(got.pages, 5);
      assert.deepEqual(got.items.map((a) => a.id).sort(), r.json.value.map((a) => a.id).sort());
      assert.equal(new Set(got.items.map((a) => a.incidentId)).size, 1);
      const inc = await request(sim, 'GET', `/v1.0/security/incidents/${got.items[0].incidentId}?$expand=alerts`, { token });
      assert.equal(inc.json.alerts.length, 30);
      assert.equal(inc.json.severity, 'high');
      assert.equal((await request(sim, 'POST', '/_simulator/alerts/burst', { json: { count: 0 } })).status, 400);
      assert.equal((await request(sim, 'POST', '/_simulator/alerts/burst', { json: { count: 2, createdDateTime: 'yesterday' } })).status, 400);
    } finally {
      await sim.close();
    }
  });

  test('a late arrival becomes visible with createdDateTime / lastUpdateDateTime already in the past', async () => {
    const sim = await startSimulator({ port: 0, alerts: 5, rateLimits: false });
    try {
      const token = await getToken(sim, 'socAutomation', { resource: GRAPH });
      const r = await request(sim, 'POST', '/_simulator/alerts', { json: { title: 'Late arrival', lateByMs: 10 * 60_000, visibleInMs: 300 } });
      assert.equal(r.status, 201, r.text);
      const id = r.json.id;
      assert.equal((await request(sim, 'GET', `/v1.0/security/alerts_v2/${id}`, { token })).status, 404, 'not visible yet');
      await sleep(450);
      const seen = await request(sim, 'GET', `/v1.0/security/alerts_v2/${id}`, { token });
      assert.equal(seen.status, 200);
      const age = Date.now() - Date.parse(seen.json.createdDateTime);
      assert.ok(age > 9 * 60_000 && age < 11 * 60_000, `created ${age} ms ago`);
      assert.equal(seen.json.lastUpdateDateTime, seen.json.createdDateTime);
      const times = sim.state.alerts.map((a) => a.alertCreationTime);
      assert.deepEqual(times, [...times].sort(), 'inserted in creation order, not at the end');
      const explicit = await request(sim, 'POST', '/_simulator/alerts', { json: { createdDateTime: '2026-01-02T03:04:05Z', lastUpdateDateTime: '2026-01-02T03:05:00.1234567Z' } });
      assert.equal(explicit.json.alertCreationTime, '2026-01-02T03:04:05.0000000Z');
      assert.equal(explicit.json.lastUpdateTime, '2026-01-02T03:05:00.1234567Z');
    } finally {
      await sim.close();
    }
  });

  test('a portal-side update moves lastUpdateDateTime on Graph; alertUpdateIntervalMs does it over time', async () => {
    const sim = await startSimulator({ port: 0, alerts: 20, rateLimits: false });
    try {
      const token = await getToken(sim, 'socAutomation', { resource: GRAPH });
      const a = sim.state.alerts.find((x) => x.status === 'New');
      const before = (await request(sim, 'GET', `/v1.0/security/alerts_v2/${a.id}`, { token })).json.lastUpdateDateTime;
      const u = await request(sim, 'POST', `/_simulator/alerts/${a.id}/update`, { json: { status: 'InProgress', assignedTo: 'tier2@contoso-sim.onmicrosoft.com' } });
      assert.equal(u.status, 200, u.text);
      const after = (await request(sim, 'GET', `/v1.0/security/alerts_v2/${a.id}`, { token })).json;
      assert.ok(after.lastUpdateDateTime > before);
      assert.equal(after.status, 'inProgress');
      assert.equal(after.assignedTo, 'tier2@contoso-sim.onmicrosoft.com');
      assert.equal((await request(sim, 'POST', '/_simulator/alerts/nope/update', { json: { status: 'New' } })).status, 404);
      assert.equal((await request(sim, 'POST', `/_simulator/alerts/${a.id}/update`, { json: { severity: 'Low' } })).status, 400);
    } finally {
      await sim.close();
    }
    const live = await startSimulator({ port: 0, alerts: 10, alertUpdateIntervalMs: 30, rateLimits: false });
    try {
      const open = live.state.alerts.filter((x) => x.status === 'New').length;
      await sleep(150);
      assert.ok(live.state.alerts.filter((x) => x.status === 'New').length < open);
    } finally {
      await live.close();
    }
  });
});
