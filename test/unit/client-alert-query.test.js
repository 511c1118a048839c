'use strict';
// Alert queries and machine lookups as the client library sends them: strict values (nothing
// coerced or dropped), documented filters only, a device's alerts on its own path, and the
// service's 404-for-no-match on /api/machines turned into a plain "no machine named X".
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { startSimulator } = require('../../dist/simulator/index.js');
const { MdeConnection } = require('../../dist/client/connection.js');
const errors = require('../../dist/client/errors.js');
const { listAlerts, checkAlertQuery } = require('../../dist/client/mde/alerts.js');
const { listMachines, resolveMachineByName } = require('../../dist/client/mde/machines.js');
const { parseAlertFilterObject, parseAlertFilterValue, mergeAlertQuery, toGraphAlertQuery, toMdeAlertQuery } = require('../../dist/client/alerts/query.js');
const { checkGraphAlertQuery } = require('../../dist/client/graph/alerts.js');
const { parseSince, parseIsoDateTime } = require('../../dist/client/mde/odata.js');
const { describe: describeValue } = require('../../dist/client/validate.js');
const { connectionSettings } = require('../helpers/sim');

const isInput = (re) => (e) => e instanceof errors.MdeInputError && (!re || re.test(e.message));

describe('describing a bad value', () => {
  test('names the type, clips, and never prints [object Object]', () => {
    assert.equal(describeValue(42), 'the number 42');
    assert.equal(describeValue(NaN), 'the number NaN');
    assert.equal(describeValue(true), 'the boolean true');
    assert.equal(describeValue({ High: true }), 'an object with the key "High"');
    assert.equal(describeValue(JSON.parse('{"__proto__": [1]}')), 'an object with the key "__proto__"');
    assert.equal(describeValue(['a', 'b']), 'an array of 2 items');
    assert.equal(describeValue(Object.create(null)), 'an empty object');
    assert.equal(describeValue('x'.repeat(1000)).length, 62);
    assert.equal(describeValue('a\nb'), '"a\\nb"', 'control characters stay escaped: one line');
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    assert.equal(describeValue(revoked.proxy), 'an object');
  });
});

describe('dates', () => {
  test('impossible calendar dates and times are refused, real ones parsed exactly', () => {
    for (const bad of ['2026-02-30', '2026-02-29', '2026-04-31', '2026-13-01', '2026-00-10', '2026-01-31T24:00:00Z', '2026-01-31T10:60:00Z', '2026-01-31T10:00:00+15:00']) {
      assert.throws(() => parseIsoDateTime(bad, 'since'), isInput(/since/), bad);
      assert.throws(() => parseSince(bad, Date.now(), 'since'), isInput(), bad);
    }
    assert.equal(parseIsoDateTime('2028-02-29').toISOString(), '2028-02-29T00:00:00.000Z');
    assert.equal(parseIsoDateTime('2026-01-31T10:00:00.1234567Z').toISOString(), '2026-01-31T10:00:00.123Z');
    assert.equal(parseIsoDateTime('2026-01-31T10:00:00+02:00').toISOString(), '2026-01-31T08:00:00.000Z');
    assert.throws(() => parseIsoDateTime('2026-02-30'), isInput(/28 days/));
  });
  test('epoch numbers must be milliseconds; huge durations are refused', () => {
    assert.equal(parseSince(Date.UTC(2026, 0, 1)).toISOString(), '2026-01-01T00:00:00.000Z');
    assert.throws(() => parseSince(1767225600, Date.now(), 'since'), isInput(/milliseconds/));
    assert.throws(() => parseSince(Infinity), isInput());
    assert.throws(() => parseSince('999999999w'), isInput(/before 1970/));
  });
});

