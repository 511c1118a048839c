'use strict';
// mde-isolate in a real Node-RED runtime against the simulator.
const { describe, it } = require('node:test');
const { useFlowSuite } = require('../helpers/flow-suite');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { helper, nodes, useFreshStateDir } = require('../helpers/node-red');
const { simulator, configNode, secretCredentials, apiRequests, nextMessage, collect, sleep, APPS } = require('../helpers/sim');

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

const journalFile = (stateDir) => path.join(stateDir, 'mde-action-journal.json');
/** The journal file as text ('' before its first write). It also holds the isolation ledger, keyed by machine. */
const readJournal = (stateDir) => (fs.existsSync(journalFile(stateDir)) ? fs.readFileSync(journalFile(stateDir), 'utf8') : '');

async function until(check, what, ms = 10000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

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

  it('writes neither the token nor the secret to the journal, and resumes after a restart with _msgid and topic', async () => {
    sim = await simulator({ actionTimings: { pendingMs: 2000, inProgressMs: 300 } });
    const machine = pickMachine(sim);
    const stateDir = useFreshStateDir();
    const flow = isolateFlow(sim);
    flow.push(
      { id: 'tok', type: 'mde-token', z: 'tab', config: 'cfg', audience: 'mde', requiredRoles: '', wires: [['iso', 'tokenOut']] },
      { id: 'tokenOut', type: 'helper', z: 'tab' },
    );
    await helper.load([nodes.config, nodes.token, nodes.isolate], flow, secretCredentials());
    const tokenMsg = nextMessage(helper.getNode('tokenOut'));
    helper.getNode('tok').receive({ _msgid: 'playbook-run-7', machineId: machine.id, alertId: 'da1', topic: 'case 42' });
    const token = (await tokenMsg).token.accessToken;
    assert.match(token, /^eyJ/);
    // While the action is pending the journal holds its record, and nothing secret.
    const text = await until(() => (readJournal(stateDir).includes('"actionId"') ? readJournal(stateDir) : ''), 'the pending record');
    assert.ok(text.includes(machine.id) && text.includes('case 42'));
    for (const leak of [token, token.split('.')[1], 'Bearer', APPS.soc.secret, 'accessToken', 'Authorization', 'da1']) {
      assert.ok(!text.includes(leak), `the journal on disk holds ${leak.slice(0, 20)}`);
    }
    // Node-RED stops; a new process starts from what is on disk (a copy in another state directory).
    await helper.unload();
    const restarted = useFreshStateDir();
    fs.copyFileSync(journalFile(stateDir), journalFile(restarted));
    await helper.load([nodes.config, nodes.token, nodes.isolate], flow, secretCredentials());
    const msg = await nextMessage(helper.getNode('ok'), 10000);
    assert.equal(msg.payload.status, 'Succeeded');
    assert.equal(msg.mde.resumed, true);
    assert.equal(msg.mde.machineId, machine.id);
    assert.equal(msg._msgid, 'playbook-run-7');
    assert.equal(msg.topic, 'case 42');
    assert.equal(msg.token, undefined);
    assert.equal(msg.headers, undefined);
    assert.equal(msg.alertId, undefined, 'only _msgid and topic are kept');
    assert.equal(isolationPosts(sim).length, 1, 'the isolation was not sent again');
    await until(() => Object.keys(JSON.parse(readJournal(restarted)).records).length === 0, 'the record to be removed once reported');
  });

  it('rewrites a journal left by the previous version (whole messages, token included) as soon as a connection is deployed', async () => {
    sim = await simulator();
    const stateDir = useFreshStateDir();
    const token = 'eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJvbGQtdmVyc2lvbiJ9.canary-signature';
    fs.writeFileSync(journalFile(stateDir), JSON.stringify({
      version: 1,
      pending: { iso: [{ actionId: '5382f7ea-7557-4ab7-9782-d50480024a4e', verb: 'isolate', machineId: 'm', startedAt: 1, deadline: 2, msg: { topic: 'old', token: { accessToken: token }, headers: { Authorization: `Bearer ${token}` } } }] },
      guards: {},
    }));
    await helper.load([nodes.config], [tab, configNode(sim)], secretCredentials());
    const text = await until(() => (readJournal(stateDir).includes('"version": 2') ? readJournal(stateDir) : ''), 'the journal to be rewritten');
    assert.ok(!text.includes(token) && !text.includes('Bearer'), text);
    assert.ok(text.includes('5382f7ea-7557-4ab7-9782-d50480024a4e'), 'the pending action itself is kept');
  });

  it('refuses unknown settings with a red status at deploy and for every message, before any request', async () => {
    sim = await simulator();
    const machine = pickMachine(sim);
    const cases = [
      [{ action: 'unisolate' }, 'action', /"unisolate"; allowed: "isolate" or "release"/],
      [{ action: undefined }, 'action', /is nothing/],
      [{ isolationType: 'Bogus' }, 'isolationType', /"Bogus"; allowed: "Selective" or "Full"/],
      [{ isolationType: 'full' }, 'isolationType', /"full"/],
      [{ isolationType: undefined }, 'isolationType', /nothing/],
      [{ action: 'release', isolationType: 'Bogus' }, 'isolationType', /"Bogus"/],
      [{ machineBy: 'hostname' }, 'machineBy', /"hostname"; allowed: "id" or "name"/],
      [{ machineType: 'js' }, 'machineType', /"js"/],
      [{ wait: 'yes' }, 'wait', /"yes"; allowed: true or false/],
      [{ timeoutSeconds: 'ten' }, 'timeoutSeconds', /"ten"; allowed: a number of seconds, at least 1/],
      [{ timeoutSeconds: '' }, 'timeoutSeconds', /an empty string/],
      [{ pollSeconds: -1 }, 'pollSeconds', /-1/],
      [{ conflictWindowSeconds: {} }, 'conflictWindowSeconds', /object/],
      [{ dryRun: 'false' }, 'dryRun', /"false"; allowed: true or false/],
      [{ dryRun: 1 }, 'dryRun', /1; allowed/],
      [{ protectedTags: 42 }, 'protectedTags', /42/],
    ];
    for (const [props, setting, reason] of cases) {
      const label = JSON.stringify(props);
      await load(props);
      const iso = helper.getNode('iso');
      const red = iso.status.args.map((a) => a[0]).find((st) => st && st.fill === 'red');
      assert.ok(red, `${label}: red status at deploy`);
      assert.equal(red.text, 'InvalidSetting', label);
      const caught = nextMessage(helper.getNode('caught'));
      iso.receive({ machineId: machine.id, alertId: 'x' });
      const msg = await caught;
      assert.equal(msg.error.code, 'InvalidSetting', label);
      assert.ok(msg.error.message.includes(`"${setting}"`), `${label}: ${msg.error.message}`);
      assert.match(msg.error.message, reason, label);
      await helper.unload();
    }
    assert.equal(apiRequests(sim).length, 0, 'nothing was sent');
    // The dialog's own values still deploy cleanly.
    await load({ action: 'release', isolationType: 'Full', timeoutSeconds: '600', pollSeconds: '0.05' });
    assert.ok(!helper.getNode('iso').status.args.some((a) => a[0] && a[0].fill === 'red'));
  });

  for (const mode of ['reset', 'cut', 'invalid-json']) {
    it(`finds and follows the action when the isolate answer is lost (${mode}), with exactly one POST`, async () => {
      sim = await simulator({ actionTimings: { pendingMs: 200, inProgressMs: 100 } });
      const machine = pickMachine(sim);
      await load();
      sim.setFaults({ dropAnswerNext: [{ mode, method: 'POST', pathIncludes: '/isolate' }] });
      const ok = nextMessage(helper.getNode('ok'), 10000);
      helper.getNode('iso').receive({ machineId: machine.id, alertId: 'x', topic: 't' });
      const msg = await ok;
      assert.equal(msg.mde.recovered, true);
      assert.equal(msg.payload.status, 'Succeeded');
      assert.equal(msg.payload.type, 'Isolate');
      assert.equal(msg.payload.machineId, machine.id);
      assert.equal(msg.payload.id, sim.state.actions.find((a) => a.machineId === machine.id).id);
      assert.equal(msg.topic, 't');
      assert.equal(isolationPosts(sim).length, 1, 'exactly one isolate request on the wire');
      const lookup = apiRequests(sim, (r) => r.method === 'GET' && r.path === '/api/machineactions' && decodeURIComponent(r.query).includes('creationDateTimeUtc ge '));
      assert.ok(lookup.length >= 1, 'looked up with the documented filter');
      const filter = decodeURIComponent(lookup[0].query);
      assert.ok(filter.includes(`machineId eq '${machine.id}'`) && filter.includes("type eq 'Isolate'"), filter);
      assert.match(JSON.stringify(helper.getNode('iso').warn.args), /was lost.*Nothing was sent again/);
    });
  }

  it('finds the action again after a redeploy while the isolate request was on the wire, and sends it once', async () => {
    sim = await simulator({ actionTimings: { pendingMs: 1500, inProgressMs: 300 } });
    const machine = pickMachine(sim);
    const stateDir = useFreshStateDir();
    const flow = isolateFlow(sim);
    await helper.load([nodes.config, nodes.isolate], flow, secretCredentials());
    sim.setFaults({ dropAnswerNext: [{ mode: 'hold', method: 'POST', pathIncludes: '/isolate', holdMs: 30_000 }] });
    helper.getNode('iso').receive({ machineId: machine.id, alertId: 'x', topic: 'on the wire' });
    await until(() => sim.state.actions.some((a) => a.machineId === machine.id), 'MDE to create the action');
    // The intent was on disk before the request left: machine, type, time, no action id yet.
    const intent = JSON.parse(readJournal(stateDir)).records.iso;
    assert.equal(intent.length, 1);
    assert.equal(intent[0].machineId, machine.id);
    assert.equal(intent[0].actionType, 'Isolate');
    assert.equal(intent[0].actionId, undefined);
    assert.ok(intent[0].intentAt <= Date.now());
    await helper.setFlows(flow, 'full', secretCredentials());
    const msg = await nextMessage(helper.getNode('ok'), 10000);
    assert.equal(msg.mde.resumed, true);
    assert.equal(msg.mde.recovered, true);
    assert.equal(msg.topic, 'on the wire');
    assert.equal(msg.payload.status, 'Succeeded');
    assert.equal(isolationPosts(sim).length, 1, 'the isolation was not sent again');
  });

  it('says plainly that the isolation may have been carried out when the answer is lost and no action is found', async () => {
    sim = await simulator();
    const machine = pickMachine(sim);
    const stateDir = useFreshStateDir();
    await helper.load([nodes.config, nodes.isolate], isolateFlow(sim), secretCredentials());
    // The connection drops before MDE acts: nothing to find afterwards.
    sim.setFaults({ failNext: [{ status: 0, pathIncludes: '/isolate' }] });
    const caught = nextMessage(helper.getNode('caught'), 10000);
    helper.getNode('iso').receive({ machineId: machine.id, alertId: 'x' });
    const msg = await caught;
    assert.equal(msg.error.code, 'OutcomeUnknown');
    assert.match(msg.error.message, /may have been carried out/);
    assert.match(msg.error.message, /not sent again/);
    assert.ok(msg.error.message.includes(machine.id), 'names the machine');
    assert.equal(msg.mde.error.code, 'OutcomeUnknown');
    assert.equal(isolationPosts(sim).length, 1, 'not resent');
    assert.equal(sim.state.actions.length, 0);
    const lookups = apiRequests(sim, (r) => r.method === 'GET' && r.path === '/api/machineactions' && decodeURIComponent(r.query).includes('creationDateTimeUtc ge '));
    assert.equal(lookups.length, 3, 'asked MDE three times (its list can lag) before giving up');
    assert.deepEqual(JSON.parse(readJournal(stateDir)).records, {}, 'the record is gone once reported');
  });

  it('reports OutcomeUnknown at Catch after a restart when an intent left on disk matches no action in MDE', async () => {
    sim = await simulator();
    const machine = pickMachine(sim);
    const stateDir = useFreshStateDir();
    const intentAt = Date.now() - 5000;
    fs.writeFileSync(journalFile(stateDir), JSON.stringify({
      version: 2,
      records: { iso: [{ requestId: 'req-1', actionType: 'Isolate', verb: 'isolate', scope: 'Selective', machineId: machine.id, computerDnsName: machine.computerDnsName, intentAt, deadline: intentAt + 60_000, commentSha256: 'x', msg: { topic: 'lost' } }] },
      guards: {},
    }));
    await helper.load([nodes.config, nodes.isolate], isolateFlow(sim), secretCredentials());
    const msg = await nextMessage(helper.getNode('caught'), 10000);
    assert.equal(msg.error.code, 'OutcomeUnknown');
    assert.match(msg.error.message, /redeployed or Node-RED stopped while the request was being sent/);
    assert.match(msg.error.message, /may have been carried out/);
    assert.match(msg.error.message, /request req-1/);
    assert.equal(msg.topic, 'lost');
    assert.equal(msg.mde.resumed, true);
    assert.equal(isolationPosts(sim).length, 0, 'nothing was sent');
    await until(() => Object.keys(JSON.parse(readJournal(stateDir)).records).length === 0, 'the record to be removed once reported');
  });

  it('refuses Selective isolation for Linux, macOS and Windows 10 before 1709 before sending; Full isolates Linux', async () => {
    sim = await simulator();
    const linux = sim.state.machines.find((m) => m.computerDnsName === 'lnx-web-01.contoso-sim.local');
    const mac = sim.state.machines.find((m) => m.computerDnsName === 'mac-dsg-0031.contoso-sim.local');
    const old = pickMachine(sim, (m) => m.osPlatform === 'Windows10');
    Object.assign(old, { osBuild: 15063, version: '1703' });
    useFreshStateDir();
    const flow = isolateFlow(sim, { wait: false });
    flow.push({ ...flow.find((n) => n.id === 'iso'), id: 'full', isolationType: 'Full' });
    await helper.load([nodes.config, nodes.isolate], flow, secretCredentials());
    for (const [machine, re] of [[linux, /runs Linux.*Full isolation only/], [mac, /runs macOS/], [old, /Windows 10 version 1703, build 15063.*1709/]]) {
      const caught = nextMessage(helper.getNode('caught'));
      helper.getNode('iso').receive({ machineId: machine.id, alertId: 'x' });
      const msg = await caught;
      assert.equal(msg.error.code, 'IsolationTypeNotSupported', machine.computerDnsName);
      assert.match(msg.error.message, re);
      assert.ok(msg.error.message.includes(machine.computerDnsName));
    }
    assert.equal(isolationPosts(sim).length, 0, 'nothing was sent');
    const ok = nextMessage(helper.getNode('ok'));
    helper.getNode('full').receive({ machineId: linux.id, alertId: 'x' });
    assert.equal((await ok).payload.scope, 'Full');
    assert.equal(isolationPosts(sim).length, 1);
  });
});
