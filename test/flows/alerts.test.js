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
    const msg = await run({ severity: 'High', status: 'New,InProgress' });
    assert.equal(msg.topic, 'keep');
    assert.ok(Array.isArray(msg.payload));
    const expected = sim.state.alerts.filter((a) => a.severity === 'High' && ['New', 'InProgress'].includes(a.status));
    assert.ok(expected.length > 0, 'the seed has matching alerts');
    assert.equal(msg.payload.length, expected.length);
    assert.ok(msg.payload.every((a) => a.severity === 'High' && ['New', 'InProgress'].includes(a.status)));
    assert.equal(msg.mde.count, expected.length);
    assert.match(msg.mde.filter, /severity eq 'High'/);
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
