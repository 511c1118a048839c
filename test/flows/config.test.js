'use strict';
// Config node: Test connection admin route, secret hygiene (canary), redeploy.
const { describe, it } = require('node:test');
const { useFlowSuite } = require('../helpers/flow-suite');
const assert = require('node:assert/strict');
const { helper, nodes, useFreshStateDir } = require('../helpers/node-red');
const { simulator, configNode, secretCredentials, APPS, nextMessage, sleep } = require('../helpers/sim');

const tab = { id: 'tab', type: 'tab', label: 'config tests' };

describe('mde-config node', () => {
  let sim;
  useFlowSuite();

  function dialogValues(overrides = {}) {
    const cfg = configNode(sim);
    return {
      tenantId: cfg.tenantId,
      clientId: cfg.clientId,
      authMethod: 'secret',
      cloud: 'custom',
      apiBaseUrl: sim.url,
      authorityHost: sim.url,
      graphBaseUrl: sim.url,
      caCertificate: sim.caPem,
      ...overrides,
    };
  }

  it('Test connection works before deploy with the typed values and lists granted roles per node', async () => {
    sim = await simulator();
    useFreshStateDir();
    await helper.load([nodes.config], [tab]);
    const res = await helper
      .request()
      .post('/mde-config/test-connection')
      .send(dialogValues({ clientId: APPS.readOnly.clientId, clientSecret: APPS.readOnly.secret }))
      .expect(200);
    assert.equal(res.body.ok, true);
    assert.deepEqual(res.body.audiences.mde.roles.sort(), ['AdvancedQuery.Read.All', 'Alert.Read.All', 'Machine.Read.All']);
    const byLabel = Object.fromEntries(res.body.nodes.map((n) => [n.label, n]));
    assert.equal(byLabel['List / get alerts (MDE API)'].ok, true);
    assert.equal(byLabel['Isolate / release machine'].ok, false);
    assert.deepEqual(byLabel['Isolate / release machine'].missing, ['Machine.Isolate']);
  });

  it('Test connection explains a wrong secret in plain words and never echoes it', async () => {
    sim = await simulator();
    useFreshStateDir();
    await helper.load([nodes.config], [tab]);
    const canary = 'CANARY-wrong-secret-7f3e9a';
    const res = await helper.request().post('/mde-config/test-connection').send(dialogValues({ clientSecret: canary })).expect(200);
    assert.equal(res.body.ok, false);
    assert.equal(res.body.error.aadsts, 7000215);
    assert.match(res.body.error.message, /client secret/);
    assert.ok(!JSON.stringify(res.body).includes(canary));
  });

  it('Test connection resolves the __PWRD__ placeholder from the deployed node', async () => {
    sim = await simulator();
    useFreshStateDir();
    await helper.load([nodes.config], [tab, configNode(sim)], secretCredentials());
    const res = await helper.request().post('/mde-config/test-connection').send(dialogValues({ id: 'cfg', clientSecret: '__PWRD__' })).expect(200);
    assert.equal(res.body.ok, true, JSON.stringify(res.body));
    assert.ok(res.body.audiences.graph.roles.includes('ThreatHunting.Read.All'));
    assert.ok(res.body.nodes.every((n) => n.ok));
    assert.ok(!JSON.stringify(res.body).includes(APPS.soc.secret));
  });

  it('never lets a canary secret reach flows, logs, status, errors, msg or admin responses', async () => {
    sim = await simulator();
    useFreshStateDir();
    const canary = 'CANARY-secret-4b1d7e2c-do-not-leak';
    sim.setApp(APPS.soc.clientId, { secret: canary });
    const flow = [
      tab,
      configNode(sim),
      { id: 'alerts', type: 'mde-alerts', z: 'tab', config: 'cfg', mode: 'list', severity: 'Bogus', wires: [['out']] },
      { id: 'alerts2', type: 'mde-alerts', z: 'tab', config: 'cfg', mode: 'list', severity: 'High', maxResults: 5, wires: [['out']] },
      { id: 'out', type: 'helper', z: 'tab' },
      { id: 'catcher', type: 'catch', z: 'tab', scope: null, wires: [['caught']] },
      { id: 'caught', type: 'helper', z: 'tab' },
    ];
    await helper.load([nodes.config, nodes.alerts], flow, secretCredentials(canary));
    const caught = nextMessage(helper.getNode('caught'));
    const ok = nextMessage(helper.getNode('out'));
    helper.getNode('alerts').receive({ payload: 1 });
    helper.getNode('alerts2').receive({ payload: 2 });
    const [errMsg, okMsg] = await Promise.all([caught, ok]);
    // A wrong secret too, so error paths carrying token failures are covered.
    sim.setApp(APPS.soc.clientId, { secret: 'something-else' });
    const admin = await helper.request().post('/mde-config/test-connection').send(dialogValues({ id: 'cfg', clientSecret: '__PWRD__' }));
    const adminWrong = await helper.request().post('/mde-config/test-connection').send(dialogValues({ clientSecret: canary }));

    const seen = [];
    seen.push(JSON.stringify(errMsg), JSON.stringify(okMsg), JSON.stringify(admin.body), JSON.stringify(adminWrong.body));
    for (const id of ['alerts', 'alerts2', 'cfg']) {
      const n = helper.getNode(id);
      for (const method of ['status', 'log', 'warn', 'error', 'debug', 'trace']) {
        if (n[method] && n[method].args) seen.push(JSON.stringify(n[method].args.map((a) => (a[0] instanceof Error ? a[0].message + a[0].stack : a))));
      }
    }
    seen.push(JSON.stringify(helper.log().args));
    const flows = helper._redNodes.getFlows();
    assert.ok(JSON.stringify(flows).includes('mde-config'), 'the deployed flow config was read');
    seen.push(JSON.stringify(flows));
    const all = seen.join('\n');
    assert.ok(all.length > 1000, 'the check looked at real output');
    assert.ok(!all.includes(canary), 'the canary secret leaked');
    assert.ok(!all.includes('Bearer ey'), 'no bearer token leaked outside the token node');
  });

  it('redeploys while a machine action is being waited on without "close timed out"', async () => {
    sim = await simulator({ actionTimings: { pendingMs: 60_000, inProgressMs: 60_000 } });
    useFreshStateDir();
    const machine = sim.state.machines.find((m) => !(m.machineTags || []).includes('DoNotIsolate') && /^Windows/.test(m.osPlatform));
    const flow = [
      tab,
      configNode(sim),
      { id: 'iso', type: 'mde-isolate', z: 'tab', config: 'cfg', action: 'isolate', isolationType: 'Selective', machine: 'machineId', machineType: 'msg', machineBy: 'id', comment: 'test {{alertId}}', wait: true, timeoutSeconds: 120, pollSeconds: 0.1, wires: [['ok'], ['fail']] },
      { id: 'ok', type: 'helper', z: 'tab' },
      { id: 'fail', type: 'helper', z: 'tab' },
    ];
    await helper.load([nodes.config, nodes.isolate], flow, secretCredentials());
    helper.getNode('iso').receive({ machineId: machine.id, alertId: 'da1' });
    await sleep(500);
    await helper.setFlows(flow, 'full', secretCredentials());
    const warnings = JSON.stringify(helper.log().args);
    assert.ok(!/Close timed out/i.test(warnings), 'no close timeout');
  });
});
