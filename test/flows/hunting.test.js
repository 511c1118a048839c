'use strict';
// mde-hunting in a real Node-RED runtime against the simulator.
const { describe, it } = require('node:test');
const { useFlowSuite } = require('../helpers/flow-suite');
const assert = require('node:assert/strict');
const { helper, nodes, useFreshStateDir } = require('../helpers/node-red');
const { simulator, configNode, secretCredentials, apiRequests, tokenRequests, nextMessage, collect } = require('../helpers/sim');

const tab = { id: 'tab', type: 'tab', label: 'hunting tests' };

function huntingFlow(sim, props = {}) {
  return [
    tab,
    configNode(sim),
    { id: 'hunt', type: 'mde-hunting', z: 'tab', config: 'cfg', api: 'graph', query: '', timespan: '', allowRaw: false, convertDates: false, outputMode: 'array', wires: [['out']], ...props },
    { id: 'out', type: 'helper', z: 'tab' },
    { id: 'catcher', type: 'catch', z: 'tab', scope: null, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}

describe('mde-hunting node', () => {
  let sim;
  useFlowSuite();

  async function run(props, msg = {}, { expectError = false, timeout = 20000 } = {}) {
    useFreshStateDir();
    await helper.load([nodes.config, nodes.hunting], huntingFlow(sim, props), secretCredentials());
    const got = nextMessage(helper.getNode(expectError ? 'caught' : 'out'), timeout);
    helper.getNode('hunt').receive({ topic: 'keep', ...msg });
    return got;
  }

  it('fills the template from msg and returns rows, schema and stats through Graph and the MDE API alike', async () => {
    sim = await simulator();
    const machine = sim.state.machines[0];
    const query = 'DeviceProcessEvents | where DeviceId == {{payload.machineId}} | project Timestamp, DeviceId, FileName | take 5';
    const viaGraph = await run({ query, api: 'graph' }, { payload: { machineId: machine.id } });
    await helper.unload();
    const viaMde = await run({ query, api: 'mde' }, { payload: { machineId: machine.id } });
    for (const msg of [viaGraph, viaMde]) {
      assert.equal(msg.topic, 'keep');
      assert.ok(msg.payload.length > 0 && msg.payload.length <= 5);
      assert.ok(msg.payload.every((r) => r.DeviceId === machine.id));
      assert.deepEqual(msg.schema.map((c) => c.name), ['Timestamp', 'DeviceId', 'FileName']);
      assert.equal(msg.schema[0].type, 'DateTime');
    }
    assert.equal(viaGraph.mde.api, 'graph');
    assert.equal(viaMde.mde.api, 'mde');
    assert.deepEqual(viaGraph.payload, viaMde.payload);
    assert.ok(apiRequests(sim, (r) => r.path.endsWith('/security/runHuntingQuery')).length === 1);
    assert.ok(apiRequests(sim, (r) => r.path.endsWith('/advancedqueries/run')).length === 1);
  });

  it('keeps a hostile alert field a literal: the hunt returns only the intended rows', async () => {
    sim = await simulator();
    const machine = sim.state.machines[1];
    const query = 'DeviceProcessEvents | where DeviceId == {{alert.machineId}} and FileName == {{alert.fileName}} | project DeviceId, FileName';
    const hostileNames = [
      'x" or DeviceId != "',
      'evil.exe" | take 100000 //',
      'C:\\Temp\\',
      'line1\nline2" or 1==1 or "',
      "it's.exe' or '1'=='1",
    ];
    for (const fileName of hostileNames) {
      const msg = await run({ query }, { alert: { machineId: machine.id, fileName } });
      assert.equal(msg.payload.length, 0, `"${fileName}" changed the query: ${msg.mde.query}`);
      await helper.unload();
    }
    // The same template with a real file name still finds rows.
    const real = sim.state.tables.DeviceProcessEvents.rows.find((e) => e.DeviceId === machine.id);
    const msg = await run({ query }, { alert: { machineId: machine.id, fileName: real.FileName } });
    assert.ok(msg.payload.length > 0);
    assert.ok(msg.payload.every((r) => r.DeviceId === machine.id && r.FileName === real.FileName));
  });

  it('finds rows whose file names contain quotes and backslashes when asked for them exactly', async () => {
    sim = await simulator();
    const tricky = sim.state.tables.DeviceProcessEvents.rows.find((e) => /["\\]/.test(e.FileName) || /["\\]/.test(e.FolderPath || ''));
    assert.ok(tricky, 'the seed has a tricky file name');
    const msg = await run({ query: 'DeviceProcessEvents | where FolderPath == {{payload}} | project FolderPath' }, { payload: tricky.FolderPath });
    assert.ok(msg.payload.length > 0);
    assert.ok(msg.payload.every((r) => r.FolderPath === tricky.FolderPath));
  });

  it('fails with the missing name when the template refers to a value msg does not have', async () => {
    sim = await simulator();
    const msg = await run({ query: 'DeviceInfo | where DeviceName == {{payload.deviceName}}' }, { payload: {} }, { expectError: true });
    assert.match(msg.error.message, /payload\.deviceName/);
    assert.equal(apiRequests(sim).length, 0);
  });

  it('refuses {{{raw}}} insertion unless the node allows it', async () => {
    sim = await simulator();
    const msg = await run({ query: 'DeviceInfo | where DeviceName == "{{{payload}}}"' }, { payload: 'x' }, { expectError: true });
    assert.match(msg.error.message, /\{\{\{payload\}\}\}.*without escaping/);
    assert.equal(apiRequests(sim).length, 0);
  });

  it('refuses a template with a placeholder written inside quotes at deploy: red status, a clear error per message, nothing sent', async () => {
    sim = await simulator();
    // The review's value: it ends a '...' literal and turns the filter into "or 1==1".
    const breakout = `'"x' or 1==1 or DeviceName == 'y"'`;
    const templates = [
      "DeviceInfo | where DeviceName == '{{payload}}' | project DeviceName",
      'DeviceInfo | where DeviceName == @"{{payload}}" | project DeviceName',
      "DeviceInfo | where DeviceName == h'{{payload}}' | project DeviceName",
    ];
    for (const query of templates) {
      useFreshStateDir();
      await helper.load([nodes.config, nodes.hunting], huntingFlow(sim, { query }), secretCredentials());
      const hunt = helper.getNode('hunt');
      const atDeploy = hunt.status.args.map((a) => a[0]);
      assert.equal(atDeploy.at(-1).fill, 'red', `${query}: ${JSON.stringify(atDeploy)}`);
      assert.match(atDeploy.at(-1).text, /template/);
      assert.ok(hunt.warn.args.some((a) => /without quotes/.test(String(a[0]))), 'the reason is logged at deploy');
      for (const payload of [breakout, 'pc-01']) {
        const caught = nextMessage(helper.getNode('caught'));
        hunt.receive({ payload });
        const msg = await caught;
        assert.match(msg.error.message, /\{\{payload\}\} \(line 1\) inside the string literal .*Write \{\{payload\}\} without quotes: it becomes a complete KQL literal/);
        assert.equal(msg.error.code, 'InvalidInput');
      }
      await helper.unload();
    }
    assert.equal(apiRequests(sim).length, 0, 'no hunting request was sent');
    assert.equal(tokenRequests(sim).length, 0, 'not even a token was requested');
  });

  it('refuses unknown settings (api, output, flags) at deploy and per message, never falling back to a default', async () => {
    sim = await simulator();
    const query = 'DeviceInfo | take 1';
    const cases = [
      [{ api: 'defender' }, /"api" is "defender".*"graph" or "mde"/],
      [{ outputMode: 'rows' }, /"outputMode" is "rows".*"array" or "split"/],
      [{ allowRaw: 'yes' }, /"allowRaw" .*true or false/],
      [{ convertDates: 1 }, /"convertDates" is the number 1.*true or false/],
      [{ query: 42 }, /"query" is the number 42.*text/],
    ];
    for (const [props, message] of cases) {
      useFreshStateDir();
      await helper.load([nodes.config, nodes.hunting], huntingFlow(sim, { query, ...props }), secretCredentials());
      const hunt = helper.getNode('hunt');
      const atDeploy = hunt.status.args.map((a) => a[0]);
      assert.equal(atDeploy.at(-1).fill, 'red', `${JSON.stringify(props)}: ${JSON.stringify(atDeploy)}`);
      assert.equal(atDeploy.at(-1).text, 'InvalidSetting');
      const caught = nextMessage(helper.getNode('caught'));
      hunt.receive({ payload: 'x' });
      const msg = await caught;
      assert.match(msg.error.message, message, JSON.stringify(props));
      assert.equal(msg.error.code, 'InvalidSetting');
      await helper.unload();
    }
    assert.equal(apiRequests(sim).length, 0, 'no hunting request was sent');
  });

  it('runs a templated hunt for a message with circular req / res, functions and getters (an http in flow)', async () => {
    sim = await simulator();
    const machine = sim.state.machines[0];
    // Shaped like http in's message: req and res point at each other, res wraps the live
    // response, and Express puts getters and functions on them. None of it may be serialised.
    const req = { method: 'GET', query: { machineId: machine.id }, params: {}, app: { handle() {} } };
    const res = { statusCode: 200, req, send() {}, setHeader() {} };
    req.res = res;
    Object.defineProperty(req, 'hostname', { enumerable: true, get() { throw new Error('getter ran'); } });
    const msg = { payload: { machineId: machine.id }, req, res: { _res: res }, callback: () => 'ran', topic: 'keep' };
    msg.res._res.msg = msg;
    const query = 'DeviceProcessEvents | where DeviceId == {{payload.machineId}} and DeviceId == {{req.query.machineId}} | project DeviceId | take 3';
    const out = await run({ query }, msg);
    assert.equal(out.topic, 'keep');
    assert.ok(out.payload.length > 0 && out.payload.every((r) => r.DeviceId === machine.id));
    assert.equal(out.mde.query, `DeviceProcessEvents | where DeviceId == "${machine.id}" and DeviceId == "${machine.id}" | project DeviceId | take 3`);
    assert.equal(out.req, req, 'msg.req passes through untouched');
    assert.equal(apiRequests(sim, (r) => r.path.endsWith('/security/runHuntingQuery')).length, 1);
  });

  it('uses msg.query as the complete query when the node has none', async () => {
    sim = await simulator();
    const msg = await run({ query: '' }, { query: 'DeviceInfo | summarize count() by OSPlatform' });
    assert.ok(msg.payload.length > 1);
    assert.deepEqual(Object.keys(msg.payload[0]).sort(), ['OSPlatform', 'count_']);
  });

  it('turns a syntax error into a readable BadRequest', async () => {
    sim = await simulator();
    const msg = await run({ query: 'DeviceInfo | frobnicate' }, {}, { expectError: true });
    assert.equal(msg.error.code, 'BadRequest');
    assert.match(msg.error.message, /syntax|recogni/i);
  });

  it('reports the hunting call quota as its own error code', async () => {
    sim = await simulator({ rateLimits: { 'graph-hunting': [{ limit: 1, windowMs: 600_000 }], hunting: [{ limit: 1, windowMs: 600_000 }] } });
    useFreshStateDir();
    await helper.load([nodes.config, nodes.hunting], huntingFlow(sim, { query: 'DeviceInfo | take 1' }), secretCredentials());
    const ok = nextMessage(helper.getNode('out'));
    helper.getNode('hunt').receive({});
    await ok;
    const caught = nextMessage(helper.getNode('caught'));
    helper.getNode('hunt').receive({});
    const msg = await caught;
    assert.equal(msg.error.code, 'HuntingCallQuota');
  });

  it('handles a 100,000-row result, in split mode without long event-loop stalls', async () => {
    sim = await simulator({ processEvents: 100_000 });
    useFreshStateDir();
    await helper.load([nodes.config, nodes.hunting], huntingFlow(sim, { query: 'DeviceProcessEvents | project Timestamp, DeviceId, FileName, ProcessCommandLine', outputMode: 'split' }), secretCredentials());
    const out = helper.getNode('out');
    let count = 0;
    let lastParts;
    const done = new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`only ${count} rows`)), 60000);
      out.on('input', (m) => {
        count++;
        lastParts = m.parts;
        if (count === 100_000) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    // Other flows must keep running while the result is parsed and emitted: a timer elsewhere
    // keeps firing between the first and the last row (the benchmark measures the stall itself).
    let ticksDuringRows = 0;
    out.once('input', () => {
      const timer = setInterval(() => {
        if (count < 100_000) ticksDuringRows++;
      }, 1);
      const stop = () => clearInterval(timer);
      done.then(stop, stop);
    });
    helper.getNode('hunt').receive({});
    await done;
    assert.equal(count, 100_000);
    assert.equal(lastParts.count, 100_000);
    assert.ok(ticksDuringRows >= 5, `only ${ticksDuringRows} timer ticks ran while 100,000 rows were emitted`);
  });
});