describe('loose filters (msg.filter)', () => {
  test('valid values become a checked query; "" means no condition', () => {
    const part = parseAlertFilterObject({ severity: 'high, Medium', status: ['New'], incidentId: '42', pageSize: 500, assignedTo: '', expandEvidence: true });
    assert.deepEqual(part, { severity: ['High', 'Medium'], status: ['New'], incidentId: 42, pageSize: 500, assignedTo: undefined, expandEvidence: true });
    assert.deepEqual(mergeAlertQuery({ severity: ['Low'], maxResults: 5 }, part), { severity: ['High', 'Medium'], status: ['New'], incidentId: 42, pageSize: 500, expandEvidence: true, maxResults: 5 });
  });
  test('wrong types are refused with the property named, never coerced', () => {
    const cases = [
      [{ severity: 42 }, /msg\.filter\.severity must be text .* got the number 42/],
      [{ status: { New: 1 } }, /msg\.filter\.status .* got an object with the key "New"/],
      [{ category: [1] }, /msg\.filter\.category\[0\]/],
      [{ incidentId: 1.5 }, /msg\.filter\.incidentId/],
      [{ incidentId: true }, /msg\.filter\.incidentId .* the boolean true/],
      [{ pageSize: 10001 }, /msg\.filter\.pageSize .* 1 to 10000/],
      [{ maxResults: 'all' }, /msg\.filter\.maxResults/],
      [{ assignedTo: ['a@x'] }, /msg\.filter\.assignedTo/],
      [{ rawFilter: 5 }, /msg\.filter\.rawFilter/],
      [{ since: undefined }, /msg\.filter\.since .* nothing/],
      [{ machineId: null }, /msg\.filter\.machineId is null/],
      [{ Severity: ['High'] }, /unknown property "Severity" \(did you mean "severity"\?\)/],
    ];
    for (const [filter, re] of cases) assert.throws(() => parseAlertFilterObject(filter), isInput(re), JSON.stringify(filter));
    assert.throws(() => parseAlertFilterValue('severity', Array(51).fill('High'), 'severity'), isInput(/at most 50/));
  });
});

describe('filters for Microsoft Graph (alerts_v2)', () => {
  test("each API's own values, canonical; the time window becomes a Graph range, the incident its text", () => {
    const now = Date.UTC(2026, 5, 1, 12);
    const part = parseAlertFilterObject(
      { severity: 'HIGH, medium', status: ['InProgress'], serviceSource: 'microsoftDefenderForEndpoint', classification: ['truePositive'], determination: ['compromisedUser'], detectionSource: ['antivirus'], assignedTo: null, incidentId: '42', timeField: 'lastUpdateDateTime', since: '24h', until: '2026-06-01T11:00:00Z', pageSize: 1000 },
      'msg.filter', now, 'graph',
    );
    const graph = toGraphAlertQuery(mergeAlertQuery(part));
    assert.deepEqual(graph, {
      severity: ['high', 'medium'], status: ['inProgress'], serviceSource: ['microsoftDefenderForEndpoint'], classification: ['truePositive'], determination: ['compromisedAccount'],
      detectionSource: ['antivirus'], assignedTo: null, incidentId: '42', lastUpdateDateTime: { from: '2026-05-31T12:00:00.000Z', to: '2026-06-01T11:00:00.000Z' }, pageSize: 1000,
    });
    const checked = checkGraphAlertQuery(graph);
    assert.equal(checked.filter, "(severity eq 'high' or severity eq 'medium') and status eq 'inProgress' and classification eq 'truePositive' and determination eq 'compromisedAccount' and assignedTo eq null and lastUpdateDateTime ge 2026-05-31T12:00:00.000Z and lastUpdateDateTime le 2026-06-01T11:00:00.000Z and serviceSource eq 'microsoftDefenderForEndpoint'");
    assert.deepEqual(checked.clientSideFilters, ['detectionSource', 'incidentId']);
    assert.deepEqual(toGraphAlertQuery({ since: new Date(now) }), { createdDateTime: { from: '2026-06-01T12:00:00.000Z' } });
  });

  test("a filter of the other API is refused unless empty; a query checked for one API is not sent to the other", () => {
    assert.deepEqual(parseAlertFilterObject({ category: '', machineId: '', orderBy: [] }, 'msg.filter', Date.now(), 'graph'), { category: undefined, machineId: undefined, orderBy: undefined });
    assert.throws(() => parseAlertFilterObject({ category: ['Malware'] }, 'msg.filter', Date.now(), 'graph'), isInput(/msg\.filter\.category is a filter of the MDE API only/));
    assert.throws(() => parseAlertFilterObject({ classification: 'truePositive' }), isInput(/msg\.filter\.classification is a filter of Microsoft Graph only/));
    assert.throws(() => parseAlertFilterValue('timeField', 'alertCreationTime', 'timeField', Date.now(), 'graph'), isInput(/on Microsoft Graph it is createdDateTime/));
    assert.throws(() => parseAlertFilterValue('pageSize', 1001, 'pageSize', Date.now(), 'graph'), isInput(/1 to 1000/));
    assert.throws(() => parseAlertFilterValue('assignedTo', null, 'assignedTo'), isInput(/is null/));
    assert.throws(() => toGraphAlertQuery({ machineId: 'a'.repeat(40) }), isInput(/checked for the MDE API/));
    assert.throws(() => toMdeAlertQuery({ classification: ['truePositive'] }), isInput(/checked for Microsoft Graph/));
    assert.throws(() => toMdeAlertQuery({ timeField: 'createdDateTime' }), isInput(/checked for Microsoft Graph/));
  });
});

