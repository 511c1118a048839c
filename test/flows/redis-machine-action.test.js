'use strict';
// mde-machine-action on several Node-RED runtimes (separate processes) sharing one Redis: one
// request for one action asked of all, the per-action-type cap held across instances, and
// fail-closed when Redis is unreachable (nothing sent, a clear error; allowed again once back).
const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { simulator, closeSimulators, configNode, secretCredentials } = require('../helpers/sim');
const { startRedis, stopAllRedis, redisSkip } = require('../helpers/redis');
const { startInstance, stopAllInstances, waitUntil, recordDir } = require('../helpers/instances');

const tab = { id: 'tab', type: 'tab', label: 'shared machine actions' };
const probe = (id) => ({ id, type: 'debug', z: 'tab', active: false, tosidebar: false, console: false, tostatus: false, complete: 'false', wires: [] });

function actionNode(id, props) {
  return {
    id, type: 'mde-machine-action', z: 'tab', name: '', config: 'cfg', action: 'collect', scanType: '',
    machine: 'machineId', machineType: 'msg', machineBy: 'id', sha1: 'sha1', sha1Type: 'msg', actionId: 'actionId', actionIdType: 'msg',
    liveScript: '', liveArgs: '', livePath: '', comment: 'By flow {{flowName}} for alert {{alertId}}',
    wait: true, timeoutSeconds: 60, pollSeconds: 0.05, dryRun: false, protectedIds: '', protectedNames: '', protectedTags: 'DoNotRespond',
    allowOffboard: false, allowLiveResponse: false, wires: [['ok']], ...props,
  };
}

function actionFlow(sim, props = {}) {
  return [
    tab,
    configNode(sim),
    actionNode('act', props),
    // The same node in dry run: it sends nothing, so it needs neither the shared cap nor Redis.
    actionNode('dry', { ...props, dryRun: true }),
    probe('ok'),
    { id: 'catch', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['caught']] },
    probe('caught'),
  ];
}

const actionPosts = (sim, segment) => sim.requests.filter((r) => r.kind === 'api' && r.method === 'POST' && r.path.toLowerCase().endsWith(`/${segment.toLowerCase()}`));

function windowsMachines(sim, count) {
  const machines = sim.state.machines.filter((m) => /^Windows/.test(m.osPlatform) && !(m.machineTags || []).some((t) => /^DoNot/i.test(t)));
  assert.ok(machines.length >= count, `the seed has ${count} Windows machines open to response actions`);
  return machines.slice(0, count);
}

