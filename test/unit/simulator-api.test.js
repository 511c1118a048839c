'use strict';
// MDE API surface: bearer validation, roles, OData on alerts, machines, routing conventions.
const { test, before, after, describe } = require('node:test');
const assert = require('node:assert/strict');
const { startSimulator, DEMO } = require('../../dist/simulator/index.js');
const { request, getToken } = require('../fixtures/simulator-client.js');

/** A request to the simulator with another Host header (a Microsoft host name), over its loopback certificate. */
function requestAs(sim, host, method, path, token, json) {
  const https = require('node:https');
  const body = json === undefined ? undefined : Buffer.from(JSON.stringify(json));
  const headers = { host, authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json', 'content-length': body.length } : {}) };
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port: sim.port, method, path, headers, ca: sim.caPem, agent: false, servername: 'localhost', checkServerIdentity: () => undefined }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        resolve({ status: res.statusCode, headers: res.headers, text, json: parsed });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('MDE API', () => {
  let sim;
  let tok;
  before(async () => {
    sim = await startSimulator({ alerts: 25, machines: 30, processEvents: 100, networkEvents: 10, fileEvents: 10, pageSize: 10 });
    tok = await getToken(sim);
  });
  after(() => sim.close());
  const get = (path, token = tok) => request(sim, 'GET', path, { token });

  test('401 Unauthorized: missing, malformed, tampered and foreign-signed tokens', async () => {
    const [h, p, s] = tok.split('.');
    const payload = JSON.parse(Buffer.from(p, 'base64url'));
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...payload, roles: ['x'] })).toString('base64url')}.${s}`;
    for (const [name, t] of [['missing', undefined], ['garbage', 'abc'], ['forged', forged]]) {
      const r = await request(sim, 'GET', '/api/alerts', { token: t });
      assert.equal(r.status, 401, name);
      assert.equal(r.json.error.code, 'Unauthorized', name);
      assert.match(r.json.error.target, /^[0-9a-f-]{36}$/);
      assert.match(r.headers['content-type'], /^application\/json; charset=utf-8/);
    }
  });

  test('401 for an expired token and for a Graph token; 403 when wrongAudienceStatus is 403', async () => {
    const s2 = await startSimulator({ alerts: 1, machines: 12, processEvents: 10, tokenLifetimeSec: -10, wrongAudienceStatus: 403 });
    try {
      const expired = await getToken(s2);
      const r = await request(s2, 'GET', '/api/alerts', { token: expired });
      assert.equal(r.status, 401);
      assert.match(r.json.error.message, /expired/);
    } finally {
      await s2.close();
    }
    const graphTok = await getToken(sim, 'socAutomation', { resource: 'https://graph.microsoft.com' });
    const r = await get('/api/alerts', graphTok);
    assert.equal(r.status, 401);
    const s3 = await startSimulator({ alerts: 1, machines: 12, processEvents: 10, wrongAudienceStatus: 403 });
    try {
      const g = await getToken(s3, 'socAutomation', { resource: 'https://graph.microsoft.com' });
      assert.equal((await request(s3, 'GET', '/api/alerts', { token: g })).status, 403);
    } finally {
      await s3.close();
    }
  });

  test('the token audience must fit the host it is presented to (MDE vs Graph, commercial vs government): else 401', async () => {
    const tokens = {};
    for (const aud of ['https://api.securitycenter.microsoft.com', 'https://securitycenter.onmicrosoft.us/windowsatpservice', 'https://api-gov.securitycenter.microsoft.us', 'https://graph.microsoft.com', 'https://graph.microsoft.us']) {
      tokens[aud] = await getToken(sim, 'socAutomation', { resource: aud });
    }
    const mde = (host, aud) => requestAs(sim, host, 'GET', '/api/alerts?$top=1', tokens[aud]);
    const graph = (host, aud) => requestAs(sim, host, 'POST', '/v1.0/security/runHuntingQuery', tokens[aud], { Query: 'DeviceInfo | take 1' });
    const cases = [
      [mde, 'api.security.microsoft.com', 'https://api.securitycenter.microsoft.com', 200],
      [mde, 'eu.api.security.microsoft.com', 'https://api.securitycenter.microsoft.com', 200],
      [mde, 'ina.api.security.microsoft.com', 'https://securitycenter.onmicrosoft.us/windowsatpservice', 401],
      [mde, 'api-gcc.securitycenter.microsoft.us', 'https://api.securitycenter.microsoft.com', 200],
      [mde, 'api-gov.securitycenter.microsoft.us', 'https://securitycenter.onmicrosoft.us/windowsatpservice', 200],
      [mde, 'api-gov.securitycenter.microsoft.us', 'https://api-gov.securitycenter.microsoft.us', 200],
      [mde, 'api-gov.securitycenter.microsoft.us', 'https://api.securitycenter.microsoft.com', 401],
      [mde, 'api-gov.securitycenter.microsoft.us', 'https://graph.microsoft.us', 401],
      [mde, `127.0.0.1:${sim.port}`, 'https://api-gov.securitycenter.microsoft.us', 200],
      [graph, 'graph.microsoft.com', 'https://graph.microsoft.com', 200],
      [graph, 'graph.microsoft.us', 'https://graph.microsoft.com', 401],
      [graph, 'graph.microsoft.us', 'https://graph.microsoft.us', 200],
      [graph, 'graph.microsoft.com', 'https://api.securitycenter.microsoft.com', 401],
    ];
    for (const [call, host, aud, status] of cases) {
      const r = await call(host, aud);
      assert.equal(r.status, status, `${aud} at ${host}: ${r.text.slice(0, 200)}`);
      if (status === 401 && call === mde) {
        assert.equal(r.json.error.code, 'Unauthorized');
        assert.match(r.json.error.message, /audience/);
        assert.equal(r.headers['www-authenticate'], 'Bearer');
      }
      if (status === 401 && call === graph) assert.equal(r.json.error.code, 'InvalidAuthenticationToken');
    }
  });

  test('403 Forbidden with the exact "Missing application roles" message', async () => {
    const none = await getToken(sim, 'noRoles');
    const r = await get('/api/machines', none);
    assert.equal(r.status, 403);
    assert.equal(r.json.error.code, 'Forbidden');
    assert.equal(r.json.error.message, 'Missing application roles. API required roles: Machine.Read.All,Machine.ReadWrite.All, application roles: .');
    const ro = await getToken(sim, 'readOnly');
    const m = sim.state.machines[0];
    const r2 = await request(sim, 'POST', `/api/machines/${m.id}/isolate`, { token: ro, json: { Comment: 'x', IsolationType: 'Full' } });
    assert.equal(r2.status, 403);
    assert.equal(r2.json.error.message, 'Missing application roles. API required roles: Machine.Isolate, application roles: Alert.Read.All,Machine.Read.All,AdvancedQuery.Read.All.');
    assert.equal((await get('/api/alerts', ro)).status, 200);
  });

  test('alerts list: OData envelope, content type, evidence only with $expand, /api/v1.0 prefix', async () => {
    const r = await get('/api/alerts?$top=3');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/json; odata.metadata=minimal; odata.streaming=true; charset=utf-8');
    assert.equal(r.headers['odata-version'], '4.0');
    assert.equal(r.json['@odata.context'], `https://127.0.0.1:${sim.port}/api/$metadata#Alerts`);
    assert.equal(r.json.value.length, 3);
    assert.equal(r.json['@odata.nextLink'], undefined);
    for (const a of r.json.value) assert.deepEqual(a.evidence, []);
    const e = await get('/api/v1.0/alerts?$top=3&$expand=evidence');
    assert.equal(e.json['@odata.context'], `https://127.0.0.1:${sim.port}/api/v1.0/$metadata#Alerts`);
    assert.ok(e.json.value.every((a) => a.evidence.length > 0));
    assert.ok('entityType' in e.json.value[0].evidence[0] && 'detectionStatus' in e.json.value[0].evidence[0]);
  });

  test('alerts $filter: comparison, logical, functions, in, datetimes, escaped quotes', async () => {
    const all = sim.state.alerts;
    const q = async (filter) => (await get(`/api/alerts?$filter=${encodeURIComponent(filter)}&$top=10000`)).json.value;
    assert.deepEqual((await q("severity eq 'High'")).map((a) => a.id), all.filter((a) => a.severity === 'High').map((a) => a.id));
    assert.equal((await q("severity eq 'High' or severity eq 'Medium'")).length, all.filter((a) => ['High', 'Medium'].includes(a.severity)).length);
    assert.equal((await q("status ne 'Resolved' and (severity eq 'High' or category eq 'Malware')")).length, all.filter((a) => a.status !== 'Resolved' && (a.severity === 'High' || a.category === 'Malware')).length);
    assert.equal((await q("not (status eq 'New')")).length, all.filter((a) => a.status !== 'New').length);
    assert.equal((await q("severity in ('Low','Informational')")).length, all.filter((a) => ['Low', 'Informational'].includes(a.severity)).length);
    assert.equal((await q("startswith(detectionSource,'WindowsDefender')")).length, all.filter((a) => a.detectionSource.startsWith('WindowsDefender')).length);
    assert.equal((await q("contains(category,'Access')")).length, all.filter((a) => a.category.includes('Access')).length);
    const cutoff = all[12].alertCreationTime;
    assert.deepEqual((await q(`alertCreationTime gt ${cutoff}`)).map((a) => a.id), all.slice(13).map((a) => a.id));
    assert.equal((await q(`alertCreationTime ge ${cutoff}`)).length, all.length - 12);
    assert.equal((await q(`lastUpdateTime lt 2000-01-01Z`)).length, 0);
    assert.equal((await q('assignedTo eq null')).length, all.filter((a) => a.assignedTo === null).length);
    assert.equal((await q(`incidentId eq ${all[0].incidentId}`)).length, all.filter((a) => a.incidentId === all[0].incidentId).length);
    // '' escapes a quote inside a literal.
    sim.addAlert({ assignedTo: "o'brien@contoso-sim.com" });
    assert.equal((await q("assignedTo eq 'o''brien@contoso-sim.com'")).length, 1);
    sim.state.alerts.pop();
  });

  test('alerts $orderby, $skip and $top', async () => {
    const sorted = [...sim.state.alerts].sort((a, b) => (a.severity < b.severity ? -1 : a.severity > b.severity ? 1 : a.alertCreationTime < b.alertCreationTime ? 1 : -1));
    const r = await get('/api/alerts?$orderby=severity%20asc,alertCreationTime%20desc&$top=5&$skip=2');
    assert.deepEqual(r.json.value.map((a) => a.id), sorted.slice(2, 7).map((a) => a.id));
    const d = await get('/api/alerts?$orderby=alertCreationTime%20desc&$top=1');
    assert.equal(d.json.value[0].id, sim.state.alerts.at(-1).id);
  });

  test('nextLink only without $top and when more than pageSize rows match; following it pages through', async () => {
    const seen = [];
    let url = '/api/alerts?$filter=' + encodeURIComponent("status ne 'Unknown'");
    let pages = 0;
    while (url) {
      const r = await get(url);
      assert.equal(r.status, 200);
      seen.push(...r.json.value.map((a) => a.id));
      const next = r.json['@odata.nextLink'];
      if (next) {
        assert.ok(next.startsWith(`https://127.0.0.1:${sim.port}/api/alerts?`), next);
        assert.match(next, /\$skip=\d+/);
        assert.match(next, /\$filter=/);
      }
      url = next ? next.slice(`https://127.0.0.1:${sim.port}`.length) : undefined;
      pages++;
    }
    assert.equal(pages, 3);
    assert.deepEqual(seen, sim.state.alerts.map((a) => a.id));
    const withTop = await get('/api/alerts?$top=20');
    assert.equal(withTop.json.value.length, 20);
    assert.equal(withTop.json['@odata.nextLink'], undefined);
  });

  test('ODataError: unknown property (named), malformed filter, $top over 10000, bad $skip, bad $expand', async () => {
    const cases = [
      ['$filter=' + encodeURIComponent("colour eq 'red'"), /colour/],
      ['$filter=' + encodeURIComponent("severity eq 'High"), /./],
      ['$filter=' + encodeURIComponent("severity eq 'High' and"), /./],
      ['$filter=' + encodeURIComponent('(severity eq 1'), /./],
      ['$top=10001', /10000/],
      ['$top=abc', /\$top/],
      ['$skip=-1', /\$skip/],
      ['$expand=comments', /comments/],
      ['$orderby=nope%20desc', /nope/],
    ];
    for (const [qs, re] of cases) {
      const r = await get(`/api/alerts?${qs}`);
      assert.equal(r.status, 400, qs);
      assert.equal(r.json.error.code, 'ODataError', qs);
      assert.match(r.json.error.message, re, qs);
    }
    assert.equal((await get('/api/alerts?$top=10000')).status, 200);
  });

  test('single alert: get, 404, PATCH with validation, comments and resolvedTime; related entities', async () => {
    const a = sim.state.alerts.find((x) => x.status === 'New');
    const r = await get(`/api/alerts/${a.id}`);
    assert.equal(r.json['@odata.context'], `https://127.0.0.1:${sim.port}/api/$metadata#Alerts/$entity`);
    assert.equal(r.json.id, a.id);
    const nf = await get('/api/alerts/da000_1');
    assert.equal(nf.status, 404);
    assert.equal(nf.json.error.code, 'ResourceNotFound');

    const bad = await request(sim, 'PATCH', `/api/alerts/${a.id}`, { token: tok, json: { status: 'Closed' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, 'InvalidInput');
    const badCase = await request(sim, 'PATCH', `/api/alerts/${a.id}`, { token: tok, json: { Status: 'Resolved' } });
    assert.equal(badCase.json.error.code, 'InvalidRequestBody');
    const before = a.lastUpdateTime;
    const ok = await request(sim, 'PATCH', `/api/alerts/${a.id}`, { token: tok, json: { status: 'Resolved', assignedTo: 'secop2@contoso.com', classification: 'FalsePositive', determination: 'Clean', comment: 'closing' } });
    assert.equal(ok.status, 200);
    assert.equal(ok.json.status, 'Resolved');
    assert.ok(ok.json.resolvedTime);
    assert.ok(ok.json.lastUpdateTime > before);
    assert.deepEqual(ok.json.comments.map((c) => [c.comment, c.createdBy]), [['closing', DEMO.apps.socAutomation.displayName]]);
    assert.equal(sim.state.alerts.find((x) => x.id === a.id).classification, 'FalsePositive');
    const ro = await getToken(sim, 'readOnly');
    assert.equal((await request(sim, 'PATCH', `/api/alerts/${a.id}`, { token: ro, json: { comment: 'x' } })).status, 403);

    const withIp = sim.state.alerts.find((x) => x.evidence.some((e) => e.ipAddress));
    const m = await get(`/api/alerts/${withIp.id}/machine`);
    assert.equal(m.json.id, withIp.machineId);
    assert.equal(m.json['@odata.context'], `https://127.0.0.1:${sim.port}/api/$metadata#Machines/$entity`);
    const ips = await get(`/api/alerts/${withIp.id}/ips`);
    assert.ok(ips.json.value.some((x) => x.id === '203.0.113.50' || x.id === '203.0.113.77'));
    const user = await get(`/api/alerts/${withIp.id}/user`);
    assert.equal(user.status, 200);
    assert.ok(user.json.accountName);
    const machineAlerts = await get(`/api/machines/${withIp.machineId}/alerts`);
    assert.ok(machineAlerts.json.value.length >= 1 && machineAlerts.json.value.every((x) => x.machineId === withIp.machineId));
  });

  test('machines: list filters, get by id or exact name (confusable names), find by tag and IP, tags', async () => {
    const byName = async (n) => get(`/api/machines/${encodeURIComponent(n)}`);
    const dc = await byName('dc01.contoso-sim.local');
    assert.equal(dc.status, 200);
    assert.equal(dc.json.computerDnsName, 'dc01.contoso-sim.local');
    assert.deepEqual(dc.json.machineTags, ['DoNotIsolate']);
    assert.equal((await byName('DC01')).json.computerDnsName, 'dc01');
    assert.equal((await byName('dc010.contoso-sim.local')).json.computerDnsName, 'dc010.contoso-sim.local');
    const kiosk = await byName('kiosk-7');
    assert.equal(kiosk.status, 404);
    assert.equal(kiosk.json.error.code, 'ResourceNotFound');
    const byId = await byName(dc.json.id);
    assert.equal(byId.json.computerDnsName, 'dc01.contoso-sim.local');
    assert.match(dc.json.id, /^[0-9a-f]{40}$/);

    const starts = await get(`/api/machines?$filter=${encodeURIComponent("startswith(computerDnsName,'kiosk-7.')")}`);
    assert.deepEqual(starts.json.value.map((m) => m.computerDnsName).sort(), ['kiosk-7.contoso-sim.local', 'kiosk-7.fabrikam-retail.local']);
    const exact = await get(`/api/machines?$filter=${encodeURIComponent("computerDnsName eq 'dc01'")}`);
    assert.equal(exact.json.value.length, 1);
    const osCount = sim.state.machines.filter((m) => m.osPlatform === 'Windows11').length;
    assert.equal((await get(`/api/machines?$filter=${encodeURIComponent("osPlatform eq 'Windows11'")}&$top=100`)).json.value.length, osCount);
    const vip = await get(`/api/machines?$filter=${encodeURIComponent("machineTags/any(t: t eq 'VIP')")}&$top=100`);
    assert.ok(vip.json.value.length >= 1 && vip.json.value.every((m) => m.machineTags.includes('VIP')));
    const page = await get('/api/machines');
    assert.equal(page.json.value.length, 10);
    assert.ok(page.json['@odata.nextLink'].endsWith('$skip=10'));

    const tag = await get('/api/machines/findbytag?tag=Kiosk');
    assert.equal(tag.json.value.length, 2);
    const tagPrefix = await get('/api/machines/findbytag?tag=Kio&useStartsWithFilter=true');
    assert.equal(tagPrefix.json.value.length, 2);
    assert.equal((await get('/api/machines/findbytag?tag=Kio')).json.value.length, 0);

    const fin = sim.state.machines.find((m) => m.computerDnsName === 'ws-fin-0412.contoso-sim.local');
    const ts = new Date(Date.now() - 3600_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const ip = await get(`/api/machines/findbyip(ip='${fin.lastIpAddress}',timestamp=${ts})`);
    assert.equal(ip.status, 200, ip.text);
    assert.deepEqual(ip.json.value.map((m) => m.id), [fin.id]);
    const old = await get(`/api/machines/findbyip(ip='${fin.lastIpAddress}',timestamp=2001-01-01T00:00:00Z)`);
    assert.equal(old.status, 400);

    const add = await request(sim, 'POST', `/api/machines/${fin.id}/tags`, { token: tok, json: { Value: 'Quarantine-Review', Action: 'Add' } });
    assert.equal(add.status, 200);
    assert.ok(add.json.machineTags.includes('Quarantine-Review'));
    const rm = await request(sim, 'POST', `/api/machines/${fin.id}/tags`, { token: tok, json: { Value: 'Quarantine-Review', Action: 'Remove' } });
    assert.ok(!rm.json.machineTags.includes('Quarantine-Review'));
    const badAction = await request(sim, 'POST', `/api/machines/${fin.id}/tags`, { token: tok, json: { Value: 'x', Action: 'Toggle' } });
    assert.equal(badAction.json.error.code, 'InvalidInput');
    // Internal isolation state is not part of the public machine entity.
    assert.equal('isolationState' in dc.json, false);
  });

  test('routing: unknown route 404 with empty body, wrong verb 405 with Allow', async () => {
    const r = await get('/api/nothing-here');
    assert.equal(r.status, 404);
    assert.equal(r.text, '');
    assert.equal(r.headers['content-length'], '0');
    const m = sim.state.machines[0];
    const r2 = await get(`/api/machines/${m.id}/isolate`);
    assert.equal(r2.status, 405);
    assert.equal(r2.text, '');
    assert.equal(r2.headers.allow, 'POST');
    const r3 = await request(sim, 'DELETE', '/api/alerts', { token: tok });
    assert.equal(r3.status, 405);
    assert.equal(r3.headers.allow, 'GET');
  });

  test('GET /machines answers 404 with an error body when nothing matches (as the service does); 200 [] on request', async () => {
    const none = await get(`/api/machines?$filter=${encodeURIComponent("computerDnsName eq 'none'")}`);
    assert.equal(none.status, 404);
    assert.equal(none.json.error.code, 'ResourceNotFound');
    assert.match(none.json.error.target, /^[0-9a-f-]{36}$/);
    assert.equal((await get('/api/machines')).status, 200);
    const s = await startSimulator({ alerts: 1, machines: 12, processEvents: 10, emptyMachinesAs404: false });
    try {
      const t = await getToken(s);
      const r = await request(s, 'GET', `/api/machines?$filter=${encodeURIComponent("computerDnsName eq 'none'")}`, { token: t });
      assert.equal(r.status, 200);
      assert.deepEqual(r.json.value, []);
    } finally {
      await s.close();
    }
  });

  // Learn documents which properties each entity set filters on; anything else is a 400
  // ODataError, so a client relying on an undocumented filter fails a test here.
  const DOCUMENTED_FILTERS = {
    '/api/alerts': {
      allowed: ['alertCreationTime', 'lastUpdateTime', 'incidentId', 'investigationId', 'id', 'assignedTo', 'detectionSource', 'lastEventTime', 'status', 'severity', 'category'],
      refused: ['machineId', 'computerDnsName', 'title', 'classification', 'determination', 'firstEventTime', 'resolvedTime', 'threatName'],
    },
    '/api/machines': {
      allowed: ['computerDnsName', 'id', 'version', 'deviceValue', 'aadDeviceId', 'machineTags', 'lastSeen', 'exposureLevel', 'onboardingStatus', 'lastIpAddress', 'healthStatus', 'osPlatform', 'riskScore', 'rbacGroupId'],
      refused: ['firstSeen', 'lastExternalIpAddress', 'isAadJoined', 'osVersion', 'agentVersion'],
    },
    '/api/machineactions': {
      allowed: ['id', 'status', 'machineId', 'type', 'requestor', 'creationDateTimeUtc'],
      refused: ['lastUpdateDateTimeUtc', 'scope', 'computerDnsName', 'requestorComment', 'cancellationDateTimeUtc'],
    },
  };

  test('$filter only on the documented properties of each entity set: others are 400 ODataError naming them', async () => {
    const m = sim.state.machines[0];
    const iso = await request(sim, 'POST', `/api/machines/${m.id}/isolate`, { token: tok, json: { Comment: 'filter test', IsolationType: 'Full' } });
    assert.equal(iso.status, 201);
    for (const [path, { allowed, refused }] of Object.entries(DOCUMENTED_FILTERS)) {
      for (const prop of allowed) {
        const r = await get(`${path}?$filter=${encodeURIComponent(`${prop} ne null`)}&$top=1`);
        assert.equal(r.status, 200, `${path} ${prop}: ${r.text}`);
      }
      for (const prop of refused) {
        const r = await get(`${path}?$filter=${encodeURIComponent(`${prop} eq 'x'`)}`);
        assert.equal(r.status, 400, `${path} ${prop}`);
        assert.equal(r.json.error.code, 'ODataError');
        assert.equal(r.json.error.message, `The query specified in the URI is not valid. The property '${prop}' cannot be used in the $filter query option.`);
        assert.match(r.json.error.target, /^[0-9a-f-]{36}$/);
      }
    }
    // The same rule inside functions, lambdas and a device's own alert collection.
    assert.equal((await get(`/api/alerts?$filter=${encodeURIComponent("startswith(title,'x')")}`)).status, 400);
    assert.equal((await get(`/api/machines/${m.id}/alerts?$filter=${encodeURIComponent(`machineId eq '${m.id}'`)}`)).status, 400);
    const own = await get(`/api/machines/${m.id}/alerts?$filter=${encodeURIComponent("status ne 'Resolved'")}&$top=100`);
    assert.equal(own.status, 200);
    assert.ok(own.json.value.every((a) => a.machineId === m.id && a.status !== 'Resolved'));
  });

  test('same seed gives the same data; another seed differs', async () => {
    const a = await startSimulator({ seed: 42, alerts: 5, machines: 14, processEvents: 20 });
    const b = await startSimulator({ seed: 42, alerts: 5, machines: 14, processEvents: 20 });
    const c = await startSimulator({ seed: 43, alerts: 5, machines: 14, processEvents: 20 });
    try {
      assert.deepEqual(a.state.machines.map((m) => m.id), b.state.machines.map((m) => m.id));
      assert.deepEqual(a.state.alerts.map((x) => x.title), b.state.alerts.map((x) => x.title));
      assert.notDeepEqual(a.state.machines.map((m) => m.id), c.state.machines.map((m) => m.id));
      const names = a.state.machines.map((m) => m.computerDnsName);
      for (const n of ['dc01', 'dc01.contoso-sim.local', 'dc010.contoso-sim.local', 'kiosk-7.contoso-sim.local', 'kiosk-7.fabrikam-retail.local', 'ws-fin-0412.contoso-sim.local']) assert.ok(names.includes(n), n);
      const platforms = new Set(a.state.machines.map((m) => m.osPlatform));
      for (const p of ['Windows10', 'Windows11', 'WindowsServer2019', 'WindowsServer2022', 'Linux', 'macOS']) assert.ok(platforms.has(p), p);
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });
});