describe('the client library on its own', () => {
  test('checkAlertQuery refuses unknown keys, wrong types and URLs too long to send', () => {
    assert.throws(() => checkAlertQuery({ severty: ['High'] }), isInput(/unknown property "severty"/));
    assert.throws(() => checkAlertQuery({ severity: 'High' }), isInput(/list/));
    assert.throws(() => checkAlertQuery({ pageSize: true }), isInput(/Page size/));
    assert.throws(() => checkAlertQuery({ incidentId: '7' }), isInput(/Incident ID/));
    assert.throws(() => checkAlertQuery({ expandEvidence: 'yes' }), isInput(/expandEvidence/));
    assert.throws(() => checkAlertQuery({ since: '2026-02-30' }), isInput(/28 days/));
    assert.throws(() => checkAlertQuery({ rawFilter: `status eq '${'x'.repeat(5000)}'` }), isInput(/at most 4000/));
    const many = Array.from({ length: 40 }, (_, i) => `Source${i}-${'z'.repeat(200)}`);
    assert.throws(() => checkAlertQuery({ detectionSource: many }), (e) => e.code === 'FilterTooLong' && /too long/.test(e.message));
    assert.deepEqual(checkAlertQuery({ severity: ['High'] }), { path: '/api/alerts', filter: "severity eq 'High'" });
  });
});

describe('against the simulator', () => {
  let sim;
  const open = [];
  const connect = () => {
    const c = new MdeConnection(connectionSettings(sim));
    open.push(c);
    return c;
  };
  before(async () => {
    sim = await startSimulator({ port: 0, alerts: 200, rateLimits: false });
  });
  after(async () => {
    await Promise.all(open.map((c) => c.close()));
    await sim.close();
  });

  test('a device\'s alerts come from /api/machines/{id}/alerts, other filters still applied', async () => {
    const c = connect();
    const m = sim.state.alerts[0].machineId;
    sim.clearLog();
    const r = await listAlerts(c.http, { machineId: m, severity: ['High', 'Medium', 'Low', 'Informational', 'UnSpecified'], status: ['New', 'InProgress'], pageSize: 2 });
    const expected = sim.state.alerts.filter((a) => a.machineId === m && ['New', 'InProgress'].includes(a.status));
    assert.deepEqual(r.alerts.map((a) => a.id).sort(), expected.map((a) => a.id).sort());
    const sent = sim.requests.filter((x) => x.kind === 'api');
    assert.ok(sent.length >= 1 && sent.every((x) => x.path === `/api/machines/${m}/alerts` && x.status === 200));
    assert.ok(sent.every((x) => !/machineId/.test(decodeURIComponent(x.query))));
  });

  test('name resolution: the service\'s 404 for "no match" is MachineNotFound "no machine named X"', async () => {
    const c = connect();
    sim.clearLog();
    await assert.rejects(resolveMachineByName(c.http, 'ghost-host-17'), (e) => {
      assert.equal(e.code, 'MachineNotFound');
      assert.match(e.message, /No machine named "ghost-host-17"/);
      return true;
    });
    assert.deepEqual(sim.requests.filter((x) => x.kind === 'api').map((x) => x.status), [404], 'the simulator answered 404, like the service');
    assert.deepEqual(await listMachines(c.http, { filter: "computerDnsName eq 'ghost-host-17'" }), []);
  });

  test('a 404 without the service\'s error body (a wrong URL, a proxy) still fails', async () => {
    const c = connect();
    sim.setFaults({ failNext: [{ status: 404, body: '', pathIncludes: '/api/machines' }] });
    await assert.rejects(listMachines(c.http, { top: 1 }), (e) => e.status === 404 && !e.mde);
  });
});
