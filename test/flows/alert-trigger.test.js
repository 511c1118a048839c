'use strict';
// mde-alert-trigger in a real Node-RED runtime against the simulator's Graph alerts_v2 /
// incidents. Polls are driven through the optional input wire ("poll now"; a Complete node says
// when that poll ended) or, where the schedule itself is under test, a short interval allowed
// by the test-only settings.js floor. No test asserts a duration.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { useFlowSuite } = require('../helpers/flow-suite');
const { helper, nodes, useFreshStateDir, userDir } = require('../helpers/node-red');
const { simulator, configNode, secretCredentials, apiRequests, nextMessage, APPS, TENANT } = require('../helpers/sim');

const tab = { id: 'tab', type: 'tab', label: 'alert trigger tests' };
const CHECKPOINTS = 'mde-trigger-checkpoints.json';
const MIN = 60_000;

function triggerFlow(sim, props = {}, cfg = {}) {
  return [
    tab,
    configNode(sim, cfg),
    {
      id: 'trigger', type: 'mde-alert-trigger', z: 'tab', name: '', config: 'cfg', source: 'alerts', mode: 'created',
      interval: 3600, lookback: 60, overlap: 5, severity: '', statusFilter: '', serviceSource: '', classification: '', determination: '', assignedTo: '',
      wires: [['out']], ...props,
    },
    { id: 'out', type: 'helper', z: 'tab' },
    { id: 'on-complete', type: 'complete', z: 'tab', scope: ['trigger'], wires: [['polled']] },
    { id: 'polled', type: 'helper', z: 'tab' },
    { id: 'catcher', type: 'catch', z: 'tab', scope: ['trigger'], wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}

const graphAlertRequests = (sim) => apiRequests(sim, (r) => /\/security\/alerts_v2$/i.test(r.path));

describe('mde-alert-trigger node', () => {
  let sim;
  useFlowSuite();

  /** Deploys the trigger (state kept in `dir`) and collects everything it sends. */
  async function deploy(props = {}, { dir = useFreshStateDir(), settings = {}, cfg = {}, creds = secretCredentials() } = {}) {
    helper.settings({ userDir, mdeConfigStateDir: dir, ...settings });
    await helper.load([nodes.config, nodes.alertTrigger], triggerFlow(sim, props, cfg), creds);
    const received = [];
    helper.getNode('out').on('input', (msg) => received.push(msg));
    const caught = [];
    helper.getNode('caught').on('input', (msg) => caught.push(msg));
    return { received, caught, dir, trigger: helper.getNode('trigger') };
  }

  /** A message on the input wire; resolves when that poll has ended (Complete node). */
  async function pollNow(ms = 60_000) {
    const done = nextMessage(helper.getNode('polled'), ms);
    helper.getNode('trigger').receive({ payload: 'poll now' });
    return done;
  }

  const ids = (msgs) => msgs.map((m) => m.topic);
  const savedCheckpoint = (dir) => {
    const doc = JSON.parse(fs.readFileSync(path.join(dir, CHECKPOINTS), 'utf8'));
    return doc.checkpoints[`trigger|${TENANT.toLowerCase()}|alerts`];
  };

  it('sends each alert created since the look-back once, oldest first, topic = ID, payload in the Graph shape', async () => {
    sim = await simulator({ alerts: 200 });
    const { received, dir } = await deploy({ lookback: 24 * 60 });
    await pollNow();
    const start = savedCheckpoint(dir).start;
    const expected = sim.state.alerts.filter((a) => a.alertCreationTime >= start).sort((a, b) => (a.alertCreationTime < b.alertCreationTime ? -1 : 1));
    assert.ok(expected.length > 0 && expected.length < sim.state.alerts.length, 'the seed has alerts on both sides of the look-back');
    assert.deepEqual(new Set(ids(received)), new Set(expected.map((a) => a.id)));
    assert.equal(received.length, expected.length, 'none twice');
    const times = received.map((m) => m.payload.createdDateTime);
    assert.deepEqual(times, [...times].sort(), 'oldest first');
    const msg = received[0];
    assert.equal(msg.topic, msg.payload.id);
    assert.equal(msg.payload.serviceSource, 'microsoftDefenderForEndpoint');
    assert.ok(Array.isArray(msg.payload.evidence));
    assert.deepEqual({ source: msg.mde.source, event: msg.mde.event, field: msg.mde.field }, { source: 'alerts', event: 'created', field: 'createdDateTime' });
    assert.equal(msg.mde.changed, undefined);

    await pollNow();
    assert.equal(received.length, expected.length, 'a second poll sends nothing again');
  });

  it('resumes after a redeploy and after a restart (checkpoint file under the user directory), nothing twice or lost', async () => {
    sim = await simulator({ alerts: 100 });
    const first = await deploy({ lookback: 24 * 60 });
    await pollNow();
    const before = first.received.length;
    assert.ok(before > 0);
    await helper.unload();

    const a1 = sim.addAlert();
    const second = await deploy({ lookback: 24 * 60 }, { dir: first.dir });
    await pollNow();
    assert.deepEqual(ids(second.received), [a1.id], 'redeploy: only the alert created meanwhile');
    await helper.unload();

    // A restart: a new process reads the file from disk (a new directory = a store never loaded here).
    const restartDir = fs.mkdtempSync(path.join(userDir, 'restart-'));
    fs.copyFileSync(path.join(first.dir, CHECKPOINTS), path.join(restartDir, CHECKPOINTS));
    const a2 = sim.addAlert();
    const third = await deploy({ lookback: 24 * 60 }, { dir: restartDir });
    await pollNow();
    assert.deepEqual(ids(third.received), [a2.id], 'restart: only the alert created meanwhile');

    const text = fs.readFileSync(path.join(restartDir, CHECKPOINTS), 'utf8');
    assert.ok(!text.includes(APPS.soc.secret), 'no secret in the checkpoint file');
    assert.equal(fs.statSync(path.join(restartDir, CHECKPOINTS)).mode & 0o777, 0o600);
    assert.ok(savedCheckpoint(restartDir).seen.some(([id]) => id === a2.id), 'IDs inside the overlap window are in the file');
  });

  it('sends a burst of 2,500 alerts with one timestamp across three pages once each, then a late arrival', async () => {
    sim = await simulator({ alerts: 20 });
    const { received } = await deploy({ lookback: 2 });
    await pollNow();
    const baseline = received.length;

    const burst = sim.addAlerts(2500);
    assert.equal(new Set(burst.map((a) => a.alertCreationTime)).size, 1, 'one timestamp');
    const requestsBefore = graphAlertRequests(sim).length;
    await pollNow();
    const got = ids(received.slice(baseline));
    assert.equal(got.length, 2500);
    assert.deepEqual(new Set(got), new Set(burst.map((a) => a.id)));
    assert.deepEqual(got, [...got].sort(), 'ties in ID order');
    assert.equal(graphAlertRequests(sim).length - requestsBefore, 3, 'three pages of 1,000');

    const fresh = sim.addAlert();
    await pollNow();
    // Reaches the API now, timestamped 20 s ago: below the checkpoint (the fresh alert), inside the overlap.
    const [late] = sim.addAlerts(1, {}, { lateByMs: 20_000 });
    assert.ok(late.alertCreationTime < fresh.alertCreationTime);
    await pollNow();
    await pollNow();
    assert.deepEqual(ids(received.slice(baseline + 2500)), [fresh.id, late.id]);
  });

  it('in "created and updated" mode sends an alert again when it changes, naming the changed fields', async () => {
    sim = await simulator({ alerts: 20 });
    const { received } = await deploy({ mode: 'updated', lookback: 5 });
    await pollNow();
    const alert = sim.addAlert({ severity: 'Medium' });
    await pollNow();
    const created = received.filter((m) => m.topic === alert.id);
    assert.equal(created.length, 1);
    assert.equal(created[0].mde.event, 'created');
    assert.equal(created[0].mde.field, 'lastUpdateDateTime');

    sim.updateAlert(alert.id, { status: 'InProgress', assignedTo: 'analyst2@contoso-sim.onmicrosoft.com' });
    await pollNow();
    const updates = received.filter((m) => m.topic === alert.id).slice(1);
    assert.equal(updates.length, 1);
    assert.equal(updates[0].mde.event, 'updated');
    assert.deepEqual([...updates[0].mde.changed].sort(), ['assignedTo', 'status']);
    assert.equal(updates[0].payload.status, 'inProgress');

    await pollNow();
    assert.equal(received.filter((m) => m.topic === alert.id).length, 2, 'the same version is not sent twice');
  });

  it('drains a backlog of 10,000 alerts at the rate budget without a single 429, in time order', async () => {
    const budget = { 'graph-alerts': [{ limit: 4, windowMs: 1000 }] };
    sim = await simulator({ alerts: 20, rateLimits: budget });
    const { received, caught } = await deploy({ lookback: 5 }, { settings: { mdeConfigRateLimits: budget } });
    await pollNow();
    const baseline = received.length;
    for (let i = 0; i < 10; i++) sim.addAlerts(1000, {}, { lateByMs: (10 - i) * 1000 });
    const requestsBefore = graphAlertRequests(sim).length;
    await pollNow(120_000);
    const got = received.slice(baseline);
    assert.equal(got.length, 10_000);
    assert.equal(new Set(ids(got)).size, 10_000);
    const times = got.map((m) => m.payload.createdDateTime);
    assert.deepEqual(times, [...times].sort());
    // The window also holds the alerts sent before the backlog (already sent, skipped): pages = all matching / 1,000.
    const pollRequests = graphAlertRequests(sim).slice(requestsBefore);
    const since = /createdDateTime ge ([^ &]+)/.exec(decodeURIComponent(pollRequests[0].query))[1];
    const matching = sim.state.alerts.filter((a) => Date.parse(a.alertCreationTime) >= Date.parse(since)).length;
    assert.ok(matching >= 10_000);
    assert.equal(new Set(pollRequests.map((r) => r.query)).size, pollRequests.length, 'no page read twice');
    // A full last page without nextLink is followed by one $skip request that confirms the end (the client's paging).
    assert.ok(pollRequests.length <= Math.floor(matching / 1000) + 1, `${pollRequests.length} requests for ${matching} alerts`);
    assert.equal(apiRequests(sim, (r) => r.status === 429).length, 0, 'the governor kept inside the budget');
    assert.equal(caught.length, 0);
  });

  it('stopped mid-batch by a redeploy, resumes after the last alert it sent: none lost, none twice', async () => {
    sim = await simulator({ alerts: 20 });
    const first = await deploy({ lookback: 5 });
    await pollNow();
    for (let i = 0; i < 5; i++) sim.addAlerts(1000, {}, { lateByMs: (5 - i) * 1000 });
    const backlog = new Set(sim.state.alerts.slice(-5000).map((a) => a.id));
    const sent = [];
    const trigger = first.trigger;
    const send = trigger.send.bind(trigger);
    trigger.send = (msg) => {
      sent.push(msg.topic);
      send(msg);
    };
    const stopped = new Promise((resolve) => {
      helper.getNode('out').on('input', () => {
        if (sent.length >= 500 && !trigger.stopping) {
          trigger.stopping = true;
          resolve(helper.unload());
        }
      });
    });
    helper.getNode('trigger').receive({ payload: 'poll now' });
    await stopped;
    const sentBeforeStop = sent.filter((id) => backlog.has(id));
    assert.ok(sentBeforeStop.length >= 500 && sentBeforeStop.length < 5000, `stopped mid-batch after ${sentBeforeStop.length}`);

    const second = await deploy({ lookback: 5 }, { dir: first.dir });
    await pollNow(120_000);
    const rest = ids(second.received).filter((id) => backlog.has(id));
    assert.equal(sentBeforeStop.length + rest.length, 5000, 'every alert of the backlog once');
    assert.deepEqual(new Set([...sentBeforeStop, ...rest]), backlog);
  });

  it('a failing poll shows a red status, reaches Catch, keeps the checkpoint, and the next poll sends the alert once', async () => {
    sim = await simulator({ alerts: 20 });
    const { received, caught, trigger } = await deploy({ lookback: 5 });
    await pollNow();
    const alert = sim.addAlert();
    sim.setFaults({ failNext: [{ status: 400, pathIncludes: 'alerts_v2', count: 1 }] });
    const failed = nextMessage(helper.getNode('caught'));
    trigger.receive({ payload: 'poll now', topic: 'keep' });
    const err = await failed;
    assert.equal(err.topic, 'keep', 'the message that asked for the poll');
    assert.equal(err.mde.error.status, 400);
    assert.match(err.error.message, /400|Simulated failure/);
    const lastStatus = trigger.status.args.filter((a) => a[0] && a[0].fill).at(-1)[0];
    assert.equal(lastStatus.fill, 'red');
    assert.equal(received.some((m) => m.topic === alert.id), false);

    await pollNow();
    assert.deepEqual(ids(received).filter((id) => id === alert.id), [alert.id]);
    assert.equal(caught.length, 1);
  });

  it('on its schedule: a failed poll goes to Catch with msg.mde.error and the next interval sends the alert', async () => {
    sim = await simulator({ alerts: 20 });
    sim.setFaults({ failNext: [{ status: 400, pathIncludes: 'alerts_v2', count: 2 }] });
    const alert = sim.addAlert();
    const { received } = await deploy({ lookback: 5, interval: 0.2 }, { settings: { mdeAlertTriggerMinIntervalSeconds: 0.1 } });
    const failure = await nextMessage(helper.getNode('caught'), 20_000);
    assert.equal(failure.mde.source, 'alerts');
    assert.equal(failure.mde.error.status, 400);
    const delivered = await nextMessage(helper.getNode('out'), 20_000);
    assert.equal(delivered.topic, alert.id);
    assert.equal(received.filter((m) => m.topic === alert.id).length, 1);
  });

  for (const [interval, why] of [[5, 'below 10 s'], ['abc', 'not a number'], [true, 'a boolean']]) {
    it(`refuses a poll interval ${why} at deploy with a red status, and never polls`, async () => {
      sim = await simulator({ alerts: 5 });
      const { trigger } = await deploy({ interval });
      const status = trigger.status.args.map((a) => a[0]).find((s) => s && s.fill === 'red');
      assert.equal(status.text, 'InvalidSetting');
      const caught = nextMessage(helper.getNode('caught'));
      trigger.receive({ payload: 'poll now' });
      const msg = await caught;
      assert.match(msg.error.message, /poll interval must be a number of seconds from 10 to 86400/);
      assert.equal(apiRequests(sim).length, 0, 'nothing was sent');
    });
  }

  it('passes the filters to the list call and sends only matching alerts', async () => {
    sim = await simulator({ alerts: 200 });
    const { received, dir } = await deploy({ lookback: 7 * 24 * 60, severity: 'high', statusFilter: 'new' });
    await pollNow();
    const start = savedCheckpoint(dir).start;
    const expected = sim.state.alerts.filter((a) => a.alertCreationTime >= start && a.severity === 'High' && a.status === 'New');
    assert.ok(expected.length > 0);
    assert.deepEqual(new Set(ids(received)), new Set(expected.map((a) => a.id)));
    assert.ok(received.every((m) => m.payload.severity === 'high' && m.payload.status === 'new'));
    const query = decodeURIComponent(graphAlertRequests(sim)[0].query);
    assert.match(query, /severity eq 'high'/);
    assert.match(query, /status eq 'new'/);
    assert.match(query, /createdDateTime ge \d{4}-/);
  });

  it('refuses a filter value Graph does not know at deploy', async () => {
    sim = await simulator({ alerts: 5 });
    const { trigger } = await deploy({ severity: 'critical' });
    const caught = nextMessage(helper.getNode('caught'));
    trigger.receive({});
    assert.match((await caught).error.message, /critical/);
    assert.equal(apiRequests(sim).length, 0);
  });

  it('watches incidents: one message per new incident, topic = incident ID', async () => {
    sim = await simulator({ alerts: 20 });
    const { received } = await deploy({ source: 'incidents', lookback: 1 });
    await pollNow();
    const alert = sim.addAlert();
    await pollNow();
    const incidentId = String(sim.state.alerts.find((a) => a.id === alert.id).incidentId);
    const msgs = received.filter((m) => m.topic === incidentId);
    assert.equal(msgs.length, 1);
    assert.equal(msgs[0].mde.source, 'incidents');
    assert.equal(typeof msgs[0].payload.displayName, 'string');
    assert.ok(apiRequests(sim, (r) => /\/security\/incidents$/i.test(r.path)).length >= 1);
  });

  it('shows and resets the checkpoint through the editor routes, without any secret in the answers', async () => {
    sim = await simulator({ alerts: 20 });
    const { received } = await deploy({ lookback: 10 });
    await pollNow();
    const added = [sim.addAlert(), sim.addAlert()];
    await pollNow();
    const sentBefore = received.length;
    assert.ok(added.every((a) => ids(received).includes(a.id)));

    const state = await helper.request().get('/mde-alert-trigger/trigger/checkpoint').expect(200);
    assert.equal(state.body.ok, true);
    assert.equal(state.body.checkpoint.slice(0, 19), added[1].alertCreationTime.slice(0, 19));
    assert.ok(state.body.remembered >= 2);

    const reset = await helper.request().post('/mde-alert-trigger/trigger/reset').expect(200);
    assert.equal(reset.body.ok, true);
    assert.equal(reset.body.checkpoint, null);
    await pollNow();
    const again = ids(received.slice(sentBefore));
    assert.ok(added.every((a) => again.includes(a.id)), 'after a reset the look-back is sent again');

    await helper.request().post('/mde-alert-trigger/cfg/reset').expect(404);
    await helper.request().get('/mde-alert-trigger/nope/checkpoint').expect(404);
    for (const res of [state, reset]) assert.ok(!res.text.includes(APPS.soc.secret));
  });
});
