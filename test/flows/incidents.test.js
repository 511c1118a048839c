'use strict';
// mde-incidents in a real Node-RED runtime against the simulator.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { useFlowSuite } = require('../helpers/flow-suite');
const { helper, nodes, useFreshStateDir } = require('../helpers/node-red');
const { simulator, configNode, secretCredentials, nextMessage, collect, APPS } = require('../helpers/sim');

const tab = { id: 'tab', type: 'tab', label: 'incidents tests' };

function flow(sim, props = {}, cfg = {}) {
  return [
    tab,
    configNode(sim, cfg),
    { id: 'inc', type: 'mde-incidents', z: 'tab', name: '', config: 'cfg', mode: 'list', incidentId: 'incidentId', incidentIdType: 'msg', expandAlerts: true, severity: '', statusFilter: '', classification: '', determination: '', assignedTo: '', timeField: 'createdDateTime', since: '', sinceType: 'str', maxResults: 1000, pageSize: 20, outputMode: 'array', wires: [['out']], ...props },
    { id: 'out', type: 'helper', z: 'tab' },
    { id: 'catcher', type: 'catch', z: 'tab', scope: null, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}

const graphCalls = (sim, pred = () => true) => sim.requests.filter((r) => r.kind === 'graph' && pred(r));

describe('mde-incidents node', () => {
  let sim;
  useFlowSuite();

  async function run(props, msg = {}, { cfg, expectError = false, secret } = {}) {
    useFreshStateDir();
    await helper.load([nodes.config, nodes.incidents], flow(sim, props, cfg), secretCredentials(secret));
    const got = nextMessage(helper.getNode(expectError ? 'caught' : 'out'), 20000);
    helper.getNode('inc').receive({ topic: 'keep', ...msg });
    return got;
  }

  it('lists incidents with their alerts, filtered, paging past the page size, msg passed through', async () => {
    sim = await simulator({ alerts: 150 });
    const msg = await run({ statusFilter: 'active', severity: 'high,medium', pageSize: 7 });
    assert.equal(msg.topic, 'keep');
    const expected = sim.state.incidents.filter((i) => i.status === 'active' && ['high', 'medium'].includes(i.severity));
    assert.ok(expected.length > 7, 'more than one page in the seed');
    assert.deepEqual(msg.payload.map((i) => i.id).sort(), expected.map((i) => i.id).sort());
    for (const i of msg.payload) assert.ok(i.alerts.length >= 1 && i.alerts.every((a) => a.incidentId === i.id));
    assert.equal(msg.mde.pages, Math.ceil(expected.length / 7));
    assert.equal(msg.mde.filter, "(severity eq 'high' or severity eq 'medium') and status eq 'active'");
  });

  it('msg.filter overrides the dialog; a wrong type is refused before any request', async () => {
    sim = await simulator({ alerts: 60 });
    const msg = await run({ statusFilter: 'active', expandAlerts: false }, { filter: { status: ['resolved'], since: '30d' } });
    assert.ok(msg.payload.length > 0);
    assert.ok(msg.payload.every((i) => i.status === 'resolved' && !('alerts' in i)));
    assert.match(msg.mde.filter, /status eq 'resolved' and createdDateTime ge \d{4}-/);
    await helper.unload();
    for (const [filter, message] of [
      [{ status: 'resolved' }, /Status must be a list/],
      [{ serviceSource: ['microsoftDefenderForEndpoint'] }, /unknown field "serviceSource"/],
      [{ since: 5 }, /Since must be a duration/],
      [{ expandAlerts: 'no' }, /expandAlerts must be true or false/],
      [{ maxResults: '10' }, /Maximum results must be a whole number/],
    ]) {
      sim.clearLog();
      const e = await run({}, { filter }, { expectError: true });
      assert.match(e.error.message, message, JSON.stringify(filter));
      assert.equal(graphCalls(sim).length, 0);
      await helper.unload();
    }
  });

  it('gets one incident with its alerts; a number is refused as an incident ID', async () => {
    sim = await simulator({ alerts: 60 });
    const multi = sim.state.incidents.find((i) => sim.state.alerts.filter((a) => a.incidentId === Number(i.id)).length > 1);
    const msg = await run({ mode: 'get' }, { incidentId: multi.id });
    assert.equal(msg.payload.id, multi.id);
    assert.ok(msg.payload.alerts.length > 1);
    assert.equal(msg.mde.alerts, msg.payload.alerts.length);
    await helper.unload();
    const e = await run({ mode: 'get' }, { incidentId: Number(multi.id) }, { expectError: true });
    assert.match(e.error.message, /Incident ID must be the incident's number as text/);
  });

  it('split mode sends one incident per message with msg.parts', async () => {
    sim = await simulator({ alerts: 40 });
    useFreshStateDir();
    await helper.load([nodes.config, nodes.incidents], flow(sim, { outputMode: 'split', expandAlerts: false }), secretCredentials());
    const n = sim.state.incidents.length;
    const all = collect(helper.getNode('out'), n, 20000);
    helper.getNode('inc').receive({ topic: 't' });
    const msgs = await all;
    assert.deepEqual(msgs.map((m) => m.parts.index), [...Array(n).keys()]);
    assert.ok(msgs.every((m) => m.parts.count === n && m.topic === 't' && typeof m.payload.id === 'string'));
  });

  // The filter was called `status`; the editor keeps a node's status display in node.status and
  // deployed { fill, shape, text } in its place once the node had shown a status.
  describe('the status filter, renamed statusFilter', () => {
    const legacy = (props) => flow(sim, props).map((n) => {
      if (n.id !== 'inc') return n;
      const { statusFilter, ...rest } = n;
      return { ...rest, ...props };
    });

    it('a flow saved before the rename with status as text still filters on it', async () => {
      sim = await simulator({ alerts: 60 });
      useFreshStateDir();
      await helper.load([nodes.config, nodes.incidents], legacy({ status: 'resolved' }), secretCredentials());
      const got = nextMessage(helper.getNode('out'), 20000);
      helper.getNode('inc').receive({});
      const msg = await got;
      assert.ok(msg.payload.length > 0 && msg.payload.every((i) => i.status === 'resolved'));
      assert.equal(msg.mde.filter, "status eq 'resolved'");
    });

    it('a status display left by the editor is refused, never taken as "no filter", before any request', async () => {
      sim = await simulator({ alerts: 20 });
      useFreshStateDir();
      await helper.load([nodes.config, nodes.incidents], legacy({ status: { fill: 'green', shape: 'dot', text: '3 incidents' } }), secretCredentials());
      const inc = helper.getNode('inc');
      assert.deepEqual(inc.status.args.map((x) => x[0]).at(-1), { fill: 'red', shape: 'ring', text: 'InvalidSetting' });
      const caught = nextMessage(helper.getNode('caught'));
      inc.receive({ topic: 'keep' });
      const e = await caught;
      assert.equal(e.error.code, 'InvalidSetting');
      assert.match(e.error.message, /called "status"/);
      assert.match(e.error.message, /choose the statuses again/);
      assert.equal(graphCalls(sim).length, 0);
    });

    it('statusFilter filters; a statusFilter that is not text is refused', async () => {
      sim = await simulator({ alerts: 60 });
      const msg = await run({ statusFilter: 'resolved', status: { fill: 'green', shape: 'dot', text: 'x' } });
      assert.ok(msg.payload.length > 0 && msg.payload.every((i) => i.status === 'resolved'));
      await helper.unload();
      const e = await run({ statusFilter: 7 }, {}, { expectError: true });
      assert.match(e.error.message, /"statusFilter" must be text .*got the number 7/);
    });
  });

  it('refuses wrong-typed or unknown dialog settings at deploy and per message, never widening the listing', async () => {
    sim = await simulator({ alerts: 20 });
    for (const [props, message] of [
      [{ severity: 42 }, /"severity" is the number 42/],
      [{ classification: { truePositive: true } }, /"classification" is/],
      [{ mode: 'fetch' }, /"mode" is "fetch".*"list" or "get"/],
      [{ outputMode: 'rows' }, /"outputMode" is "rows"/],
      [{ expandAlerts: 'no' }, /"expandAlerts" is "no".*true or false/],
      [{ timeField: 'firstActivity' }, /"timeField" is "firstActivity"/],
    ]) {
      const e = await run(props, {}, { expectError: true });
      assert.equal(e.error.code, 'InvalidSetting', JSON.stringify(props));
      assert.match(e.error.message, message);
      assert.deepEqual(helper.getNode('inc').status.args.map((x) => x[0])[0], { fill: 'red', shape: 'ring', text: 'InvalidSetting' });
      await helper.unload();
    }
    assert.equal(graphCalls(sim).length, 0);
  });

  it('names SecurityIncident.Read.All on a 403', async () => {
    sim = await simulator({ alerts: 5 });
    const e = await run({}, {}, { cfg: { clientId: APPS.noRoles.clientId }, secret: APPS.noRoles.secret, expectError: true });
    assert.equal(e.error.code, 'Forbidden');
    assert.match(e.error.message, /SecurityIncident\.Read\.All/);
  });
});
