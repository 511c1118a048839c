'use strict';
// mde-alert-trigger on several Node-RED runtimes (separate processes) sharing one Redis: one
// instance polls (it holds the lease), the others stand by; each alert is sent once across the
// group; when the holder dies mid-batch another takes over from the shared checkpoint with
// nothing lost or sent twice. No duration is asserted ("within the lease time" = it happened,
// with a generous timeout).
const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { simulator, closeSimulators, configNode, secretCredentials } = require('../helpers/sim');
const { startRedis, stopAllRedis, redisSkip } = require('../helpers/redis');
const { startInstance, stopAllInstances, waitUntil, recordDir } = require('../helpers/instances');

const tab = { id: 'tab', type: 'tab', label: 'shared trigger' };
const LEASE_MS = 1500;

function triggerFlow(sim) {
  return [
    tab,
    configNode(sim),
    {
      id: 'trigger', type: 'mde-alert-trigger', z: 'tab', name: '', config: 'cfg', source: 'alerts', mode: 'created',
      interval: 0.2, lookback: 5, overlap: 5, severity: '', statusFilter: '', serviceSource: '', classification: '', determination: '', assignedTo: '',
      wires: [['out']],
    },
    { id: 'out', type: 'debug', z: 'tab', active: false, tosidebar: false, console: false, tostatus: false, complete: 'false', wires: [] },
    { id: 'catch', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'debug', z: 'tab', active: false, tosidebar: false, console: false, tostatus: false, complete: 'false', wires: [] },
  ];
}

describe('mde-alert-trigger across Node-RED instances (Redis lease)', { skip: redisSkip }, () => {
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

  function starter(sim) {
    const records = recordDir();
    const settings = { mdeAlertTriggerMinIntervalSeconds: 0.1, mdeDefender: { redis: { url: redis.url, leaseMs: LEASE_MS, keyPrefix: `g${Date.now()}` } } };
    return (name, extra = {}) => startInstance(name, { flows: triggerFlow(sim), credentials: secretCredentials(), settings, probes: ['out', 'caught'], recordDir: records, ...extra });
  }
  const topics = (instances) => instances.flatMap((i) => i.records('out').map((m) => m.topic));
  const isStandby = async (inst) => {
    const st = await inst.status('trigger');
    return st && st.text === 'standby (another instance polls)' ? 1 : 0;
  };

  it('three instances: one polls, two stand by, and every alert is sent once across the group', async () => {
    const sim = await simulator({ alerts: 0 });
    const start = starter(sim);
    const first = start('n1');
    await first.ready;
    await waitUntil('n1 polling', async () => ((await first.status('trigger'))?.fill === 'green' ? 1 : 0), 1, 60_000);
    const others = [start('n2'), start('n3')];
    await Promise.all(others.map((i) => i.ready));
    for (const inst of others) await waitUntil(`${inst.name} standby`, () => isStandby(inst), 1, 60_000);
    const instances = [first, ...others];
    const created = [];
    for (let round = 0; round < 3; round++) {
      created.push(...sim.addAlerts(20).map((a) => a.id));
      await waitUntil('every alert sent', async () => new Set(topics(instances)).size, created.length, 120_000);
    }
    const sent = topics(instances);
    assert.equal(sent.length, created.length, 'no alert sent twice');
    assert.deepEqual(new Set(sent), new Set(created), 'every alert created, none other');
    assert.equal(first.records('out').length, created.length, 'all from the lease holder');
    for (const inst of others) assert.equal(await isStandby(inst), 1, `${inst.name} still stands by`);
    assert.deepEqual(instances.flatMap((i) => i.records('caught')), []);
  });

  it('the lease holder dies mid-batch: another instance takes over from the shared checkpoint, nothing lost or sent twice', async () => {
    const sim = await simulator({ alerts: 0 });
    const start = starter(sim);
    // n1 kills itself (SIGKILL) right after the 15th alert reached its flow.
    const holder = start('n1', { killAfter: { probe: 'out', count: 15 } });
    await holder.ready;
    await waitUntil('n1 polling', async () => ((await holder.status('trigger'))?.fill === 'green' ? 1 : 0), 1, 60_000);
    const others = [start('n2'), start('n3')];
    await Promise.all(others.map((i) => i.ready));
    for (const inst of others) await waitUntil(`${inst.name} standby`, () => isStandby(inst), 1, 60_000);
    const created = sim.addAlerts(60).map((a) => a.id);
    await holder.exit;
    assert.equal(holder.records('out').length, 15, 'the holder sent 15 before it died');
    const instances = [holder, ...others];
    await waitUntil('the rest sent by the new holder', async () => topics(instances).length, 60, 120_000);
    const sent = topics(instances);
    assert.equal(sent.length, 60, 'nothing sent twice');
    assert.equal(new Set(sent).size, 60, 'nothing sent twice');
    assert.equal(others.filter((i) => i.records('out').length === 45).length, 1, 'one instance took over and sent the other 45');
    assert.deepEqual(new Set(sent), new Set(created), 'nothing lost');
  });

  it('Redis restarted (without persistence): the triggers stand by and say so, then resume from the holder\'s checkpoint without sending anything twice', async () => {
    const sim = await simulator({ alerts: 0 });
    const start = starter(sim);
    const holder = start('n1');
    await holder.ready;
    await waitUntil('n1 polling', async () => ((await holder.status('trigger'))?.fill === 'green' ? 1 : 0), 1, 60_000);
    const other = start('n2');
    await other.ready;
    await waitUntil('n2 standby', () => isStandby(other), 1, 60_000);
    const instances = [holder, other];
    const created = sim.addAlerts(10).map((a) => a.id);
    await waitUntil('the first alerts', async () => topics(instances).length, 10, 120_000);
    await redis.stop();
    for (const inst of instances) {
      await waitUntil(`${inst.name} says Redis is unreachable`, async () => {
        const st = await inst.status('trigger');
        return st && st.text === 'shared state unreachable: standing by' ? 1 : 0;
      }, 1, 60_000);
    }
    created.push(...sim.addAlerts(10).map((a) => a.id));
    await redis.start();
    await waitUntil('the alerts created while Redis was down', async () => new Set(topics(instances)).size, 20, 120_000);
    // A few more polls: anything sent again from the look-back would show now.
    created.push(...sim.addAlerts(5).map((a) => a.id));
    await waitUntil('the last alerts', async () => new Set(topics(instances)).size, 25, 120_000);
    const sent = topics(instances);
    assert.equal(sent.length, 25, 'nothing sent twice');
    assert.deepEqual(new Set(sent), new Set(created));
  });
});
