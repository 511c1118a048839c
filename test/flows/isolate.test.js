'use strict';
// mde-isolate in a real Node-RED runtime against the simulator.
const { describe, it } = require('node:test');
const { useFlowSuite } = require('../helpers/flow-suite');
const assert = require('node:assert/strict');
const { helper, nodes, useFreshStateDir } = require('../helpers/node-red');
const { simulator, configNode, secretCredentials, apiRequests, nextMessage, collect, sleep } = require('../helpers/sim');

const tab = { id: 'tab', type: 'tab', label: 'Isolation playbook' };

function isolateFlow(sim, props = {}, cfg = {}) {
  return [
    tab,
    configNode(sim, cfg),
    {
      id: 'iso', type: 'mde-isolate', z: 'tab', name: '', config: 'cfg', action: 'isolate', isolationType: 'Selective',
      machine: 'machineId', machineType: 'msg', machineBy: 'id', comment: 'Isolated by flow {{flowName}} for alert {{alertId}}',
      wait: true, timeoutSeconds: 30, pollSeconds: 0.05, dryRun: false, protectedIds: '', protectedNames: '', protectedTags: 'DoNotIsolate',
      conflictWindowSeconds: 300, wires: [['ok'], ['fail']], ...props,
    },
    { id: 'ok', type: 'helper', z: 'tab' },
    { id: 'fail', type: 'helper', z: 'tab' },
    { id: 'catcher', type: 'catch', z: 'tab', scope: null, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}

const isolationPosts = (sim, verb = 'isolate') => apiRequests(sim, (r) => r.method === 'POST' && r.path.endsWith(`/${verb}`));

function pickMachine(sim, pred = () => true) {
  const m = sim.state.machines.find((x) => /^Windows/.test(x.osPlatform) && !(x.machineTags || []).includes('DoNotIsolate') && pred(x));
  assert.ok(m, 'the seed has a suitable machine');
  return m;
}

describe('mde-isolate node', () => {
  let sim;
  useFlowSuite();

  async function load(props, cfg) {
    useFreshStateDir();
    await helper.load([nodes.config, nodes.isolate], isolateFlow(sim, props, cfg), secretCredentials());
  }

  it('isolates, waits for completion and reports Succeeded on output 1 with the audit comment', async () => {
    sim = await simulator();
    const machine = pickMachine(sim);
    await load();
    const ok = nextMessage(helper.getNode('ok'));
    helper.getNode('iso').receive({ machineId: machine.id, alertId: 'da123_1', topic: 'keep' });
    const msg = await ok;
    assert.equal(msg.topic, 'keep');
    assert.equal(msg.payload.status, 'Succeeded');
    assert.equal(msg.payload.type, 'Isolate');
    assert.equal(msg.payload.scope, 'Selective');
    assert.equal(msg.payload.requestorComment, 'Isolated by flow Isolation playbook for alert da123_1');
    assert.equal(msg.mde.machineId, machine.id);
    assert.equal(msg.mde.joined, false);
    assert.equal(isolationPosts(sim).length, 1);
  });

  it('resolves a computer name with an exact match and refuses ambiguous or unknown names with the candidates', async () => {
    sim = await simulator();
    await load({ machineBy: 'name', wait: false });
    // dc01 also prefixes dc010.*: an exact match must pick only dc01 (and dc01 is protected, so use the error path).
    const kiosk = sim.state.machines.filter((m) => m.computerDnsName.split('.')[0] === 'kiosk-7');
    assert.equal(kiosk.length, 2, 'the seed has two kiosk-7 machines');
    let caught = nextMessage(helper.getNode('caught'));
    helper.getNode('iso').receive({ machineId: 'kiosk-7', alertId: 'a' });
    let msg = await caught;
    assert.equal(msg.error.code, 'AmbiguousMachineName');
    for (const k of kiosk) assert.ok(msg.error.message.includes(k.computerDnsName));
    caught = nextMessage(helper.getNode('caught'));
    helper.getNode('iso').receive({ machineId: 'kiosk', alertId: 'a' });
    msg = await caught;
    assert.equal(msg.error.code, 'MachineNotFound', 'never a substring match');
    const full = kiosk[0].computerDnsName;
    const ok = nextMessage(helper.getNode('ok'));
    helper.getNode('iso').receive({ machineId: full.toUpperCase(), alertId: 'a' });
    msg = await ok;
    assert.equal(msg.mde.machineId, kiosk[0].id);
    assert.equal(isolationPosts(sim).length, 1);
  });

  it('joins a pending isolation instead of sending a duplicate', async () => {
    sim = await simulator({ actionTimings: { pendingMs: 300, inProgressMs: 300 } });
    const machine = pickMachine(sim);
    await load();
    const both = collect(helper.getNode('ok'), 3, 15000);
    const iso = helper.getNode('iso');
    iso.receive({ machineId: machine.id, alertId: 'first' });
    iso.receive({ machineId: machine.id, alertId: 'same time' });
    await sleep(150);
    iso.receive({ machineId: machine.id, alertId: 'while pending' });
    const msgs = await both;
    assert.equal(isolationPosts(sim).length, 1, 'one isolation request in total');
    assert.equal(new Set(msgs.map((m) => m.payload.id)).size, 1, 'all three follow the same machine action');
    assert.deepEqual(msgs.map((m) => m.mde.joined).sort(), [false, true, true]);
  });

  it('treats ActiveRequestAlreadyExists from MDE as "already in progress" and joins that action', async () => {
    sim = await simulator({ actionTimings: { pendingMs: 400, inProgressMs: 200 }, duplicateActionMode: 'error' });
    const machine = pickMachine(sim);
    await load();
    // Someone else (the portal, another tool) isolates the machine first.
    const { default: got } = await import('got');
    const token = await got
      .post(`${sim.url}/${configNode(sim).tenantId}/oauth2/v2.0/token`, {
        form: { grant_type: 'client_credentials', client_id: configNode(sim).clientId, client_secret: 'SimSecret~SOC-automation', scope: 'https://api.securitycenter.microsoft.com/.default' },
        https: { certificateAuthority: sim.caPem },
      })
      .json();
    const other = await got
      .post(`${sim.url}/api/machines/${machine.id}/isolate`, { json: { Comment: 'portal', IsolationType: 'Full' }, headers: { authorization: `Bearer ${token.access_token}` }, https: { certificateAuthority: sim.caPem } })
      .json();
    const ok = nextMessage(helper.getNode('ok'));
    helper.getNode('iso').receive({ machineId: machine.id, alertId: 'x' });
    const msg = await ok;
    assert.equal(msg.payload.id, other.id);
    assert.equal(msg.mde.joined, true);
    assert.equal(isolationPosts(sim).length, 1, 'only the outside request was sent');
  });

  it('releases a machine', async () => {
    sim = await simulator();
    const machine = pickMachine(sim);
    await load({ action: 'release', comment: 'Released after approval of {{approver}}' });
    const ok = nextMessage(helper.getNode('ok'));
    helper.getNode('iso').receive({ machineId: machine.id, approver: 'alice' });
    const msg = await ok;
    assert.equal(msg.payload.type, 'Unisolate');
    assert.equal(msg.payload.status, 'Succeeded');
    assert.equal(msg.payload.requestorComment, 'Released after approval of alice');
    assert.equal(isolationPosts(sim, 'unisolate').length, 1);
  });

  it('routes a failed action to output 2', async () => {
    const failing = new Set();
    sim = await simulator({ actionOutcome: (action) => (failing.has(action.machineId) ? 'Failed' : 'Succeeded') });
    const machine = pickMachine(sim);
    failing.add(machine.id);
    await load();
    const fail = nextMessage(helper.getNode('fail'));
    helper.getNode('iso').receive({ machineId: machine.id, alertId: 'x' });
    const msg = await fail;
    assert.equal(msg.payload.status, 'Failed');
  });

  it('gives up waiting after its timeout and reports the still-pending action on output 2', async () => {
    sim = await simulator({ actionTimings: { pendingMs: 60_000, inProgressMs: 60_000 } });
    const machine = pickMachine(sim);
    await load({ timeoutSeconds: 1, pollSeconds: 0.2 });
    const fail = nextMessage(helper.getNode('fail'), 10000);
    helper.getNode('iso').receive({ machineId: machine.id, alertId: 'x' });
    const msg = await fail;
    assert.equal(msg.mde.timedOut, true);
    assert.equal(msg.payload.status, 'Pending');
    assert.equal(msg.payload.machineId, machine.id);
  });

  it('never isolates a protected machine (tag, name pattern, ID)', async () => {
    sim = await simulator();
    const dc = sim.state.machines.find((m) => (m.machineTags || []).includes('DoNotIsolate'));
    const byName = pickMachine(sim, (m) => m.id !== dc.id);
    const byId = pickMachine(sim, (m) => m.id !== dc.id && m.id !== byName.id);
    await load({ protectedNames: `${byName.computerDnsName.split('.')[0].slice(0, 3)}*`, protectedIds: byId.id, wait: false });
    for (const [machine, reason] of [[dc, /DoNotIsolate/], [byName, /pattern/], [byId, /protected list/]]) {
      const caught = nextMessage(helper.getNode('caught'));
      helper.getNode('iso').receive({ machineId: machine.id, alertId: 'x' });
      const msg = await caught;
      assert.equal(msg.error.code, 'ProtectedMachine');
      assert.match(msg.error.message, reason);
    }
    assert.equal(isolationPosts(sim).length, 0);
  });

  it('refuses isolations beyond the blast-radius cap of the connection', async () => {
    sim = await simulator();
    await load({ wait: false }, { isolationCap: 2, isolationWindowMinutes: 10 });
    const machines = sim.state.machines.filter((m) => /^Windows/.test(m.osPlatform) && !(m.machineTags || []).includes('DoNotIsolate')).slice(0, 3);
    const oks = collect(helper.getNode('ok'), 2);
    const caught = nextMessage(helper.getNode('caught'));
    for (const m of machines) {
      helper.getNode('iso').receive({ machineId: m.id, alertId: 'x' });
      await sleep(100);
    }
    await oks;
    const msg = await caught;
    assert.equal(msg.error.code, 'BlastRadiusCap');
    assert.match(msg.error.message, /limit 2/);
    assert.equal(isolationPosts(sim).length, 2);
  });

  it('refuses a release that contradicts an isolation inside the conflict window', async () => {
    sim = await simulator();
    const machine = pickMachine(sim);
    useFreshStateDir();
    const flow = isolateFlow(sim, { wait: false });
    flow.push({ ...flow.find((n) => n.id === 'iso'), id: 'rel', action: 'release', wires: [['ok'], ['fail']] });
    await helper.load([nodes.config, nodes.isolate], flow, secretCredentials());
    const ok = nextMessage(helper.getNode('ok'));
    helper.getNode('iso').receive({ machineId: machine.id, alertId: 'x' });
    await ok;
    const caught = nextMessage(helper.getNode('caught'));
    helper.getNode('rel').receive({ machineId: machine.id, alertId: 'x' });
    const msg = await caught;
    assert.equal(msg.error.code, 'ContradictoryAction');
    assert.equal(isolationPosts(sim, 'unisolate').length, 0);
  });

  it('sends nothing in dry run and outputs the exact request', async () => {
    sim = await simulator();
    const machine = pickMachine(sim);
    await load({ dryRun: true, isolationType: 'Full' });
    const ok = nextMessage(helper.getNode('ok'));
    helper.getNode('iso').receive({ machineId: machine.id, alertId: 'da9' });
    const msg = await ok;
    assert.equal(msg.mde.dryRun, true);
    assert.equal(msg.mde.request.method, 'POST');
    assert.equal(msg.mde.request.url, `${sim.url}/api/machines/${machine.id}/isolate`);
    assert.deepEqual(msg.mde.request.body, { Comment: 'Isolated by flow Isolation playbook for alert da9', IsolationType: 'Full' });
    assert.equal(apiRequests(sim, (r) => r.method !== 'GET').length, 0, 'no action was sent');
  });

  it('rejects a malformed machine ID and a missing machine before any request', async () => {
    sim = await simulator();
    await load();
    let caught = nextMessage(helper.getNode('caught'));
    helper.getNode('iso').receive({ machineId: '../../machines; DROP', alertId: 'x' });
    let msg = await caught;
    assert.equal(msg.error.code, 'InvalidInput');
    caught = nextMessage(helper.getNode('caught'));
    helper.getNode('iso').receive({ alertId: 'x' });
    msg = await caught;
    assert.match(msg.error.message, /msg\.machineId/);
    caught = nextMessage(helper.getNode('caught'));
    helper.getNode('iso').receive({ machineId: ['a'], alertId: 'x' });
    msg = await caught;
    assert.match(msg.error.message, /string/);
    assert.equal(apiRequests(sim).length, 0);
  });

  it('picks up a pending action again after a restart and reports its outcome', async () => {
    sim = await simulator({ actionTimings: { pendingMs: 1500, inProgressMs: 500 } });
    const machine = pickMachine(sim);
    const stateDir = useFreshStateDir();
    const flow = isolateFlow(sim);
    await helper.load([nodes.config, nodes.isolate], flow, secretCredentials());
    helper.getNode('iso').receive({ machineId: machine.id, alertId: 'before-restart', topic: 'kept across restart' });
    await sleep(400);
    assert.equal(isolationPosts(sim).length, 1);
    // Node-RED stops (the wait is abandoned) and starts again with the same state directory.
    await helper.unload();
    helper.settings({ mdeConfigStateDir: stateDir });
    await helper.load([nodes.config, nodes.isolate], flow, secretCredentials());
    const msg = await nextMessage(helper.getNode('ok'), 10000);
    assert.equal(msg.payload.status, 'Succeeded');
    assert.equal(msg.mde.resumed, true);
    assert.equal(msg.topic, 'kept across restart');
    assert.equal(isolationPosts(sim).length, 1, 'the isolation was not sent again');
  });
});
