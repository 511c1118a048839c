'use strict';
// The simulator's machine lookups against the documented contract (mde-api.md §4.2 and the Learn
// pages it cites): findbyip's window and 30-day limit, logged-on users, tag bodies, installed
// software and vulnerabilities, filterable properties, and 403s that name the missing role.
const { test, before, after, describe } = require('node:test');
const assert = require('node:assert/strict');
const { startSimulator } = require('../../dist/simulator/index.js');
const { request, getToken } = require('../fixtures/simulator-client.js');

describe('simulator: machine lookups', () => {
  let sim;
  let tok;
  let readOnly;
  let fin;
  before(async () => {
    sim = await startSimulator({ alerts: 10, machines: 30, processEvents: 10, networkEvents: 5, fileEvents: 5 });
    tok = await getToken(sim);
    readOnly = await getToken(sim, 'readOnly');
    fin = sim.state.machines.find((m) => m.computerDnsName === 'ws-fin-0412.contoso-sim.local');
  });
  after(() => sim.close());

  const get = (path, token = tok) => request(sim, 'GET', path, { token });
  const iso = (ms) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

  test('findbyip: 200 with the machines seen with the IP; 400 beyond 30 days, for a bad IP, or without ip / timestamp', async () => {
    const ok = await get(`/api/machines/findbyip(ip='${fin.lastIpAddress}',timestamp=${iso(Date.now() - 3600_000)})`);
    assert.equal(ok.status, 200);
    assert.match(ok.json['@odata.context'], /\$metadata#Machines$/);
    assert.deepEqual(ok.json.value.map((m) => m.id), [fin.id]);
    const none = await get(`/api/machines/findbyip(ip='10.254.254.254',timestamp=${iso(Date.now() - 3600_000)})`);
    assert.deepEqual(none.json.value, []);
    const old = await get(`/api/machines/findbyip(ip='${fin.lastIpAddress}',timestamp=${iso(Date.now() - 31 * 86_400_000)})`);
    assert.equal(old.status, 400);
    assert.match(old.json.error.message, /30 days/);
    const badIp = await get(`/api/machines/findbyip(ip='10.0.0.999',timestamp=${iso(Date.now())})`);
    assert.equal(badIp.status, 400);
    assert.equal((await get(`/api/machines/findbyip(timestamp=${iso(Date.now())})`)).json.error.code, 'MissingRequiredParameter');
    assert.equal((await get(`/api/machines/findbyip(ip='${fin.lastIpAddress}')`)).json.error.code, 'MissingRequiredParameter');
  });

  test('logonusers: the documented user shape; 404 for an unknown device; 403 names User.Read.All', async () => {
    const r = await get(`/api/machines/${fin.id}/logonusers`);
    assert.equal(r.status, 200);
    assert.match(r.json['@odata.context'], /\$metadata#Users$/);
    for (const u of r.json.value) {
      assert.deepEqual(Object.keys(u).sort(), ['accountDomain', 'accountName', 'firstSeen', 'id', 'isDomainAdmin', 'isOnlyNetworkUser', 'lastSeen', 'logonTypes']);
      assert.equal(u.id, `${u.accountDomain.toLowerCase()}\\${u.accountName}`);
    }
    assert.equal((await get(`/api/machines/${'0'.repeat(40)}/logonusers`)).status, 404);
    const denied = await get(`/api/machines/${fin.id}/logonusers`, readOnly);
    assert.equal(denied.status, 403);
    assert.match(denied.json.error.message, /User\.Read\.All/);
  });

  test('tags: {Value, Action} case-sensitive body, Add is a set (no duplicate), Remove, 403 names Machine.ReadWrite.All', async () => {
    const post = (json, token = tok) => request(sim, 'POST', `/api/machines/${fin.id}/tags`, { token, json });
    const first = await post({ Value: 'Reviewed', Action: 'Add' });
    assert.equal(first.status, 200);
    assert.match(first.json['@odata.context'], /\$metadata#Machines\/\$entity$/);
    const again = await post({ Value: 'Reviewed', Action: 'Add' });
    assert.equal(again.json.machineTags.filter((t) => t === 'Reviewed').length, 1, 'adding twice leaves one tag');
    const wrongCase = await post({ value: 'Reviewed', action: 'Add' });
    assert.equal(wrongCase.status, 400);
    assert.equal(wrongCase.json.error.code, 'InvalidRequestBody');
    assert.equal((await post({ Action: 'Add' })).json.error.code, 'MissingRequiredParameter');
    assert.equal((await post({ Value: 'x' })).json.error.code, 'MissingRequiredParameter');
    const denied = await post({ Value: 'Nope', Action: 'Add' }, readOnly);
    assert.equal(denied.status, 403);
    assert.match(denied.json.error.message, /Machine\.ReadWrite\.All/);
    const removed = await post({ Value: 'Reviewed', Action: 'Remove' });
    assert.equal(removed.json.machineTags.includes('Reviewed'), false);
    assert.equal(removed.json.machineTags.includes('Nope'), false);
  });

  test('AddOrRemoveTagForMultipleMachines: {Value, Action, MachineIds}, at most 500, the updated machines back; 403 names the role', async () => {
    const post = (json, token = tok) => request(sim, 'POST', '/api/machines/AddOrRemoveTagForMultipleMachines', { token, json });
    const ids = sim.state.machines.slice(0, 3).map((m) => m.id);
    const r = await post({ Value: 'Bulk', Action: 'Add', MachineIds: ids });
    assert.equal(r.status, 200);
    assert.match(r.json['@odata.context'], /\$metadata#Machines$/);
    assert.deepEqual(r.json.value.map((m) => m.id).sort(), [...ids].sort());
    assert.ok(r.json.value.every((m) => m.machineTags.includes('Bulk')));
    const over = await post({ Value: 'Bulk', Action: 'Add', MachineIds: Array.from({ length: 501 }, () => ids[0]) });
    assert.equal(over.status, 400);
    assert.equal((await post({ Value: 'Bulk', Action: 'Add' })).json.error.code, 'MissingRequiredParameter');
    assert.equal((await post({ Value: 'Bulk', Action: 'Add', machineIds: ids })).json.error.code, 'InvalidRequestBody');
    assert.equal((await post({ Value: 'Bulk', Action: 'Add', MachineIds: ids }, readOnly)).status, 403);
    assert.match((await post({ Value: 'Bulk', Action: 'Add', MachineIds: ids }, readOnly)).json.error.message, /Machine\.ReadWrite\.All/);
    const removed = await post({ Value: 'Bulk', Action: 'Remove', MachineIds: ids });
    assert.ok(removed.json.value.every((m) => !m.machineTags.includes('Bulk')));
  });

  test('software and vulnerabilities: documented shapes, stable per device, 404 for an unknown device, 403 names the role', async () => {
    const sw = await get(`/api/machines/${fin.id}/software`);
    assert.equal(sw.status, 200);
    assert.match(sw.json['@odata.context'], /\$metadata#Software$/);
    assert.ok(sw.json.value.length >= 1);
    for (const s of sw.json.value) {
      assert.match(s.id, /^[^\s]+-_-[^\s]+$/, 'vendor-_-name ids');
      assert.equal(s.id, `${s.vendor}-_-${s.name}`);
    }
    assert.deepEqual((await get(`/api/machines/${fin.id}/software`)).json, sw.json, 'the same answer every time');
    const vulns = await get(`/api/machines/${fin.id}/vulnerabilities`);
    assert.equal(vulns.status, 200);
    assert.match(vulns.json['@odata.context'], /PublicVulnerabilityDto\)$/);
    assert.equal(vulns.json.value.length, sw.json.value.filter((s) => s.weaknesses > 0).length);
    for (const v of vulns.json.value) {
      assert.deepEqual(Object.keys(v).sort(), ['cvssV3', 'description', 'exploitInKit', 'exploitTypes', 'exploitUris', 'exploitVerified', 'exposedMachines', 'id', 'name', 'publicExploit', 'publishedOn', 'severity', 'updatedOn']);
      assert.ok(v.exposedMachines >= 1);
    }
    const linux = sim.state.machines.find((m) => m.osPlatform === 'Linux');
    if (linux) assert.ok((await get(`/api/machines/${linux.id}/software`)).json.value.every((s) => !/microsoft/.test(s.vendor)), 'Linux devices get Linux software');
    assert.equal((await get(`/api/machines/${'0'.repeat(40)}/software`)).status, 404);
    assert.equal((await get(`/api/machines/${'0'.repeat(40)}/vulnerabilities`)).status, 404);
    const d1 = await get(`/api/machines/${fin.id}/software`, readOnly);
    assert.equal(d1.status, 403);
    assert.match(d1.json.error.message, /Software\.Read\.All/);
    const d2 = await get(`/api/machines/${fin.id}/vulnerabilities`, readOnly);
    assert.equal(d2.status, 403);
    assert.match(d2.json.error.message, /Vulnerability\.Read\.All/);
  });

  test('list filters: documented properties work (health, risk, exposure, onboarding, tag, lastSeen); others are refused', async () => {
    const filter = (f) => get(`/api/machines?$filter=${encodeURIComponent(f)}&$top=100`);
    const high = await filter("riskScore eq 'High' and healthStatus eq 'Active'");
    assert.deepEqual(high.json?.value?.map((m) => m.id).sort() ?? [], sim.state.machines.filter((m) => m.riskScore === 'High' && m.healthStatus === 'Active').map((m) => m.id).sort());
    const exposure = await filter("(exposureLevel eq 'Medium' or exposureLevel eq 'High')");
    assert.ok(exposure.status === 200 || exposure.status === 404);
    assert.equal((await filter("onboardingStatus eq 'Onboarded'")).status, 200);
    const since = iso(Date.now() - 7 * 86_400_000);
    const recent = await filter(`lastSeen ge ${since}`);
    assert.deepEqual(recent.json.value.map((m) => m.id).sort(), sim.state.machines.filter((m) => Date.parse(m.lastSeen) >= Date.parse(since)).map((m) => m.id).sort());
    const refused = await filter("osVersion eq '10'");
    assert.equal(refused.status, 400);
    assert.equal(refused.json.error.code, 'ODataError');
  });
});