describe('mde-machine-action across Node-RED instances (Redis)', { skip: redisSkip }, () => {
  let redis;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await stopAllRedis();
  });
  afterEach(async () => {
    await stopAllInstances();
    await closeSimulators();
  });

  async function group(sim, count, props = {}) {
    const records = recordDir();
    const settings = { mdeDefender: { redis: { url: redis.url, keyPrefix: `m${Date.now()}` } } };
    const instances = [];
    for (let i = 0; i < count; i++) instances.push(startInstance(`n${i + 1}`, { flows: actionFlow(sim, props), credentials: secretCredentials(), settings, probes: ['ok', 'caught'], recordDir: records }));
    await Promise.all(instances.map((i) => i.ready));
    return instances;
  }
  const all = (instances, probeId) => instances.flatMap((i) => i.records(probeId));
  const finished = (instances) => async () => all(instances, 'ok').length + all(instances, 'caught').length;

  it('three instances are asked for the same investigation package at once: one request, the other two follow that action', async () => {
    // The first three looks at MDE's pending list and the POST are slow to be answered, so all
    // three are deciding while the first is on the wire: MDE's pending list alone cannot stop the
    // other two from sending (without the shared intents, three POSTs reach the simulator).
    const slow = [{ pathIncludes: '/api/machineactions', delayMs: 1500, count: 3 }, { pathIncludes: '/collectInvestigationPackage', delayMs: 1500 }];
    const sim = await simulator({ actionTimings: { pendingMs: 300, inProgressMs: 300 }, faults: { slow } });
    const [machine] = windowsMachines(sim, 1);
    const instances = await group(sim, 3);
    await Promise.all(instances.map((i) => i.inject('act', { machineId: machine.id, alertId: 'da-1', topic: 'da-1' })));
    await waitUntil('three results', finished(instances), 3);
    assert.deepEqual(all(instances, 'caught'), []);
    const ok = all(instances, 'ok');
    assert.equal(ok.length, 3, 'all three messages reach the output');
    assert.equal(new Set(ok.map((m) => m.mde.actionId)).size, 1, 'one machine action for all three');
    assert.equal(ok.filter((m) => m.mde.joined).length, 2, 'two followed it');
    for (const m of ok) assert.equal(m.status, 'Succeeded');
    assert.equal(actionPosts(sim, 'collectInvestigationPackage').length, 1, 'one POST reached Defender for Endpoint');
  });

  it('the scan cap holds across instances: 2 per window, 3 instances asked to scan 5 machines -> 2 scans', async () => {
    const sim = await simulator({ actionTimings: { pendingMs: 100, inProgressMs: 100 } });
    const machines = windowsMachines(sim, 5);
    const instances = await group(sim, 3, { action: 'scan', scanType: 'Quick', capScan: 2 });
    await Promise.all(machines.map((m, k) => instances[k % 3].inject('act', { machineId: m.id, alertId: `a-${k}`, topic: `a-${k}` })));
    await waitUntil('five results', finished(instances), 5);
    const caught = all(instances, 'caught');
    assert.equal(all(instances, 'ok').length, 2, 'two scans');
    assert.equal(caught.length, 3, 'three refused');
    for (const c of caught) assert.equal(c.error.code, 'BlastRadiusCap', c.error.message);
    assert.equal(actionPosts(sim, 'runAntiVirusScan').length, 2, 'two POST runAntiVirusScan in all');
  });

  it('Redis unreachable: actions fail closed with SharedStateUnavailable and send nothing; dry run and cancel go on; allowed again once Redis is back', async () => {
    // Actions stay Pending (the node does not wait), so one is still there to cancel.
    const sim = await simulator({ actionTimings: { pendingMs: 600_000, inProgressMs: 100 } });
    const [first, second, third] = windowsMachines(sim, 3);
    const instances = await group(sim, 2, { action: 'scan', scanType: 'Quick', wait: false });
    const posts = () => sim.requests.filter((r) => r.kind === 'api' && r.method === 'POST').length;
    await instances[0].inject('act', { machineId: first.id, alertId: 'w', topic: 'w' });
    await waitUntil('the first scan', async () => all(instances, 'ok').length, 1);
    const [scan] = all(instances, 'ok');
    assert.equal(scan.status, 'Pending');
    assert.equal(posts(), 1);

    await redis.stop();
    try {
      await instances[0].inject('act', { machineId: second.id, alertId: 'x', topic: 'x' });
      await instances[1].inject('act', { machineId: second.id, alertId: 'x', topic: 'x', action: 'restrict' });
      await waitUntil('the refusals', async () => all(instances, 'caught').length, 2);
      for (const r of all(instances, 'caught')) {
        assert.equal(r.error.code, 'SharedStateUnavailable', r.error.message);
        assert.match(r.error.message, /unreachable.*refused.*Nothing was sent/s);
      }
      assert.equal(posts(), 1, 'nothing sent while Redis was down');
      await instances[1].inject('dry', { machineId: second.id, alertId: 'x', topic: 'dry' });
      await waitUntil('the dry run', async () => all(instances, 'ok').length, 2);
      assert.equal(posts(), 1, 'a dry run sends nothing');
      await instances[1].inject('act', { action: 'cancel', actionId: scan.mde.actionId, topic: 'cancel' });
      await waitUntil('the cancel', async () => all(instances, 'ok').length, 3);
      assert.equal(all(instances, 'ok').find((m) => m.topic === 'cancel').status, 'Cancelled', 'a cancel goes on without Redis');
      assert.equal(all(instances, 'caught').length, 2);
    } finally {
      await redis.start();
    }
    await waitUntil('Redis back', async () => ((await instances[1].eval('cfg', 'node.connection().shared.health')) === 'up' ? 1 : 0), 1, 60_000);
    await instances[1].inject('act', { machineId: third.id, alertId: 'y', topic: 'y' });
    await waitUntil('the scan', async () => all(instances, 'ok').length, 4);
    assert.equal(all(instances, 'ok').find((m) => m.topic === 'y').status, 'Pending');
    assert.equal(actionPosts(sim, 'runAntiVirusScan').length, 2, 'one scan before Redis went down, one after it came back');
    assert.equal(all(instances, 'caught').length, 2);
  });
});
