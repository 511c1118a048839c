'use strict';
// The Graph alerts and incidents client against the simulator: filters mapped to $filter, typed
// input refused before any request, @odata.nextLink paging within $top ≤ 1000, updates only in
// documented classification/determination pairs, comments never resent, 403s naming the role,
// the governor families, and the MDE → Graph alert shape.
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { connectionSettings } = require('../helpers/sim');
const { startSimulator, DEMO } = require('../../dist/simulator/index.js');
const { MdeConnection } = require('../../dist/client/connection.js');
const errors = require('../../dist/client/errors.js');
const { resetGovernors, DEFAULT_RATE_BUDGETS } = require('../../dist/client/transport/governor.js');
const { getAlert } = require('../../dist/client/mde/alerts.js');
const {
  listGraphAlerts,
  iterateGraphAlertPages,
  getGraphAlert,
  updateGraphAlert,
  commentGraphAlert,
  buildGraphAlertUpdate,
  checkGraphAlertQuery,
} = require('../../dist/client/graph/alerts.js');
const { listIncidents, getIncident, updateIncident, commentIncident, buildIncidentUpdate } = require('../../dist/client/graph/incidents.js');
const { mdeAlertToGraphAlert, alertDevices, graphUpdateToMde } = require('../../dist/client/alerts/shape.js');
const { nextLinkTarget, graphRequiredRoles } = require('../../dist/client/graph/request.js');
const { NODE_ROLES, OPERATION_ROLES } = require('../../dist/client/auth/permissions.js');

const APPS = DEMO.apps;
const open = [];

function connect(sim, app = APPS.socAutomation, over = {}) {
  const c = new MdeConnection(connectionSettings(sim, app, { retry: { baseDelayMs: 20, limit: 3 }, timeoutMs: 10_000, ...over }));
  open.push(c);
  return c;
}

const graphCalls = (sim, pred = () => true) => sim.requests.filter((r) => r.kind === 'graph' && pred(r));

after(async () => {
  await Promise.all(open.map((c) => c.close()));
  resetGovernors();
});

