'use strict';
// mde-machines in a real Node-RED runtime against the simulator: each mode with the requests it
// sends, bad input refused before any request, unknown names, permissions and the tag write rails.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { useFlowSuite } = require('../helpers/flow-suite');
const { helper, nodes } = require('../helpers/node-red');
const { simulator, configNode, secretCredentials, apiRequests, sleep, APPS } = require('../helpers/sim');

const tab = { id: 'tab', type: 'tab', label: 'Machines' };

function machinesFlow(sim, props = {}, cfg = {}) {
  return [
    tab,
    configNode(sim, cfg),
    { id: 'mm', type: 'mde-machines', z: 'tab', name: '', config: 'cfg', mode: 'get', machine: 'machineId', machineType: 'msg', machineBy: 'id', wires: [['out']], ...props },
    { id: 'out', type: 'helper', z: 'tab' },
    { id: 'catcher', type: 'catch', z: 'tab', scope: null, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}

const query = (r) => new URLSearchParams(r.query);
const sent = (sim) => apiRequests(sim);

describe('mde-machines node', () => {
  let sim;
  useFlowSuite();

  let received;
  async function load(props, cfg, credentials = secretCredentials()) {
    await helper.load([nodes.config, nodes.machines], machinesFlow(sim, props, cfg), credentials);
    // One listener per helper node for the whole flow: every message lands in one queue, in order.
    received = [];
    helper.getNode('out').on('input', (m) => received.push({ out: m }));
    helper.getNode('caught').on('input', (m) => received.push({ caught: m }));
  }

  /** Sends msg and returns the next message on the output or the one caught, whichever comes first. */
  async function run(msg) {
    const seen = received.length;
    helper.getNode('mm').receive(msg);
    const end = Date.now() + 8000;
    while (received.length === seen) {
      if (Date.now() > end) throw new Error('no message on out or caught within 8000 ms');
      await sleep(5);
    }
    return received[seen];
  }

  async function refused(msg, pattern) {
    const before = sent(sim).length;
    const r = await run(msg);
    assert.ok(r.caught, `refused: ${JSON.stringify(r.out && r.out.payload)}`);
    assert.match(r.caught.error.message, pattern);
    assert.equal(sent(sim).length - before, 0, 'no request was sent');
    return r.caught;
  }

  it('gets a machine by ID with one GET /api/machines/{id}', async () => {
    sim = await simulator();
    const m = sim.state.machines.find((x) => x.computerDnsName === 'ws-fin-0412.contoso-sim.local');
    await load();
    const { out } = await run({ machineId: m.id, topic: 'keep' });
    assert.equal(out.topic, 'keep');
    assert.equal(out.payload.id, m.id);
    assert.equal(out.payload.computerDnsName, m.computerDnsName);
    assert.equal('@odata.context' in out.payload, false);
    assert.deepEqual(out.mde, { machineId: m.id, computerDnsName: m.computerDnsName, request: 'get machine' });
    assert.deepEqual(sent(sim).map((r) => `${r.method} ${r.path}`), [`GET /api/machines/${m.id}`]);
  });

  it('gets a machine by exact name (host label or full DNS name), never a prefix; an unknown name is MachineNotFound', async () => {
    sim = await simulator();
    await load({ machineBy: 'name' });
    const { out } = await run({ machineId: 'ws-fin-0412' });
    assert.equal(out.payload.computerDnsName, 'ws-fin-0412.contoso-sim.local');
    const lookups = sent(sim);
    assert.equal(lookups.length, 1);
    assert.equal(lookups[0].path, '/api/machines');
    assert.equal(query(lookups[0]).get('$filter'), "startswith(computerDnsName,'ws-fin-0412')");

    const { out: full } = await run({ machineId: 'dc01.contoso-sim.local' });
    assert.equal(full.payload.computerDnsName, 'dc01.contoso-sim.local');

    const prefix = await run({ machineId: 'ws-fin' });
    assert.ok(prefix.caught, 'a prefix does not match');
    assert.equal(prefix.caught.error.message.includes('ws-fin-0412'), true, 'the near candidates are named');
    assert.equal(prefix.caught.mde.error.code, 'MachineNotFound');

    const unknown = await run({ machineId: 'no-such-host.contoso-sim.local' });
    assert.equal(unknown.caught.mde.error.code, 'MachineNotFound');
  });

  it('refuses a missing, mistyped or malformed machine before any request', async () => {
    sim = await simulator();
    await load();
    await refused({}, /No machine: set msg\.machineId/);
    await refused({ machineId: 42 }, /must be text, got the number 42/);
    await refused({ machineId: ['a'] }, /must be text/);
    await refused({ machineId: 'ws-fin-0412' }, /is not an MDE machine ID.*set "Identify by" to name/);
    assert.equal(sent(sim).length, 0);
  });

  it('refuses an unknown mode, filter value or tag action at deploy (red InvalidSetting) and every message, sending nothing', async () => {
    sim = await simulator();
    const cases = [
      [{ mode: 'frobnicate' }, 'mode', /"frobnicate"; allowed: "get" or "list"/],
      [{ mode: 'list', riskScore: 'high' }, 'filters', /Risk score "high" is not a value Defender uses\. Allowed: None, Informational, Low, Medium, High/],
      [{ mode: 'list', pageSize: 'lots' }, 'pageSize', /whole number from 1 to 10000/],
      [{ mode: 'tag', tagAction: 'Toggle', tagValue: 'x' }, 'tagAction', /"Add" or "Remove"/],
      [{ mode: 'get', machineBy: 'hostname' }, 'machineBy', /"id" or "name"/],
      [{ mode: 'tag', tagValue: '', tagValueType: 'str' }, 'tagValue', /The tag must be non-empty text/],
    ];
    for (const [props, setting, reason] of cases) {
      await load(props);
      const node = helper.getNode('mm');
      const red = node.status.args.map((a) => a[0]).find((st) => st && st.fill === 'red');
      assert.equal(red && red.text, 'InvalidSetting', `${setting}: red status at deploy`);
      const caught = await refused({ machineId: sim.state.machines[0].id }, reason);
      assert.equal(caught.error.code, 'InvalidSetting', setting);
      assert.ok(caught.error.message.includes(`"${setting}"`), caught.error.message);
      await helper.unload();
    }
    assert.equal(sent(sim).length, 0, 'nothing was sent');
    await load({ mode: 'list', riskScore: 'High, Medium', pageSize: '100', maxResults: 500 });
    assert.ok(!helper.getNode('mm').status.args.some((a) => a[0] && a[0].fill === 'red'), "the dialog's own values deploy cleanly");
  });

  it('lists machines with documented filters only, pages with $top/$skip and stops at max results', async () => {
    sim = await simulator({ machines: 40 });
    await load({ mode: 'list', healthStatus: 'Active', osPlatform: 'Windows11, Windows10', pageSize: 5, maxResults: 12 });
    const expected = sim.state.machines.filter((m) => m.healthStatus === 'Active' && ['Windows11', 'Windows10'].includes(m.osPlatform));
    assert.ok(expected.length > 12, `the seed has more than 12 matching machines (${expected.length})`);
    const { out } = await run({});
    assert.equal(out.payload.length, 12);
    assert.equal(out.mde.truncated, true);
    assert.equal(out.mde.pages, 3);
    assert.equal(out.mde.filter, "healthStatus eq 'Active' and (osPlatform eq 'Windows11' or osPlatform eq 'Windows10')");
    const pages = sent(sim).map((r) => [query(r).get('$top'), query(r).get('$skip')]);
    assert.deepEqual(pages, [['5', null], ['5', '5'], ['2', '10']]);
    assert.ok(sent(sim).every((r) => r.path === '/api/machines' && query(r).get('$filter') === out.mde.filter));
    assert.deepEqual(out.payload.map((m) => m.id), expected.slice(0, 12).map((m) => m.id));
  });

  it('takes per-message filters from msg.filter (tag, risk, last seen) and refuses wrong types and unknown properties', async () => {
    sim = await simulator();
    await load({ mode: 'list' });
    const vip = sim.state.machines.filter((m) => m.machineTags.includes('VIP'));
    const { out } = await run({ filter: { tag: 'VIP', lastSeenSince: '30d' } });
    assert.deepEqual(out.payload.map((m) => m.id).sort(), vip.filter((m) => Date.parse(m.lastSeen) >= Date.now() - 30 * 86_400_000).map((m) => m.id).sort());
    assert.match(out.mde.filter, /^machineTags\/any\(tag: tag eq 'VIP'\) and lastSeen ge \d{4}-\d\d-\d\dT/);

    await refused({ filter: { riskScore: 'High' } }, /Risk score must be a list of text values/);
    await refused({ filter: { riskScore: [3] } }, /Risk score must be a list of text values; it holds the number 3/);
    await refused({ filter: { computerDnsName: ['x'] } }, /unknown property "computerDnsName"/);
    await refused({ filter: { maxResults: '50' } }, /maxResults must be a whole number/);
    await refused({ filter: 'riskScore eq High' }, /msg\.filter must be an object/);
  });

  it("lists a machine's alerts from /api/machines/{id}/alerts, resolving a name first", async () => {
    sim = await simulator();
    const withAlerts = sim.state.machines.find((m) => sim.state.alerts.some((a) => a.machineId === m.id));
    const expected = sim.state.alerts.filter((a) => a.machineId === withAlerts.id).map((a) => a.id).sort();
    await load({ mode: 'alerts', machineBy: 'name' });
    const { out } = await run({ machineId: withAlerts.computerDnsName });
    assert.deepEqual(out.payload.map((a) => a.id).sort(), expected);
    assert.equal(out.mde.count, expected.length);
    const paths = sent(sim).map((r) => r.path);
    assert.deepEqual(paths, ['/api/machines', `/api/machines/${withAlerts.id}/alerts`]);
  });

  it('lists logged-on users; without User.Read.All the 403 names the role', async () => {
    sim = await simulator();
    const m = sim.state.machines.find((x) => (sim.state.machineInternal.get(x.id)?.loggedOnUsers ?? []).length > 0);
    const users = sim.state.machineInternal.get(m.id).loggedOnUsers;
    await load({ mode: 'logonusers' });
    const { out } = await run({ machineId: m.id });
    assert.equal(out.payload.length, users.length);
    assert.deepEqual(Object.keys(out.payload[0]).sort(), ['accountDomain', 'accountName', 'firstSeen', 'id', 'isDomainAdmin', 'isOnlyNetworkUser', 'lastSeen', 'logonTypes']);
    assert.equal(out.payload[0].accountName, users[0].accountName);
    assert.deepEqual(sent(sim).map((r) => r.path), [`/api/machines/${m.id}`, `/api/machines/${m.id}/logonusers`]);

    await helper.unload();
    await load({ mode: 'logonusers' }, { clientId: APPS.readOnly.clientId }, secretCredentials(APPS.readOnly.secret));
    const r = await run({ machineId: m.id });
    assert.equal(r.caught.mde.error.status, 403);
    assert.match(r.caught.error.message, /User\.Read\.All/);
  });

  it('lists installed software and discovered vulnerabilities; each needs its own role (403 names it)', async () => {
    sim = await simulator();
    const m = sim.state.machines.find((x) => x.computerDnsName === 'ws-fin-0412.contoso-sim.local');
    await load({ mode: 'software' });
    const { out: software } = await run({ machineId: m.id });
    assert.ok(software.payload.length >= 1);
    assert.deepEqual(Object.keys(software.payload[0]).sort(), ['activeAlert', 'exposedMachines', 'id', 'impactScore', 'name', 'publicExploit', 'vendor', 'weaknesses']);
    assert.equal(software.mde.count, software.payload.length);
    await helper.unload();
    await load({ mode: 'vulnerabilities', machineBy: 'name' });
    const { out: vulns } = await run({ machineId: m.computerDnsName });
    const withWeaknesses = software.payload.filter((x) => x.weaknesses > 0).length;
    assert.equal(vulns.payload.length, withWeaknesses, 'one CVE per vulnerable product in the seed');
    assert.ok(vulns.payload.every((v) => /^CVE-\d{4}-\d+$/.test(v.id) && typeof v.cvssV3 === 'number'));
    const paths = sent(sim).map((r) => r.path);
    assert.deepEqual(paths, [`/api/machines/${m.id}`, `/api/machines/${m.id}/software`, '/api/machines', `/api/machines/${m.id}/vulnerabilities`]);

    for (const [mode, role] of [['software', 'Software.Read.All'], ['vulnerabilities', 'Vulnerability.Read.All']]) {
      await helper.unload();
      await load({ mode }, { clientId: APPS.readOnly.clientId }, secretCredentials(APPS.readOnly.secret));
      const r = await run({ machineId: m.id });
      assert.equal(r.caught.mde.error.status, 403, mode);
      assert.ok(r.caught.error.message.includes(role), r.caught.error.message);
    }
  });

  it('finds machines by internal IP at a time with the documented findbyip path; refuses a bad IP or a time outside 30 days unsent', async () => {
    sim = await simulator();
    const fin = sim.state.machines.find((m) => m.computerDnsName === 'ws-fin-0412.contoso-sim.local');
    await load({ mode: 'findbyip', ip: 'ip', ipType: 'msg', timestamp: 'at', timestampType: 'msg' });
    const at = new Date(Date.now() - 3600_000);
    const { out } = await run({ ip: fin.lastIpAddress, at: at.toISOString() });
    assert.deepEqual(out.payload.map((m) => m.id), [fin.id]);
    const [req] = sent(sim);
    const stamp = at.toISOString().replace(/\.000Z$/, 'Z');
    assert.equal(req.path, `/api/machines/findbyip(ip='${fin.lastIpAddress}',timestamp=${stamp})`);
    assert.equal(out.mde.timestamp, at.toISOString());

    await refused({ ip: '10.0.0.999', at: at.toISOString() }, /IPv4 or IPv6 address/);
    await refused({ ip: "10.0.0.1') or (1 eq 1", at: at.toISOString() }, /IPv4 or IPv6 address/);
    await refused({ ip: 167772161, at: at.toISOString() }, /IPv4 or IPv6 address as text, .*got the number/);
    await refused({ ip: fin.lastIpAddress, at: new Date(Date.now() - 31 * 86_400_000).toISOString() }, /more than 30 days ago/);
    await refused({ ip: fin.lastIpAddress, at: new Date(Date.now() + 3600_000).toISOString() }, /in the future/);
    await refused({ ip: fin.lastIpAddress, at: 'yesterday' }, /ISO date-time/);
    await refused({ ip: fin.lastIpAddress }, /No time: set msg\.at/);
  });

  it('findbyip defaults to the current time', async () => {
    sim = await simulator();
    const fin = sim.state.machines.find((m) => m.computerDnsName === 'ws-fin-0412.contoso-sim.local');
    await load({ mode: 'findbyip' });
    const before = Date.now();
    const { out } = await run({ ip: fin.lastIpAddress });
    assert.deepEqual(out.payload.map((m) => m.id), [fin.id]);
    const t = Date.parse(out.mde.timestamp);
    assert.ok(t >= before - 1000 && t <= Date.now() + 1000);
  });

  it('adds and removes a device tag with POST /tags {Value, Action}; a dry run sends nothing', async () => {
    sim = await simulator();
    const m = sim.state.machines.find((x) => x.computerDnsName === 'ws-fin-0412.contoso-sim.local');
    await load({ mode: 'tag', machineBy: 'name', tagAction: 'Add', tagValue: 'tag', tagValueType: 'msg' });
    const { out } = await run({ machineId: 'ws-fin-0412', tag: 'Quarantine-Review' });
    assert.ok(out.payload.machineTags.includes('Quarantine-Review'));
    assert.ok(m.machineTags.includes('Quarantine-Review'), 'the simulator has the tag');
    assert.deepEqual(out.mde, { machineId: m.id, computerDnsName: m.computerDnsName, request: 'tag machine', tag: 'Quarantine-Review', tagAction: 'Add', dryRun: false });
    assert.deepEqual(sent(sim).filter((r) => r.method === 'POST').map((r) => r.path), [`/api/machines/${m.id}/tags`]);
    await refused({ machineId: 'ws-fin-0412', tag: 7 }, /The tag must be non-empty text, got the number 7/);
    await refused({ machineId: 'ws-fin-0412', tag: 'a\nb' }, /control character/);
    await refused({ machineId: 'ws-fin-0412' }, /No tag: set msg\.tag/);

    await helper.unload();
    await load({ mode: 'tag', tagAction: 'Remove', tagValue: 'Quarantine-Review', tagValueType: 'str', dryRun: true });
    const posts = () => sent(sim).filter((r) => r.method === 'POST').length;
    const before = posts();
    const { out: dry } = await run({ machineId: m.id });
    assert.equal(posts(), before, 'nothing was posted');
    assert.equal(dry.mde.dryRun, true);
    assert.deepEqual(dry.mde.wouldSend, { method: 'POST', url: `${sim.url}/api/machines/${m.id}/tags`, body: { Value: 'Quarantine-Review', Action: 'Remove' } });
    assert.ok(m.machineTags.includes('Quarantine-Review'), 'the tag is still there');

    await helper.unload();
    await load({ mode: 'tag', tagAction: 'Remove', tagValue: 'Quarantine-Review', tagValueType: 'str' });
    const { out: removed } = await run({ machineId: m.id });
    assert.equal(removed.payload.machineTags.includes('Quarantine-Review'), false);
  });

  it('tags a list of machines in one AddOrRemoveTagForMultipleMachines request; names resolve first; bad lists are refused unsent', async () => {
    sim = await simulator();
    const picked = sim.state.machines.filter((m) => m.osPlatform.startsWith('Windows')).slice(0, 3);
    await load({ mode: 'tag', tagAction: 'Add', tagValue: 'Incident-42', tagValueType: 'str' });
    const { out } = await run({ machineId: picked.map((m) => m.id) });
    assert.deepEqual(out.payload.map((m) => m.id).sort(), picked.map((m) => m.id).sort());
    assert.ok(picked.every((m) => m.machineTags.includes('Incident-42')), 'the simulator tagged all three');
    assert.deepEqual(sent(sim).map((r) => `${r.method} ${r.path}`), ['POST /api/machines/AddOrRemoveTagForMultipleMachines']);
    assert.deepEqual(out.mde.machineIds, picked.map((m) => m.id));
    assert.equal(out.mde.count, 3);

    await refused({ machineId: [] }, /machine list \(msg\.machineId\) is empty/);
    await refused({ machineId: [picked[0].id, 42] }, /item 1 is the number 42/);
    await refused({ machineId: [picked[0].id, 'not-an-id'] }, /Machine ID must be the 40-character hexadecimal device ID/);
    const tooMany = Array.from({ length: 501 }, (_, i) => i.toString(16).padStart(40, '0'));
    await refused({ machineId: tooMany }, /501 machines were given; Defender tags at most 500 per request/);

    await helper.unload();
    await load({ mode: 'tag', machineBy: 'name', tagAction: 'Remove', tagValue: 'Incident-42', tagValueType: 'str', dryRun: true });
    const before = sent(sim).filter((r) => r.method === 'POST').length;
    const { out: dry } = await run({ machineId: picked.map((m) => m.computerDnsName) });
    assert.equal(sent(sim).filter((r) => r.method === 'POST').length, before, 'dry run posts nothing');
    assert.deepEqual(dry.mde.wouldSend.body, { Value: 'Incident-42', Action: 'Remove', MachineIds: picked.map((m) => m.id) });
    assert.ok(picked.every((m) => m.machineTags.includes('Incident-42')));
    await refused({ machineId: Array.from({ length: 501 }, (_, i) => `host-${i}`) }, /501 machines were given; Defender tags at most 500 per request/);
    await refused({ machineId: ['ws fin 0412'] }, /Device name "ws fin 0412" is not valid/);
    const unknown = await run({ machineId: [picked[0].computerDnsName, 'no-such-host'] });
    assert.equal(unknown.caught.mde.error.code, 'MachineNotFound');
  });

  it('never resends a tag request after a 5xx, and needs Machine.ReadWrite.All (403 names it)', async () => {
    sim = await simulator();
    const m = sim.state.machines.find((x) => x.computerDnsName === 'ws-fin-0412.contoso-sim.local');
    await load({ mode: 'tag', tagAction: 'Add', tagValue: 'Reviewed', tagValueType: 'str' });
    sim.setFaults({ failNext: [{ status: 503, pathIncludes: '/tags', count: 1 }] });
    const r = await run({ machineId: m.id });
    assert.ok(r.caught, 'the failure reaches Catch');
    assert.equal(r.caught.mde.error.status, 503);
    await sleep(50);
    assert.equal(sent(sim).filter((x) => x.method === 'POST').length, 1, 'sent once, not retried');

    await helper.unload();
    await load({ mode: 'tag', tagAction: 'Add', tagValue: 'Reviewed', tagValueType: 'str' }, { clientId: APPS.readOnly.clientId }, secretCredentials(APPS.readOnly.secret));
    const denied = await run({ machineId: m.id });
    assert.equal(denied.caught.mde.error.status, 403);
    assert.match(denied.caught.error.message, /Machine\.ReadWrite\.All/);
    assert.equal(m.machineTags.includes('Reviewed'), false);
  });
});
