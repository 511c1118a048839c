'use strict';
// Several Node-RED runtimes (separate processes) on one tenant + app against one simulator that
// enforces the budget: with shared state (Redis) their governors share the windows, so no 429
// reaches the simulator or a flow; without it, each believes it owns the whole budget. Also:
// Redis killed under load (reads continue on the local share) and back (shared again).
const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { simulator, closeSimulators, configNode, secretCredentials } = require('../helpers/sim');
const { startRedis, stopAllRedis, redisSkip } = require('../helpers/redis');
const { startInstance, stopAllInstances, waitUntil, recordDir } = require('../helpers/instances');

const BUDGET = { limit: 15, windowMs: 1500 };
const tab = { id: 'tab', type: 'tab', label: 'shared budget' };

function alertsFlow(sim, cfg = {}) {
  return [
    tab,
    configNode(sim, cfg),
    { id: 'alerts', type: 'mde-alerts', z: 'tab', name: '', config: 'cfg', mode: 'list', timeField: 'alertCreationTime', since: '', sinceType: 'str', maxResults: 5, pageSize: 5, outputMode: 'array', wires: [['out']] },
    { id: 'out', type: 'debug', z: 'tab', active: false, tosidebar: false, console: false, tostatus: false, complete: 'false', wires: [] },
    { id: 'catch', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'debug', z: 'tab', active: false, tosidebar: false, console: false, tostatus: false, complete: 'false', wires: [] },
  ];
}

const alertCalls = (sim) => sim.requests.filter((r) => r.kind === 'api' && /\/api\/alerts/i.test(r.path));

describe('shared rate budget across Node-RED instances (Redis)', { skip: redisSkip }, () => {
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

  async function group(sim, count, { shared = true, records }) {
    const settings = { mdeConfigRateLimits: { alerts: [BUDGET] }, ...(shared ? { mdeDefender: { redis: { url: redis.url, keyPrefix: `t${Date.now()}` } } } : {}) };
    const instances = [];
    for (let i = 0; i < count; i++) instances.push(startInstance(`n${i + 1}`, { flows: alertsFlow(sim), credentials: secretCredentials(), settings, probes: ['out', 'caught'], recordDir: records }));
    await Promise.all(instances.map((i) => i.ready));
    return instances;
  }

  async function burst(instances, perInstance) {
    const settled = async () => instances.reduce((n, i) => n + i.records('out').length + i.records('caught').length, 0);
    const before = await settled();
    for (const inst of instances) for (let k = 0; k < perInstance; k++) await inst.inject('alerts', { payload: k });
    await waitUntil('every message to finish', settled, before + instances.length * perInstance, 240_000);
  }

  for (const count of [2, 3]) {
    it(`${count} instances x 25 messages at a ${BUDGET.limit}-call budget: every message succeeds and the simulator never answers 429`, async () => {
      const sim = await simulator({ rateLimits: { alerts: [BUDGET] } });
      const records = recordDir();
      const instances = await group(sim, count, { records });
      await burst(instances, 25);
      const caught = instances.flatMap((i) => i.records('caught'));
      assert.deepEqual(caught, [], 'no error reached a flow');
      assert.equal(instances.reduce((n, i) => n + i.records('out').length, 0), count * 25);
      const calls = alertCalls(sim);
      assert.equal(calls.filter((r) => r.status === 429).length, 0, 'no 429 from the simulator');
      assert.equal(calls.length, count * 25, 'one call per message: nothing retried');
      // Every instance counted its calls in Redis, none on a local budget.
      for (const inst of instances) {
        const stats = await inst.eval('cfg', "node.connection().http.governor('mde', 'alerts').stats");
        assert.equal(stats.localGrants, 0, `${inst.name} never fell back`);
        assert.equal(stats.sharedGrants, 25, `${inst.name}: 25 shared grants`);
      }
    });
  }

  it('without shared state the same two instances overrun the budget (the simulator answers 429)', async () => {
    const sim = await simulator({ rateLimits: { alerts: [BUDGET] } });
    const records = recordDir();
    const instances = await group(sim, 2, { shared: false, records });
    await burst(instances, 25);
    assert.ok(alertCalls(sim).filter((r) => r.status === 429).length > 0, 'each process believed it owned the whole budget');
  });

  it('Redis killed under load: reads continue on the local share and the status says so; when Redis is back the windows are shared again', async () => {
    const sim = await simulator({ rateLimits: { alerts: [BUDGET] } });
    const records = recordDir();
    const instances = await group(sim, 2, { records });
    await burst(instances, 5);
    await redis.stop();
    for (const inst of instances) {
      await waitUntil(`${inst.name} status`, async () => {
        const st = await inst.status('alerts');
        return st && st.fill === 'yellow' && /shared state unreachable: 50% budget/.test(st.text) ? 1 : 0;
      }, 1, 60_000);
    }
    // Under load while Redis is down.
    await burst(instances, 10);
    const done = () => instances.reduce((n, i) => n + i.records('out').length, 0);
    assert.equal(done(), 2 * 15, 'every read succeeded while Redis was down');
    assert.deepEqual(instances.flatMap((i) => i.records('caught')), []);
    for (const inst of instances) {
      const stats = await inst.eval('cfg', "node.connection().http.governor('mde', 'alerts').stats");
      assert.ok(stats.localGrants >= 10, `${inst.name} counted on its local share`);
      assert.equal(await inst.eval('cfg', "node.connection().http.governor('mde', 'alerts').mode"), 'local');
    }
    await redis.start();
    for (const inst of instances) {
      await waitUntil(`${inst.name} back on Redis`, async () => ((await inst.eval('cfg', "node.connection().shared.health")) === 'up' ? 1 : 0), 1, 60_000);
    }
    await burst(instances, 10);
    assert.deepEqual(instances.flatMap((i) => i.records('caught')), [], 'no error reached a flow');
    for (const inst of instances) {
      const stats = await inst.eval('cfg', "node.connection().http.governor('mde', 'alerts').stats");
      assert.equal(stats.sharedGrants, 15, `${inst.name}: shared again after Redis came back`);
    }
  });
});