describe('Graph alerts client', () => {
  let sim;
  let http;
  before(async () => {
    sim = await startSimulator({ port: 0, alerts: 120, graphPageSize: 30, rateLimits: false });
    http = connect(sim).http;
  });
  after(() => sim.close());

  /** The simulator's own Graph view, for expected results. */
  async function everything() {
    return (await listGraphAlerts(http, {})).alerts;
  }

  test('lists every alert through nextLink pages, newest first, in the documented shape', async () => {
    sim.clearLog();
    const r = await listGraphAlerts(http, { pageSize: 25 });
    assert.equal(r.alerts.length, sim.state.alerts.length);
    assert.equal(r.pages, Math.ceil(sim.state.alerts.length / 25));
    assert.equal(r.truncated, false);
    assert.equal(new Set(r.alerts.map((a) => a.id)).size, r.alerts.length);
    const created = r.alerts.map((a) => a.createdDateTime);
    assert.deepEqual(created, [...created].sort().reverse());
    assert.ok(graphCalls(sim).every((c) => /\$top=25/.test(c.query) || /\$skiptoken=/.test(c.query)));
    const a = r.alerts[0];
    for (const k of ['id', 'incidentId', 'status', 'severity', 'classification', 'determination', 'serviceSource', 'detectionSource', 'createdDateTime', 'lastUpdateDateTime', 'evidence', 'comments']) assert.ok(k in a, k);
    assert.equal(typeof a.incidentId, 'string');
  });

  test('maps every filter to $filter (documented properties) and the two undocumented ones to a local filter', async () => {
    const all = await everything();
    const sorted = [...all].sort((x, y) => (x.createdDateTime < y.createdDateTime ? -1 : 1));
    const from = sorted[30].createdDateTime;
    const to = sorted[90].createdDateTime;
    const q = { severity: ['High', 'medium'], status: ['new', 'InProgress'], serviceSource: ['microsoftDefenderForEndpoint'], createdDateTime: { from, to } };
    const r = await listGraphAlerts(http, q);
    const expected = all.filter((a) => ['high', 'medium'].includes(a.severity) && ['new', 'inProgress'].includes(a.status) && a.createdDateTime >= from && a.createdDateTime <= to);
    assert.ok(expected.length > 0);
    assert.deepEqual(r.alerts.map((a) => a.id).sort(), expected.map((a) => a.id).sort());
    assert.equal(r.filter, `(severity eq 'high' or severity eq 'medium') and (status eq 'new' or status eq 'inProgress') and createdDateTime ge ${from} and createdDateTime le ${to} and serviceSource eq 'microsoftDefenderForEndpoint'`);
    assert.deepEqual(r.clientSideFilters, []);

    const byOwner = await listGraphAlerts(http, { assignedTo: 'analyst1@contoso-sim.onmicrosoft.com' });
    assert.ok(byOwner.alerts.length > 0 && byOwner.alerts.every((a) => a.assignedTo === 'analyst1@contoso-sim.onmicrosoft.com'));
    const unassigned = await listGraphAlerts(http, { assignedTo: null, status: ['new'] });
    assert.ok(unassigned.alerts.every((a) => a.assignedTo === null && a.status === 'new'));
    const updated = await listGraphAlerts(http, { lastUpdateDateTime: { from: sorted[100].lastUpdateDateTime } });
    assert.ok(updated.alerts.every((a) => a.lastUpdateDateTime >= sorted[100].lastUpdateDateTime));
    const cls = await listGraphAlerts(http, { classification: ['unknown'], determination: ['unknown'] });
    assert.ok(cls.alerts.length > 0 && cls.alerts.every((a) => a.classification === 'unknown'));

    sim.clearLog();
    const av = await listGraphAlerts(http, { detectionSource: ['antivirus'], severity: ['high'] });
    assert.deepEqual(av.clientSideFilters, ['detectionSource']);
    assert.ok(av.alerts.length > 0 && av.alerts.every((a) => a.detectionSource === 'antivirus' && a.severity === 'high'));
    assert.ok(!graphCalls(sim).some((c) => /detectionSource/.test(decodeURIComponent(c.query))), 'detectionSource never reaches $filter');
    const incident = all.find((a) => all.filter((b) => b.incidentId === a.incidentId).length > 1).incidentId;
    const inc = await listGraphAlerts(http, { incidentId: incident });
    assert.deepEqual(inc.alerts.map((a) => a.id).sort(), all.filter((a) => a.incidentId === incident).map((a) => a.id).sort());
  });

  test('a 7-digit timestamp is sent as written, so the alert carrying it is included', async () => {
    const a = sim.state.alerts[50];
    const r = await listGraphAlerts(http, { createdDateTime: { from: a.alertCreationTime, to: a.alertCreationTime } });
    assert.deepEqual(r.alerts.map((x) => x.id), [a.id]);
  });

  test('wrong types and unknown values are refused with the field named, before any request', async () => {
    sim.clearLog();
    const bad = [
      [{ severity: 'high' }, /Severity must be a list/],
      [{ severity: ['critical'] }, /Severity "critical" is not valid.*informational/],
      [{ status: [1] }, /Alert status must be text, got the number 1/],
      [{ status: ['unknownFutureValue'] }, /not valid/],
      [{ createdDateTime: { from: 1700000000000 } }, /createdDateTime.from must be a Date or ISO 8601 text/],
      [{ createdDateTime: { from: '24h' } }, /not ISO 8601/],
      [{ createdDateTime: { from: '2026-01-02T00:00:00' } }, /time zone/],
      [{ createdDateTime: { since: '2026-01-02T00:00:00Z' } }, /unknown key "since"/],
      [{ createdDateTime: { from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' } }, /later than/],
      [{ lastUpdateDateTime: new Date() }, /must be an object/],
      [{ assignedTo: 7 }, /Assigned to must be non-empty text, got the number 7/],
      [{ assignedTo: "x'\n" }, /control character/],
      [{ incidentId: 1001 }, /Incident ID must be the incident's number as text/],
      [{ pageSize: 1001 }, /Page size must be a whole number from 1 to 1000/],
      [{ pageSize: '50' }, /Page size/],
      [{ title: 'x' }, /Alert filter "title" is not known/],
      [{ detectionSource: ['WindowsDefenderAv'] }, /Detection source "WindowsDefenderAv" is not valid/],
    ];
    for (const [q, message] of bad) {
      await assert.rejects(listGraphAlerts(http, q), (e) => e instanceof errors.MdeInputError && message.test(e.message), JSON.stringify(q));
    }
    assert.equal(graphCalls(sim).length, 0, 'nothing was sent');
  });

  test('a hostile value stays a quoted literal', async () => {
    const r = await listGraphAlerts(http, { assignedTo: "x' or severity ne 'nothing" });
    assert.equal(r.alerts.length, 0);
    assert.match(r.filter, /assignedTo eq 'x'' or severity ne ''nothing'/);
  });

  test('maxResults truncates across pages; iterate yields page by page', async () => {
    const r = await listGraphAlerts(http, { pageSize: 20, maxResults: 45 });
    assert.equal(r.alerts.length, 45);
    assert.equal(r.truncated, true);
    assert.equal(r.pages, 3);
    const sizes = [];
    const it = iterateGraphAlertPages(http, { pageSize: 50 });
    let done;
    for (;;) {
      const n = await it.next();
      if (n.done) {
        done = n.value;
        break;
      }
      sizes.push(n.value.length);
    }
    assert.deepEqual(sizes, [50, 50, 20]);
    assert.deepEqual(done, { pages: 3, truncated: false });
  });

  test('get, update in documented pairs, comment; the MDE API sees the same alert change', async () => {
    const id = sim.state.alerts.find((a) => a.status === 'New').id;
    const g = await getGraphAlert(http, id);
    assert.equal(g.id, id);
    assert.equal('@odata.context' in g, false);
    const u = await updateGraphAlert(http, id, { status: 'inProgress', assignedTo: 'tier1@contoso-sim.onmicrosoft.com', classification: 'TruePositive', determination: 'compromisedUser' });
    assert.equal(u.status, 'inProgress');
    assert.equal(u.classification, 'truePositive');
    assert.equal(u.determination, 'compromisedAccount');
    const comments = await commentGraphAlert(http, id, 'Isolated by the playbook.\nSee ticket 42.');
    assert.equal(comments.at(-1).comment, 'Isolated by the playbook.\nSee ticket 42.');
    const mde = await getAlert(http, id);
    assert.equal(mde.status, 'InProgress');
    assert.equal(mde.comments.at(-1).comment, 'Isolated by the playbook.\nSee ticket 42.');
    await assert.rejects(getGraphAlert(http, 'da000000000000000000_1'), (e) => e.status === 404 && e.code === 'NotFound');
    await assert.rejects(getGraphAlert(http, 'not an id!'), errors.MdeInputError);
  });

  test('bad combinations are refused before sending', async () => {
    const id = sim.state.alerts[0].id;
    sim.clearLog();
    const bad = [
      [{ classification: 'falsePositive', determination: 'malware' }, /malware does not go with classification falsePositive: use one of notMalicious, notEnoughDataToValidate, other/],
      [{ classification: 'truePositive', determination: 'securityTesting' }, /does not go with/],
      [{ classification: 'informationalExpectedActivity', determination: 'phishing' }, /does not go with/],
      [{ determination: 'malware' }, /needs its classification/],
      [{ classification: 'truePositive' }, /needs a determination: one of multiStagedAttack/],
      [{ classification: 'unknown', determination: 'unknown' }, /cannot be set/],
      [{ classification: 'truePositive', determination: 'apt' }, /does not go with/],
      [{ status: 'closed' }, /Alert status "closed" is not valid. Use one of: new, inProgress, resolved/],
      [{ status: 'unknown' }, /not valid/],
      [{ comment: 'x' }, /own request/],
      [{ severity: 'high' }, /cannot be updated/],
      [{}, /Nothing to update/],
      [{ assignedTo: 5 }, /Assigned to/],
    ];
    for (const [patch, message] of bad) {
      await assert.rejects(updateGraphAlert(http, id, patch), (e) => e instanceof errors.MdeInputError && message.test(e.message), JSON.stringify(patch));
    }
    await assert.rejects(commentGraphAlert(http, id, '   '), /non-empty/);
    await assert.rejects(commentGraphAlert(http, id, 42), /non-empty text, got the number 42/);
    await assert.rejects(commentGraphAlert(http, id, 'bell\u0007'), /control character/);
    assert.equal(graphCalls(sim).length, 0);
    assert.deepEqual(buildGraphAlertUpdate({ assignedTo: null }), { assignedTo: null });
  });

  test('a comment is never resent after a 5xx; an update (idempotent) is', async () => {
    const id = sim.state.alerts[1].id;
    sim.clearLog();
    sim.setFaults({ failNext: [{ status: 503, pathIncludes: '/comments', count: 1 }] });
    await assert.rejects(commentGraphAlert(http, id, 'once'), (e) => e.status === 503 && /not sent again/.test(e.message));
    assert.equal(graphCalls(sim, (r) => r.path.endsWith('/comments')).length, 1);
    sim.setFaults({ failNext: [{ status: 503, pathIncludes: `/alerts_v2/${id}`, count: 1 }] });
    const u = await updateGraphAlert(http, id, { assignedTo: 'retry@contoso-sim.onmicrosoft.com' });
    assert.equal(u.assignedTo, 'retry@contoso-sim.onmicrosoft.com');
    assert.equal(graphCalls(sim, (r) => r.method === 'PATCH').length, 2);
    sim.setFaults({});
  });

  test('403 names the missing Graph role', async () => {
    const ro = connect(sim, APPS.readOnly).http;
    const id = sim.state.alerts[2].id;
    await assert.rejects(updateGraphAlert(ro, id, { status: 'resolved' }), (e) => e.status === 403 && /it needs SecurityAlert\.ReadWrite\.All/.test(e.message) && /Microsoft Graph > Application permissions/.test(e.message));
    const none = connect(sim, APPS.noRoles).http;
    await assert.rejects(listGraphAlerts(none), (e) => e.status === 403 && /one of SecurityAlert\.Read\.All, SecurityAlert\.ReadWrite\.All/.test(e.message));
    await assert.rejects(listIncidents(none), (e) => /SecurityIncident\.Read\.All/.test(e.message));
    assert.deepEqual(graphRequiredRoles("Missing role permissions on the request. API requires one of 'SecurityIncident.ReadWrite.All'. Roles on the request ''."), ['SecurityIncident.ReadWrite.All']);
  });
});

describe('incidents client', () => {
  let sim;
  let http;
  before(async () => {
    sim = await startSimulator({ port: 0, alerts: 80, graphPageSize: 10, rateLimits: false });
    http = connect(sim).http;
  });
  after(() => sim.close());

  test('lists incidents with their alerts, filters like the alert list, pages through nextLink', async () => {
    const r = await listIncidents(http, { expandAlerts: true, pageSize: 7 });
    assert.equal(r.incidents.length, sim.state.incidents.length);
    assert.equal(r.pages, Math.ceil(sim.state.incidents.length / 7));
    for (const i of r.incidents) {
      assert.ok(Array.isArray(i.alerts) && i.alerts.length >= 1);
      assert.ok(i.alerts.every((a) => a.incidentId === i.id));
    }
    const active = await listIncidents(http, { status: ['active'], severity: ['high', 'medium'] });
    assert.ok(active.incidents.length > 0);
    assert.ok(active.incidents.every((i) => i.status === 'active' && ['high', 'medium'].includes(i.severity) && !('alerts' in i)));
    assert.equal(active.filter, "(severity eq 'high' or severity eq 'medium') and status eq 'active'");
    await assert.rejects(listIncidents(http, { serviceSource: ['microsoftDefenderForEndpoint'] }), /cannot be filtered on "serviceSource"/);
    await assert.rejects(listIncidents(http, { expandAlerts: 'yes' }), /expandAlerts must be true or false/);
    await assert.rejects(listIncidents(http, { status: ['new'] }), /Incident status "new" is not valid/);
  });

  test('get with alerts, update (status, pair, owner, tags), comment', async () => {
    const multi = sim.state.incidents.find((i) => sim.state.alerts.filter((a) => a.incidentId === Number(i.id)).length > 1);
    const got = await getIncident(http, multi.id, { expandAlerts: true });
    assert.ok(got.alerts.length > 1);
    assert.equal('@odata.context' in got, false);
    const u = await updateIncident(http, multi.id, { status: 'resolved', classification: 'falsePositive', determination: 'notEnoughDataToValidate', assignedTo: 'lead@contoso-sim.onmicrosoft.com', customTags: ['Playbook'] });
    assert.equal(u.status, 'resolved');
    assert.equal(u.determination, 'notEnoughDataToValidate');
    assert.deepEqual(u.customTags, ['Playbook']);
    const c = await commentIncident(http, multi.id, 'Triaged by Node-RED');
    assert.equal(c.at(-1).comment, 'Triaged by Node-RED');
    assert.equal(c.at(-1).createdByDisplayName, 'SOC Automation (simulator)');
    sim.clearLog();
    for (const [patch, message] of [
      [{ status: 'inProgress' }, /cannot be set: the update documents active and resolved/],
      [{ status: 'redirected' }, /redirected is set by the service/],
      [{ customTags: 'Playbook' }, /customTags must be a list/],
      [{ customTags: [''] }, /customTags\[0\]/],
      [{ classification: 'truePositive', determination: 'notMalicious' }, /does not go with/],
      [{ severity: 'high' }, /cannot be updated/],
    ]) {
      await assert.rejects(updateIncident(http, multi.id, patch), (e) => e instanceof errors.MdeInputError && message.test(e.message), JSON.stringify(patch));
    }
    await assert.rejects(getIncident(http, 1001), /Incident ID must be the incident's number as text/);
    await assert.rejects(updateIncident(http, 'abc', { status: 'active' }), /Incident ID/);
    assert.equal(graphCalls(sim).length, 0);
    assert.deepEqual(buildIncidentUpdate({ status: 'Active' }), { status: 'active' });
  });
});

describe('paging edge cases and the governor', () => {
  test('an API that answers a full $top page without nextLink is paged on with $skip', async () => {
    const sim = await startSimulator({ port: 0, alerts: 47, graphNextLinkWithTop: false, rateLimits: false });
    try {
      const http = connect(sim).http;
      const r = await listGraphAlerts(http, { pageSize: 10 });
      assert.equal(r.alerts.length, 47);
      assert.equal(new Set(r.alerts.map((a) => a.id)).size, 47);
      assert.equal(r.pages, 5);
      assert.deepEqual(graphCalls(sim).map((c) => new URLSearchParams(c.query).get('$skip')), [null, '10', '20', '30', '40']);
    } finally {
      await sim.close();
    }
  });

  test('a nextLink to another host is refused so the token never goes there', () => {
    const fake = { baseUrl: () => 'https://graph.microsoft.com' };
    assert.deepEqual(nextLinkTarget(fake, 'https://graph.microsoft.com/v1.0/security/alerts_v2?$top=5&$skiptoken=abc'), { path: '/v1.0/security/alerts_v2', searchParams: { $top: '5', $skiptoken: 'abc' } });
    assert.throws(() => nextLinkTarget(fake, 'https://evil.example/v1.0/security/alerts_v2'), /another host \(evil\.example\)/);
    assert.throws(() => nextLinkTarget(fake, 'not a url'), /not a URL/);
  });

  test('graph-alerts and graph-incidents budgets: 150/min documented; a burst inside a given budget meets no 429', async () => {
    assert.deepEqual(DEFAULT_RATE_BUDGETS['graph-alerts'], [{ limit: 150, windowMs: 60_000 }]);
    assert.deepEqual(DEFAULT_RATE_BUDGETS['graph-incidents'], [{ limit: 150, windowMs: 60_000 }]);
    const sim = await startSimulator({ port: 0, alerts: 10, rateLimits: { 'graph-alerts': [{ limit: 5, windowMs: 1000 }] } });
    try {
      const http = connect(sim, APPS.socAutomation, { rateLimits: { 'graph-alerts': [{ limit: 5, windowMs: 1000 }] } }).http;
      const ids = sim.state.alerts.map((a) => a.id);
      const results = await Promise.all(ids.map((id, i) => (i % 2 ? getGraphAlert(http, id) : updateGraphAlert(http, id, { assignedTo: `bulk${i}@contoso-sim.onmicrosoft.com` }))));
      assert.equal(results.length, 10);
      assert.equal(graphCalls(sim, (r) => r.status === 429).length, 0);
      assert.equal(graphCalls(sim, (r) => r.status === 200).length, 10);
      assert.ok(http.governor('graph', 'graph-alerts').stats.queuedTotal > 0, 'the burst was queued, not sent at once');
    } finally {
      await sim.close();
    }
  });

  test('roles per operation and per node', () => {
    assert.deepEqual(OPERATION_ROLES.updateGraphAlert.anyOf, ['SecurityAlert.ReadWrite.All']);
    assert.deepEqual(OPERATION_ROLES.listIncidents.anyOf, ['SecurityIncident.Read.All', 'SecurityIncident.ReadWrite.All']);
    assert.deepEqual(NODE_ROLES['mde-incidents'], { audience: 'graph', needs: [['SecurityIncident.Read.All', 'SecurityIncident.ReadWrite.All']] });
    assert.deepEqual(NODE_ROLES['mde-alert-update:incident'].needs, [['SecurityIncident.ReadWrite.All']]);
  });
});

describe('one alert shape whichever API served it', () => {
  test('an MDE API alert mapped to the Graph shape equals the Graph alert on every field the MDE API carries', async () => {
    const sim = await startSimulator({ port: 0, alerts: 40, rateLimits: false });
    try {
      const http = connect(sim).http;
      const graph = (await listGraphAlerts(http)).alerts;
      const { listAlerts } = require('../../dist/client/mde/alerts.js');
      const mde = (await listAlerts(http, { expandEvidence: true })).alerts;
      // Resolved alerts with classification, assigned ones, all evidence kinds of the seed.
      assert.ok(mde.some((a) => a.classification) && mde.some((a) => a.assignedTo));
      const byId = new Map(graph.map((a) => [a.id, a]));
      const notFromMde = ['recommendedActions'];
      const deviceDetails = ['firstSeenDateTime', 'azureAdDeviceId', 'osPlatform', 'osBuild', 'version', 'healthStatus', 'riskScore', 'rbacGroupId', 'onboardingStatus', 'defenderAvStatus', 'ipInterfaces', 'tags'];
      for (const m of mde) {
        const mapped = mdeAlertToGraphAlert(m);
        const g = byId.get(m.id);
        assert.deepEqual(Object.keys(mapped).sort(), Object.keys(g).sort(), 'same fields');
        for (const k of Object.keys(g)) {
          if (notFromMde.includes(k)) continue;
          if (k === 'evidence') {
            assert.equal(mapped.evidence.length, g.evidence.length);
            mapped.evidence.forEach((e, i) => {
              const ge = { ...g.evidence[i] };
              if (e['@odata.type'].endsWith('deviceEvidence')) for (const d of deviceDetails) delete ge[d], delete e[d];
              assert.deepEqual(e, ge, `${m.id} evidence ${i}`);
            });
            continue;
          }
          assert.deepEqual(mapped[k], g[k], `${m.id} ${k}`);
        }
        assert.equal(mapped.recommendedActions, null);
      }
      const devices = alertDevices(mdeAlertToGraphAlert(mde[0]));
      assert.deepEqual(devices, [{ mdeDeviceId: mde[0].machineId, deviceDnsName: mde[0].computerDnsName }]);
      assert.deepEqual(graphUpdateToMde({ status: 'inProgress', classification: 'falsePositive', determination: 'notEnoughDataToValidate' }), { status: 'InProgress', classification: 'FalsePositive', determination: 'InsufficientData' });
      assert.equal(checkGraphAlertQuery({}).filter, '');
    } finally {
      await sim.close();
    }
  });
});
