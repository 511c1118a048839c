'use strict';
// mde-alerts in a real Node-RED runtime against the simulator.
const { describe, it } = require('node:test');
const { useFlowSuite } = require('../helpers/flow-suite');
const assert = require('node:assert/strict');
const { helper, nodes, useFreshStateDir } = require('../helpers/node-red');
const { simulator, configNode, secretCredentials, apiRequests, nextMessage, collect } = require('../helpers/sim');

const tab = { id: 'tab', type: 'tab', label: 'alerts tests' };

function alertsFlow(sim, props = {}, cfg = {}) {
  return [
    tab,
    configNode(sim, cfg),
    { id: 'alerts', type: 'mde-alerts', z: 'tab', name: '', config: 'cfg', mode: 'list', timeField: 'alertCreationTime', since: '', sinceType: 'str', maxResults: 1000, pageSize: 10000, outputMode: 'array', wires: [['out']], ...props },
    { id: 'out', type: 'helper', z: 'tab' },
    { id: 'catcher', type: 'catch', z: 'tab', scope: null, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}

describe('mde-alerts node', () => {
  let sim;
  useFlowSuite();

  async function run(props, msg = {}, { cfg, expectError = false } = {}) {
    useFreshStateDir();
    await helper.load([nodes.config, nodes.alerts], alertsFlow(sim, props, cfg), secretCredentials());
    const target = helper.getNode(expectError ? 'caught' : 'out');
    const got = nextMessage(target, 20000);
    helper.getNode('alerts').receive({ payload: 'in', topic: 'keep', ...msg });
    return got;
  }

  it('lists alerts filtered by severity and status, passing the rest of msg through', async () => {
    sim = await simulator({ alerts: 120 });
    const msg = await run({ severity: 'High', statusFilter: 'New,InProgress' });
    assert.equal(msg.topic, 'keep');
    assert.ok(Array.isArray(msg.payload));
    const expected = sim.state.alerts.filter((a) => a.severity === 'High' && ['New', 'InProgress'].includes(a.status));
    assert.ok(expected.length > 0, 'the seed has matching alerts');
    assert.equal(msg.payload.length, expected.length);
    assert.ok(msg.payload.every((a) => a.severity === 'High' && ['New', 'InProgress'].includes(a.status)));
    assert.equal(msg.mde.count, expected.length);
    assert.match(msg.mde.filter, /severity eq 'High'/);
  });

  // The filter was called `status`; the editor keeps a node's status display in node.status and
  // deployed { fill, shape, text } in its place once the node had shown a status.
  it('a flow saved before the rename with status as text still filters on it', async () => {
    sim = await simulator({ alerts: 120 });
    const msg = await run({ status: 'Resolved' });
    const expected = sim.state.alerts.filter((a) => a.status === 'Resolved');
    assert.ok(expected.length > 0);
    assert.deepEqual(msg.payload.map((a) => a.id).sort(), expected.map((a) => a.id).sort());
    assert.equal(msg.mde.filter, "status eq 'Resolved'");
  });

  it('a status display left by the editor is refused at deploy and per message, never taken as "no filter"', async () => {
    sim = await simulator({ alerts: 20 });
    useFreshStateDir();
    await helper.load([nodes.config, nodes.alerts], alertsFlow(sim, { status: { fill: 'green', shape: 'dot', text: '12 alerts' } }), secretCredentials());
    const node = helper.getNode('alerts');
    assert.deepEqual(node.status.args.map((a) => a[0]).at(-1), { fill: 'red', shape: 'ring', text: 'InvalidSetting' });
    assert.ok(node.error.args.some((a) => /older version/.test(String(a[0]))), 'the reason is logged at deploy');
    const caught = nextMessage(helper.getNode('caught'));
    node.receive({ topic: 'keep' });
    const msg = await caught;
    assert.equal(msg.error.code, 'InvalidSetting');
    assert.match(msg.error.message, /called "status"/);
    assert.match(msg.error.message, /an object with the keys "fill", "shape", "text"/);
    assert.match(msg.error.message, /choose the statuses again/);
    assert.equal(apiRequests(sim).length, 0, 'nothing was sent');
  });

  it('statusFilter wins over a leftover status; one that is not text is refused with its name', async () => {
    sim = await simulator({ alerts: 60 });
    const msg = await run({ statusFilter: 'New', status: { fill: 'green', shape: 'dot', text: '3 alerts' } });
    assert.ok(msg.payload.length > 0 && msg.payload.every((a) => a.status === 'New'));
    await helper.unload();
    const bad = await run({ statusFilter: ['New'] }, {}, { expectError: true });
    assert.equal(bad.error.code, 'InvalidSetting');
    assert.match(bad.error.message, /"statusFilter" must be text .*got an array of 1 item/);
  });

  it('takes filters from msg.filter over the dialog values', async () => {
    sim = await simulator({ alerts: 120 });
    const msg = await run({ severity: 'High' }, { filter: { severity: ['Low'] } });
    assert.ok(msg.payload.length > 0);
    assert.ok(msg.payload.every((a) => a.severity === 'Low'));
  });

  it('filters on a time window given as a duration', async () => {
    sim = await simulator({ alerts: 200 });
    const msg = await run({ since: '24h', sinceType: 'str' });
    const cutoff = Date.now() - 24 * 3600_000;
    const expected = sim.state.alerts.filter((a) => Date.parse(a.alertCreationTime) >= cutoff - 1000);
    assert.ok(msg.payload.length > 0 && msg.payload.length < sim.state.alerts.length);
    assert.ok(Math.abs(msg.payload.length - expected.length) <= 1);
    assert.ok(msg.payload.every((a) => Date.parse(a.alertCreationTime) >= cutoff - 60_000));
  });

  it('pages across 25,000 alerts with $top/$skip', async () => {
    sim = await simulator({ alerts: 25_000 });
    const msg = await run({ maxResults: 100000, pageSize: 10000 });
    assert.equal(msg.payload.length, 25_000);
    assert.equal(msg.mde.pages, 3);
    assert.equal(new Set(msg.payload.map((a) => a.id)).size, 25_000, 'no alert twice, none missing');
    const pages = apiRequests(sim, (r) => /\/alerts$/.test(r.path));
    assert.equal(pages.length, 3);
  });

  it('stops at the total limit and says the list was truncated', async () => {
    sim = await simulator({ alerts: 300 });
    const msg = await run({ maxResults: 120, pageSize: 50 });
    assert.equal(msg.payload.length, 120);
    assert.equal(msg.mde.truncated, true);
  });

  it('emits one message per alert with msg.parts in split mode', async () => {
    sim = await simulator({ alerts: 40 });
    useFreshStateDir();
    await helper.load([nodes.config, nodes.alerts], alertsFlow(sim, { outputMode: 'split', severity: '' }), secretCredentials());
    const all = collect(helper.getNode('out'), 40);
    helper.getNode('alerts').receive({ topic: 'keep' });
    const msgs = await all;
    assert.equal(new Set(msgs.map((m) => m.parts.id)).size, 1);
    assert.deepEqual(msgs.map((m) => m.parts.index).sort((a, b) => a - b), [...Array(40).keys()]);
    assert.ok(msgs.every((m) => m.parts.count === 40 && m.topic === 'keep' && typeof m.payload.id === 'string'));
  });

  it('gets one alert by ID with its related machine and evidence', async () => {
    sim = await simulator();
    const alert = sim.state.alerts.find((a) => a.machineId);
    const msg = await run({ mode: 'get', alertId: 'alertId', alertIdType: 'msg', related: 'machine', expandEvidence: true }, { alertId: alert.id });
    assert.equal(msg.payload.id, alert.id);
    assert.ok(Array.isArray(msg.payload.evidence) && msg.payload.evidence.length > 0);
    assert.equal(msg.mde.related.machine.id, alert.machineId);
  });

  // Hostile or mistyped inputs, as an attacker or an unlucky flow author would send them. Each
  // must reach Catch with the property named and what came described, before any request.
  const HOSTILE_FILTERS = [
    ['severity as a number', { filter: { severity: 42 } }, [/msg\.filter\.severity/, /the number 42/, /High/]],
    ['severity as an object', { filter: { severity: { High: true } } }, [/msg\.filter\.severity/, /an object with the key "High"/]],
    ['severity as a boolean', { filter: { severity: true } }, [/msg\.filter\.severity/, /the boolean true/]],
    ['severity null', { filter: { severity: null } }, [/msg\.filter\.severity/, /null/]],
    ['a non-text item in a list', { filter: { severity: ['High', 7] } }, [/msg\.filter\.severity\[1\]/, /the number 7/]],
    ['a JSON "__proto__" key', { filter: JSON.parse('{"__proto__": ["High"]}') }, [/msg\.filter/, /"__proto__"/]],
    ['an object with a foreign prototype', { filter: Object.create(['High']) }, [/msg\.filter/, /plain object/]],
    ['msg.filter as a boolean', { filter: true }, [/msg\.filter/, /the boolean true/]],
    ['msg.filter as an array', { filter: ['High'] }, [/msg\.filter/, /an array of 1 item/]],
    ['a misspelt key', { filter: { severty: ['High'] } }, [/msg\.filter/, /"severty"/, /did you mean "severity"/]],
    ['pageSize NaN', { filter: { pageSize: NaN } }, [/msg\.filter\.pageSize/, /NaN/, /1 to 10000/]],
    ['pageSize Infinity', { filter: { pageSize: Infinity } }, [/msg\.filter\.pageSize/, /Infinity/]],
    ['pageSize with SQL', { filter: { pageSize: '10; DROP' } }, [/msg\.filter\.pageSize/, /"10; DROP"/]],
    ['pageSize true', { filter: { pageSize: true } }, [/msg\.filter\.pageSize/, /the boolean true/]],
    ['pageSize 0', { filter: { pageSize: 0 } }, [/msg\.filter\.pageSize/, /the number 0/]],
    ['maxResults "all"', { filter: { maxResults: 'all' } }, [/msg\.filter\.maxResults/, /"all"/, /1 to 100000/]],
    ['incidentId true', { filter: { incidentId: true } }, [/msg\.filter\.incidentId/, /the boolean true/]],
    ['incidentId negative', { filter: { incidentId: -4 } }, [/msg\.filter\.incidentId/, /-4/]],
    ['assignedTo as an object', { filter: { assignedTo: { upn: 'a@x' } } }, [/msg\.filter\.assignedTo/, /an object with the key "upn"/]],
    ['assignedTo as an array', { filter: { assignedTo: ['a@x', 'b@x'] } }, [/msg\.filter\.assignedTo/, /an array of 2 items/]],
    ['rawFilter as an object', { filter: { rawFilter: { status: 'New' } } }, [/msg\.filter\.rawFilter/, /an object with the key "status"/]],
    ['a 1 MB rawFilter', { filter: { rawFilter: `status eq '${'x'.repeat(1024 * 1024)}'` } }, [/msg\.filter\.rawFilter/, /at most 4000/]],
    ['an impossible date', { filter: { since: '2026-02-30' } }, [/msg\.filter\.since/, /"2026-02-30"/, /28 days/]],
    ['an impossible time', { filter: { until: '2026-01-31T24:10:00Z' } }, [/msg\.filter\.until/, /time of day/]],
    ['since as a boolean', { filter: { since: true } }, [/msg\.filter\.since/, /the boolean true/]],
    ['epoch seconds for since', { filter: { since: 1767225600 } }, [/msg\.filter\.since/, /milliseconds/]],
    ['an unknown time field', { filter: { timeField: 'firstEventTime' } }, [/msg\.filter\.timeField/, /"firstEventTime"/, /lastUpdateTime/]],
    ['a malformed device ID', { filter: { machineId: "x' or 1 eq 1" } }, [/msg\.filter\.machineId/, /40-character/]],
    ['expandEvidence as text', { filter: { expandEvidence: 'yes' } }, [/msg\.filter\.expandEvidence/, /true or false/]],
    ['an order with a statement', { filter: { orderBy: 'severity; drop' } }, [/msg\.filter\.orderBy/, /asc or desc/]],
    ['a filter too long for a URL', { filter: { detectionSource: Array.from({ length: 40 }, (_, i) => `Source${i}-${'y'.repeat(200)}`) } }, [/too long/, /URL/]],
  ];

  for (const [name, msgProps, patterns] of HOSTILE_FILTERS) {
    it(`refuses ${name} at Catch, naming the property, with no request sent`, async () => {
      sim = await simulator({ alerts: 20 });
      const msg = await run({ severity: 'High' }, msgProps, { expectError: true });
      for (const re of patterns) assert.match(msg.error.message, re);
      assert.doesNotMatch(msg.error.message, /\[object Object\]/);
      assert.ok(msg.error.message.length < 600, 'the message stays short');
      assert.equal(msg.topic, 'keep', 'the message itself reaches Catch');
      assert.equal(apiRequests(sim, (r) => /\/alerts$/.test(r.path)).length, 0, 'nothing was sent to /api/alerts');
    });
  }

  const BAD_SETTINGS = [
    ['an unknown mode', { mode: 'List' }, /"mode".*"List"/],
    ['an unknown output mode', { outputMode: 'lines' }, /"outputMode".*"lines"/],
    ['an unknown time field', { timeField: 'firstEventTime' }, /"timeField".*"firstEventTime"/],
    ['an unknown related entity', { related: 'everything' }, /"related".*"everything"/],
    ['a page size that is not a number', { pageSize: 'abc' }, /"pageSize".*"abc"/],
    ['an evidence flag that is text', { expandEvidence: 'true' }, /"expandEvidence".*"true"/],
    ['an impossible since date', { since: '2026-04-31', sinceType: 'str' }, /"since".*30 days/],
    ['an unknown since type', { since: 'x', sinceType: 'jsonata' }, /"sinceType".*"jsonata"/],
  ];

  for (const [name, props, re] of BAD_SETTINGS) {
    it(`shows ${name} at deploy (red status) and refuses every message, never falling back to a default`, async () => {
      sim = await simulator({ alerts: 20 });
      useFreshStateDir();
      await helper.load([nodes.config, nodes.alerts], alertsFlow(sim, props), secretCredentials());
      const statuses = helper.getNode('alerts').status.args.map((a) => a[0]);
      assert.deepEqual(statuses.at(-1), { fill: 'red', shape: 'ring', text: 'InvalidSetting' });
      assert.ok(helper.getNode('alerts').error.args.some((a) => re.test(String(a[0]))), 'the reason is logged at deploy');
      const caught = nextMessage(helper.getNode('caught'));
      helper.getNode('alerts').receive({ payload: 'in' });
      const msg = await caught;
      assert.equal(msg.error.code, 'InvalidSetting');
      assert.match(msg.error.message, re);
      assert.equal(apiRequests(sim).length, 0, 'nothing was sent');
    });
  }

  it('lists one device\'s alerts from /api/machines/{id}/alerts, with the other filters applied', async () => {
    sim = await simulator({ alerts: 300 });
    const counts = new Map();
    for (const a of sim.state.alerts) counts.set(a.machineId, (counts.get(a.machineId) ?? 0) + 1);
    const [machineId] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0];
    const expected = sim.state.alerts.filter((a) => a.machineId === machineId && a.status !== 'Resolved');
    assert.ok(expected.length > 0);
    const msg = await run({ machineId: machineId.toUpperCase(), statusFilter: 'New,InProgress,Unknown' });
    assert.deepEqual(msg.payload.map((a) => a.id).sort(), expected.map((a) => a.id).sort());
    const sent = apiRequests(sim, (r) => /alerts$/.test(r.path));
    assert.deepEqual(sent.map((r) => r.path), [`/api/machines/${machineId}/alerts`]);
    assert.doesNotMatch(decodeURIComponent(sent[0].query), /machineId/, 'machineId is not an /api/alerts filter');
    assert.equal(msg.mde.path, `/api/machines/${machineId}/alerts`);
  });

  it('reads the time window from msg when told to, and refuses a message that lacks it instead of listing everything', async () => {
    sim = await simulator({ alerts: 200 });
    const ok = await run({ since: 'window', sinceType: 'msg' }, { window: '24h' });
    assert.ok(ok.payload.length > 0 && ok.payload.length < 200);
    await helper.unload();
    const msg = await run({ since: 'window', sinceType: 'msg' }, {}, { expectError: true });
    assert.match(msg.error.message, /msg\.window, which is not set/);
    assert.equal(apiRequests(sim, (r) => /\/alerts$/.test(r.path)).length, 1, 'only the first message was sent');
    await helper.unload();
    const bad = await run({ since: 'window', sinceType: 'msg' }, { window: { hours: 24 } }, { expectError: true });
    assert.match(bad.error.message, /since \(read from msg\.window\) must be .* got an object with the key "hours"/);
  });

  it('takes an empty value in msg.filter as "no condition", overriding the dialog', async () => {
    sim = await simulator({ alerts: 60 });
    const msg = await run({ severity: 'High' }, { filter: { severity: '' } });
    assert.equal(msg.payload.length, 60);
    assert.equal(msg.mde.filter, '');
  });

  // A hand-edited or imported flow can carry wrong types in the connection itself: the config
  // node must keep running and every node must say what is wrong with it, not "no connection".
  const BAD_CONNECTIONS = [
    ['a numeric tenant ID', { tenantId: 12345 }, /The Defender connection is not valid: The tenant ID must be text \(a GUID or a verified domain\), got the number 12345\./],
    ['a tenant ID object', { tenantId: { id: 'x' } }, /tenant ID must be text .* got an object with the key "id"/],
    ['a numeric client ID', { clientId: 42 }, /client ID must be text .* got the number 42/],
    ['an unknown sign-in method', { authMethod: 'cert' }, /authentication method must be "secret" or "certificate", got "cert"/],
    ['a numeric cloud', { cloud: 3 }, /cloud must be one of .* got the number 3/],
    ['an http:// MDE audience', { mdeAudience: 'http://api-gov.securitycenter.microsoft.us' }, /MDE token audience must be an https URL/],
  ];

  for (const [name, cfg, re] of BAD_CONNECTIONS) {
    it(`says what is wrong with a connection that has ${name}, at deploy and per message, sending nothing`, async () => {
      sim = await simulator({ alerts: 10 });
      useFreshStateDir();
      await helper.load([nodes.config, nodes.alerts], alertsFlow(sim, {}, cfg), secretCredentials());
      const config = helper.getNode('cfg');
      assert.ok(config && typeof config.connection === 'function', 'the config node is running');
      assert.deepEqual(helper.getNode('alerts').status.args.map((a) => a[0]).at(-1), { fill: 'red', shape: 'ring', text: 'InvalidInput' });
      assert.ok(helper.getNode('alerts').warn.args.some((a) => re.test(String(a[0]))), 'the reason is logged at deploy');
      const caught = nextMessage(helper.getNode('caught'));
      helper.getNode('alerts').receive({ payload: 'in' });
      const msg = await caught;
      assert.match(msg.error.message, re);
      assert.doesNotMatch(msg.error.message, /No Defender connection/);
      assert.notEqual(msg.error.code, 'NoConfig');
      assert.equal(sim.requests.filter((r) => r.kind === 'token' || r.kind === 'api').length, 0, 'nothing was sent');
    });
  }

  it('still says "no connection" when the config node really is missing', async () => {
    sim = await simulator({ alerts: 10 });
    const msg = await run({ config: 'nope' }, {}, { expectError: true });
    assert.equal(msg.error.code, 'NoConfig');
    assert.match(msg.error.message, /No Defender connection/);
  });

  it('rejects an unknown severity before any request is sent', async () => {
    sim = await simulator();
    const msg = await run({ severity: 'Critical' }, {}, { expectError: true });
    assert.match(msg.error.message, /Critical/);
    assert.match(msg.error.message, /High/);
    assert.equal(apiRequests(sim).length, 0);
  });

  it('rejects a malformed alert ID before any request is sent', async () => {
    sim = await simulator();
    const msg = await run({ mode: 'get', alertId: 'alertId', alertIdType: 'msg' }, { alertId: "x' or 1 eq 1" }, { expectError: true });
    assert.equal(msg.error.code, 'InvalidInput');
    assert.equal(apiRequests(sim).length, 0);
  });

  it('quotes values so a quote in a filter value cannot break the OData filter', async () => {
    sim = await simulator();
    const target = sim.state.alerts[0];
    target.assignedTo = "o'brien@contoso-sim.com";
    const msg = await run({ assignedTo: "o'brien@contoso-sim.com" });
    assert.deepEqual(msg.payload.map((a) => a.id), [target.id]);
    const hostile = await (async () => {
      await helper.unload();
      return run({ assignedTo: "x' or severity ne 'nothing" });
    })();
    assert.equal(hostile.payload.length, 0, 'the hostile value stayed a literal');
  });

  it('absorbs a storm of 429s: every message is eventually answered, none fails', async () => {
    // The simulator allows 4 calls per second while the client's governor expects MDE's
    // 100 per minute, so a burst of 12 meets real 429s with Retry-After.
    sim = await simulator({ rateLimits: { alerts: [{ limit: 4, windowMs: 1000 }] } });
    useFreshStateDir();
    await helper.load([nodes.config, nodes.alerts], alertsFlow(sim, { maxResults: 5 }), secretCredentials());
    const all = collect(helper.getNode('out'), 12, 30000);
    let failures = 0;
    helper.getNode('caught').on('input', () => failures++);
    for (let i = 0; i < 12; i++) helper.getNode('alerts').receive({ payload: i });
    const msgs = await all;
    assert.equal(msgs.length, 12);
    assert.deepEqual(msgs.map((m) => m.payload.length), Array(12).fill(5));
    assert.equal(failures, 0);
    const throttled = apiRequests(sim, (r) => r.status === 429).length;
    assert.ok(throttled >= 1, 'the simulator really answered 429');
  });

  it('queues a burst inside the budget the governor is given, without a single 429', async () => {
    sim = await simulator({ rateLimits: { alerts: [{ limit: 4, windowMs: 1000 }] } });
    const dir = useFreshStateDir();
    helper.settings({ mdeConfigStateDir: dir, mdeConfigRateLimits: { alerts: [{ limit: 4, windowMs: 1000 }] } });
    await helper.load([nodes.config, nodes.alerts], alertsFlow(sim, { maxResults: 5 }), secretCredentials());
    const all = collect(helper.getNode('out'), 10, 30000);
    for (let i = 0; i < 10; i++) helper.getNode('alerts').receive({ payload: i });
    assert.equal((await all).length, 10);
    assert.equal(apiRequests(sim, (r) => r.status === 429).length, 0);
    assert.equal(apiRequests(sim, (r) => r.status === 200).length, 10);
  });

  it('routes an MDE 403 (missing role) to Catch with the role named', async () => {
    sim = await simulator();
    const { APPS } = require('../helpers/sim');
    useFreshStateDir();
    await helper.load([nodes.config, nodes.alerts], alertsFlow(sim, {}, { clientId: APPS.noRoles.clientId }), secretCredentials(APPS.noRoles.secret));
    const caught = nextMessage(helper.getNode('caught'));
    helper.getNode('alerts').receive({});
    const msg = await caught;
    assert.equal(msg.error.code, 'Forbidden');
    assert.match(msg.error.message, /Alert\.Read\.All/);
    assert.equal(msg.mde.error.status, 403);
  });
});
