'use strict';
// mde-isolate on several Node-RED runtimes (separate processes) sharing one Redis: one isolation
// for one alert seen by all, the blast-radius cap held across instances, and fail-closed when
// Redis is unreachable (nothing sent, a clear error; allowed again once Redis is back).
const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { simulator, closeSimulators, configNode, secretCredentials } = require('../helpers/sim');
const { startRedis, stopAllRedis, redisSkip } = require('../helpers/redis');
const { startInstance, stopAllInstances, waitUntil, recordDir } = require('../helpers/instances');

const tab = { id: 'tab', type: 'tab', label: 'shared isolation' };
const probe = (id) => ({ id, type: 'debug', z: 'tab', active: false, tosidebar: false, console: false, tostatus: false, complete: 'false', wires: [] });

function isolateFlow(sim, cfg = {}) {
  return [
    tab,
    configNode(sim, cfg),
    {
      id: 'iso', type: 'mde-isolate', z: 'tab', name: '', config: 'cfg', action: 'isolate', isolationType: 'Selective',
      machine: 'machineId', machineType: 'msg', machineBy: 'id', comment: 'Isolated for alert {{alertId}}',
      wait: true, timeoutSeconds: 60, pollSeconds: 0.05, dryRun: false, protectedIds: '', protectedNames: '', protectedTags: 'DoNotIsolate',
      conflictWindowSeconds: 300, wires: [['ok'], ['fail']],
    },
    probe('ok'),
    probe('fail'),
    { id: 'catch', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['caught']] },
    probe('caught'),
  ];
}

const isolationPosts = (sim) => sim.requests.filter((r) => r.kind === 'api' && r.method === 'POST' && /\/isolate$/.test(r.path));

function isolatable(sim, count) {
  const machines = sim.state.machines.filter((x) => /^Windows/.test(x.osPlatform) && !(x.machineTags || []).includes('DoNotIsolate'));
  assert.ok(machines.length >= count, `the seed has ${count} isolatable machines`);
  return machines.slice(0, count);
}

describe('mde-isolate across Node-RED instances (Redis)', { skip: redisSkip }, () => {
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

  async function group(sim, count, cfg = {}) {
    const records = recordDir();
    const settings = { mdeDefender: { redis: { url: redis.url, keyPrefix: `i${Date.now()}` } } };
    const instances = [];
    for (let i = 0; i < count; i++) instances.push(startInstance(`n${i + 1}`, { flows: isolateFlow(sim, cfg), credentials: secretCredentials(), settings, probes: ['ok', 'fail', 'caught'], recordDir: records }));
    await Promise.all(instances.map((i) => i.ready));
    return instances;
  }
  const all = (instances, probeId) => instances.flatMap((i) => i.records(probeId));
  const finished = (instances) => async () => ['ok', 'fail', 'caught'].reduce((n, p) => n + all(instances, p).length, 0);

  it('three instances get the same alert at once: one isolation request, the other two follow that action', async () => {
    // The isolate POST is slow to be answered (and carried out), so all three are deciding while
    // the first is on the wire: MDE's pending list alone cannot stop the other two from sending.
    const sim = await simulator({ actionTimings: { pendingMs: 300, inProgressMs: 300 }, faults: { slow: [{ pathIncludes: '/isolate', delayMs: 1500 }] } });
    const [machine] = isolatable(sim, 1);
    const instances = await group(sim, 3);
    await Promise.all(instances.map((i) => i.inject('iso', { machineId: machine.id, alertId: 'da-1', topic: 'da-1' })));
    await waitUntil('three results', finished(instances), 3);
    assert.deepEqual(all(instances, 'caught'), []);
    const ok = all(instances, 'ok');
    assert.equal(ok.length, 3, 'all three messages end on the success output');
    assert.equal(new Set(ok.map((m) => m.mde.actionId)).size, 1, 'one machine action for all three');
    assert.equal(ok.filter((m) => m.mde.joined).length, 2, 'two joined');
    assert.equal(isolationPosts(sim).length, 1, 'one POST /isolate reached Defender for Endpoint');
  });

  it('the blast-radius cap holds across instances: 2 per window, 3 instances asking for 5 machines -> 2 isolations', async () => {
    const sim = await simulator();
    const machines = isolatable(sim, 5);
    const instances = await group(sim, 3, { isolationCap: 2 });
    const sends = machines.map((m, k) => instances[k % 3].inject('iso', { machineId: m.id, alertId: `a-${k}`, topic: `a-${k}` }));
    await Promise.all(sends);
    await waitUntil('five results', finished(instances), 5);
    const caught = all(instances, 'caught');
    assert.equal(all(instances, 'ok').length, 2, 'two isolations');
    assert.equal(caught.length, 3, 'three refused');
    for (const c of caught) assert.equal(c.error.code, 'BlastRadiusCap', c.error.message);
    assert.equal(isolationPosts(sim).length, 2, 'two POST /isolate in all');
  });

  it('Redis unreachable: isolate fails closed with SharedStateUnavailable and sends nothing; allowed again once Redis is back', async () => {
    const sim = await simulator();
    const [first, second] = isolatable(sim, 2);
    const instances = await group(sim, 2);
    await redis.stop();
    await instances[0].inject('iso', { machineId: first.id, alertId: 'x', topic: 'x' });
    await waitUntil('the refusal', finished(instances), 1);
    const [refused] = all(instances, 'caught');
    assert.equal(refused.error.code, 'SharedStateUnavailable');
    assert.match(refused.error.message, /unreachable.*refused.*Nothing was sent/s);
    assert.equal(isolationPosts(sim).length, 0, 'nothing sent while Redis was down');
    await redis.start();
    await waitUntil('Redis back', async () => ((await instances[1].eval('cfg', 'node.connection().shared.health')) === 'up' ? 1 : 0), 1, 60_000);
    await instances[1].inject('iso', { machineId: second.id, alertId: 'y', topic: 'y' });
    await waitUntil('the isolation', async () => all(instances, 'ok').length, 1);
    assert.equal(isolationPosts(sim).length, 1);
  });
});
