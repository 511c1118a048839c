'use strict';
// mde-machine-action in a real Node-RED runtime against the simulator: every response action on
// the isolate engine (journal, join, dry run, protected machines, caps, never resent).
const { describe, it } = require('node:test');
const { useFlowSuite } = require('../helpers/flow-suite');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { helper, nodes, useFreshStateDir } = require('../helpers/node-red');
const { simulator, configNode, secretCredentials, apiRequests, nextMessage, collect, sleep } = require('../helpers/sim');

const machineActionNode = require(path.resolve(__dirname, '..', '..', 'dist', 'nodes', 'mde-machine-action.js'));
const tab = { id: 'tab', type: 'tab', label: 'Response playbook' };
const SHA1 = '87662bc3d60e4200ceaf7aae249d1c343f4b83c9';

function actionFlow(sim, props = {}, cfg = {}) {
  return [
    tab,
    configNode(sim, cfg),
    {
      id: 'act', type: 'mde-machine-action', z: 'tab', name: '', config: 'cfg', action: 'scan', scanType: 'Quick',
      machine: 'machineId', machineType: 'msg', machineBy: 'id', sha1: 'sha1', sha1Type: 'msg', actionId: 'actionId', actionIdType: 'msg',
      liveScript: '', liveArgs: '', livePath: '', comment: 'By flow {{flowName}} for alert {{alertId}}',
      wait: true, timeoutSeconds: 30, pollSeconds: 0.05, dryRun: false, protectedIds: '', protectedNames: '', protectedTags: 'DoNotRespond',
      allowOffboard: false, allowLiveResponse: false, wires: [['ok']], ...props,
    },
    { id: 'ok', type: 'helper', z: 'tab' },
    { id: 'catcher', type: 'catch', z: 'tab', scope: null, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}

const posts = (sim, segment) => apiRequests(sim, (r) => r.method === 'POST' && (segment ? r.path.toLowerCase().endsWith(`/${segment.toLowerCase()}`) : true));
const journalFile = (stateDir) => path.join(stateDir, 'mde-action-journal.json');
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

function windowsMachines(sim) {
  return sim.state.machines.filter((m) => /^Windows/.test(m.osPlatform) && !(m.machineTags || []).some((t) => /^DoNot/i.test(t)));
}

const fast = { actionTimings: { pendingMs: 100, inProgressMs: 100 } };

describe('mde-machine-action node', () => {
  let sim;
  useFlowSuite();

  async function load(props, cfg) {
    const dir = useFreshStateDir();
    await helper.load([nodes.config, machineActionNode], actionFlow(sim, props, cfg), secretCredentials());
    return dir;
  }

  async function run(msg, outcome = 'ok') {
    const out = nextMessage(helper.getNode(outcome === 'ok' ? 'ok' : 'caught'), 15000);
    helper.getNode('act').receive(msg);
    return out;
  }

  it('runs a Quick antivirus scan, waits and outputs the succeeded action with the audit comment', async () => {
    sim = await simulator(fast);
    const [machine] = windowsMachines(sim);
    await load();
    const msg = await run({ machineId: machine.id, alertId: 'da1', topic: 'keep' });
    assert.equal(msg.topic, 'keep');
    assert.equal(msg.payload.type, 'RunAntiVirusScan');
    assert.equal(msg.payload.scope, 'Quick');
    assert.equal(msg.payload.status, 'Succeeded');
    assert.equal(msg.payload.requestorComment, 'By flow Response playbook for alert da1');
    assert.equal(msg.mde.actionId, msg.payload.id);
    assert.equal(msg.mde.machineId, machine.id);
    assert.equal(msg.mde.joined, false);
    assert.equal(msg.mde.dryRun, false);
    assert.equal(posts(sim, 'runAntiVirusScan').length, 1);
  });

  it('restricts and removes the restriction of app execution, resolving the machine by its exact name', async () => {
    sim = await simulator(fast);
    const [machine] = windowsMachines(sim);
    await load({ action: 'restrict', machineBy: 'name', machine: 'host', machineType: 'msg' });
    let msg = await run({ host: machine.computerDnsName, alertId: 'a' });
    assert.equal(msg.payload.type, 'RestrictCodeExecution');
    assert.equal(msg.payload.status, 'Succeeded');
    assert.equal(msg.mde.machineId, machine.id);
    msg = await run({ host: machine.computerDnsName, alertId: 'a', action: 'unrestrict' });
    assert.equal(msg.payload.type, 'UnrestrictCodeExecution');
    assert.equal(posts(sim, 'restrictCodeExecution').length, 1);
    assert.equal(posts(sim, 'unrestrictCodeExecution').length, 1);
  });

  it('collects an investigation package and puts its download link and the link expiry on msg.mde', async () => {
    sim = await simulator({ ...fast, packageLinkTtlMs: 10 * 60_000 });
    const [machine] = windowsMachines(sim);
    await load({ action: 'collect' });
    const before = Date.now();
    const msg = await run({ machineId: machine.id, alertId: 'p' });
    assert.equal(msg.payload.type, 'CollectInvestigationPackage');
    assert.equal(msg.payload.status, 'Succeeded');
    assert.match(msg.mde.packageUrl, /WDATP_Investigation_Package\.zip\?se=/);
    const expires = Date.parse(msg.mde.packageUrlExpiresAt);
    assert.ok(expires > before && expires <= Date.now() + 10 * 60_000 + 1000, msg.mde.packageUrlExpiresAt);
    assert.equal(msg.mde.packageUrlExpirySource, 'link');
    const link = apiRequests(sim, (r) => r.method === 'GET' && /\/getpackageuri$/i.test(r.path));
    assert.equal(link.length, 1);
  });

  it('stops and quarantines a file by SHA-1 and refuses a malformed SHA-1 before any request', async () => {
    sim = await simulator(fast);
    const [machine] = windowsMachines(sim);
    await load({ action: 'quarantine' });
    const msg = await run({ machineId: machine.id, sha1: SHA1.toUpperCase(), alertId: 'q' });
    assert.equal(msg.payload.type, 'StopAndQuarantineFile');
    assert.deepEqual(msg.payload.relatedFileInfo, { fileIdentifier: SHA1, fileIdentifierType: 'Sha1' });
    assert.equal(msg.payload.requestorComment, 'By flow Response playbook for alert q');
    assert.equal(posts(sim, 'StopAndQuarantineFile').length, 1);
    sim.clearLog();
    for (const bad of ['abc', `${SHA1}00`, 'z'.repeat(40), 42, ['x']]) {
      const caught = await run({ machineId: machine.id, sha1: bad, alertId: 'q' }, 'caught');
      assert.equal(caught.error.code, 'InvalidInput', String(bad));
      assert.match(caught.error.message, /SHA-1 \(40 hexadecimal characters\)|SHA-1 must be given as a string/);
    }
    assert.equal(apiRequests(sim).length, 0, 'nothing was sent for a bad SHA-1');
  });

  it('refuses offboard and live response unless enabled on the node, with no request at all', async () => {
    sim = await simulator(fast);
    const [machine] = windowsMachines(sim);
    await load({ action: 'offboard' });
    let caught = await run({ machineId: machine.id, alertId: 'o' }, 'caught');
    assert.equal(caught.error.code, 'ActionDisabled');
    assert.match(caught.error.message, /Offboard/i);
    caught = await run({ machineId: machine.id, alertId: 'o', action: 'liveresponse', liveResponse: { script: 'x.ps1' } }, 'caught');
    assert.equal(caught.error.code, 'ActionDisabled');
    assert.match(caught.error.message, /live response/i);
    await helper.unload();
    // A scan node cannot be turned into an offboard by a message either.
    await load({ action: 'scan' });
    caught = await run({ machineId: machine.id, alertId: 'o', action: 'offboard' }, 'caught');
    assert.equal(caught.error.code, 'ActionDisabled');
    assert.equal(apiRequests(sim).length, 0);
  });

  it('offboards once enabled, and the offboard cap (1 per 10 minutes by default) refuses the second', async () => {
    sim = await simulator(fast);
    const [first, second] = windowsMachines(sim);
    await load({ action: 'offboard', allowOffboard: true });
    const msg = await run({ machineId: first.id, alertId: 'o' });
    assert.equal(msg.payload.type, 'Offboard');
    assert.equal(msg.payload.status, 'Succeeded');
    const caught = await run({ machineId: second.id, alertId: 'o' }, 'caught');
    assert.equal(caught.error.code, 'BlastRadiusCap');
    assert.match(caught.error.message, /limit 1/);
    assert.equal(posts(sim, 'offboard').length, 1);
  });

  it('applies a cap per action type: scans are capped separately from restrictions', async () => {
    sim = await simulator(fast);
    const machines = windowsMachines(sim).slice(0, 3);
    await load({ capScan: 2, capRestrict: 5, wait: false });
    const oks = collect(helper.getNode('ok'), 2);
    const caught = nextMessage(helper.getNode('caught'));
    for (const m of machines) {
      helper.getNode('act').receive({ machineId: m.id, alertId: 'c' });
      await sleep(50);
    }
    await oks;
    const refused = await caught;
    assert.equal(refused.error.code, 'BlastRadiusCap');
    assert.match(refused.error.message, /2 RunAntiVirusScan requests in the last 10 minutes \(limit 2\)/);
    assert.equal(posts(sim, 'runAntiVirusScan').length, 2);
    const restricted = await run({ machineId: machines[2].id, alertId: 'c', action: 'restrict' });
    assert.equal(restricted.payload.type, 'RestrictCodeExecution', 'another type has its own cap');
  });

  it('runs live response (library script + get file) when enabled and returns a result link per command', async () => {
    sim = await simulator(fast);
    const [machine] = windowsMachines(sim);
    await load({ action: 'liveresponse', allowLiveResponse: true, liveScript: 'minidump.ps1', liveArgs: 'OfficeClickToRun', livePath: 'C:\\windows\\TEMP\\dump.zip' });
    const msg = await run({ machineId: machine.id, alertId: 'lr' });
    assert.equal(msg.payload.type, 'LiveResponse');
    assert.equal(msg.payload.status, 'Succeeded');
    assert.equal(posts(sim, 'runliveresponse').length, 1);
    assert.deepEqual(msg.payload.commands.map((c) => c.command), [
      { type: 'RunScript', params: [{ key: 'ScriptName', value: 'minidump.ps1' }, { key: 'Args', value: 'OfficeClickToRun' }] },
      { type: 'GetFile', params: [{ key: 'Path', value: 'C:\\windows\\TEMP\\dump.zip' }] },
    ]);
    const results = msg.mde.liveResponseResults;
    assert.equal(results.length, 2);
    assert.deepEqual(results.map((r) => [r.index, r.type, r.commandStatus]), [[0, 'RunScript', 'Completed'], [1, 'GetFile', 'Completed']]);
    for (const r of results) {
      assert.match(r.url, /\/liveresponse\/results\//);
      assert.ok(Date.parse(r.expiresAt) > Date.now());
    }
    assert.equal(apiRequests(sim, (r) => /GetLiveResponseResultDownloadLink\(index=\d\)$/.test(r.path)).length, 2);
  });

  it('reports a failed scan at Catch with code ActionFailed and the final action as payload', async () => {
    sim = await simulator({ ...fast, actionOutcome: (a) => (a.type === 'RunAntiVirusScan' ? 'Failed' : 'Succeeded') });
    const [machine] = windowsMachines(sim);
    await load({ scanType: 'Full' });
    const caught = await run({ machineId: machine.id, alertId: 'f', topic: 'failing' }, 'caught');
    assert.equal(caught.error.code, 'ActionFailed');
    assert.match(caught.error.message, /RunAntiVirusScan .* ended Failed/);
    assert.equal(caught.payload.status, 'Failed');
    assert.equal(caught.payload.scope, 'Full');
    assert.equal(caught.topic, 'failing');
    assert.equal(caught.mde.error.code, 'ActionFailed');
  });

  it('a failed live response names the command that failed and gives no links', async () => {
    sim = await simulator({ ...fast, actionOutcome: () => 'Failed' });
    const [machine] = windowsMachines(sim);
    await load({ action: 'liveresponse', allowLiveResponse: true, liveScript: 'collect.ps1' });
    const caught = await run({ machineId: machine.id, alertId: 'f', liveResponse: { path: 'C:\\x.txt' } }, 'caught');
    assert.equal(caught.error.code, 'ActionFailed');
    assert.equal(caught.payload.commands[0].commandStatus, 'Failed');
    assert.equal(caught.payload.commands[1].commandStatus, 'Created', 'a failing command stops the remaining ones');
    assert.equal(caught.mde.liveResponseResults, undefined);
  });

  it('stops waiting at its timeout: WaitTimeout at Catch with the still-pending action, and the journal is emptied', async () => {
    sim = await simulator({ actionTimings: { pendingMs: 60_000, inProgressMs: 1000 } });
    const [machine] = windowsMachines(sim);
    const stateDir = await load({ action: 'restrict', timeoutSeconds: 1 });
    const caught = await run({ machineId: machine.id, alertId: 'w' }, 'caught');
    assert.equal(caught.error.code, 'WaitTimeout');
    assert.equal(caught.payload.status, 'Pending');
    assert.equal(caught.mde.timedOut, true);
    assert.deepEqual(JSON.parse(readJournal(stateDir)).records, {});
  });

  it('cancels a pending action by its ID', async () => {
    sim = await simulator({ actionTimings: { pendingMs: 60_000, inProgressMs: 1000 } });
    const [machine] = windowsMachines(sim);
    await load({ action: 'scan', wait: false });
    const started = await run({ machineId: machine.id, alertId: 'x' });
    assert.equal(started.payload.status, 'Pending');
    await helper.unload();
    await load({ action: 'cancel', comment: 'Cancelled by {{flowName}}' });
    const msg = await run({ actionId: started.payload.id });
    assert.equal(msg.payload.status, 'Cancelled');
    assert.equal(msg.payload.cancellationComment, 'Cancelled by Response playbook');
    assert.equal(msg.mde.actionId, started.payload.id);
    // A finished action cannot be cancelled: MDE answers 400, reported at Catch.
    const caught = await run({ actionId: started.payload.id }, 'caught');
    assert.equal(caught.error.code, 'BadRequest');
    assert.match(caught.error.message, /can't be cancelled because its status is Cancelled/);
    const bad = await run({ actionId: 'not-a-guid' }, 'caught');
    assert.equal(bad.error.code, 'InvalidInput');
  });

  it('joins a pending action of the same kind instead of sending a second one', async () => {
    sim = await simulator({ actionTimings: { pendingMs: 400, inProgressMs: 200 } });
    const [machine] = windowsMachines(sim);
    await load({ action: 'collect' });
    const both = collect(helper.getNode('ok'), 2, 15000);
    helper.getNode('act').receive({ machineId: machine.id, alertId: 'one' });
    await sleep(150);
    helper.getNode('act').receive({ machineId: machine.id, alertId: 'two' });
    const [a, b] = await both;
    assert.equal(a.payload.id, b.payload.id);
    assert.deepEqual([a.mde.joined, b.mde.joined].sort(), [false, true]);
    assert.ok(a.mde.packageUrl && b.mde.packageUrl);
    assert.equal(posts(sim, 'collectInvestigationPackage').length, 1);
  });

  it('never joins a quarantine of another file: refused with ActiveRequestAlreadyExists, nothing sent', async () => {
    sim = await simulator({ actionTimings: { pendingMs: 5000, inProgressMs: 200 } });
    const [machine] = windowsMachines(sim);
    await load({ action: 'quarantine', wait: false });
    await run({ machineId: machine.id, sha1: SHA1, alertId: 'q' });
    const caught = await run({ machineId: machine.id, sha1: 'a'.repeat(40), alertId: 'q' }, 'caught');
    assert.equal(caught.error.code, 'ActiveRequestAlreadyExists');
    assert.match(caught.error.message, /not the one asked for/);
    assert.equal(posts(sim, 'StopAndQuarantineFile').length, 1);
  });

  it('sends nothing in dry run and shows the exact request', async () => {
    sim = await simulator(fast);
    const [machine] = windowsMachines(sim);
    await load({ action: 'quarantine', dryRun: true });
    const msg = await run({ machineId: machine.id, sha1: SHA1, alertId: 'dr' });
    assert.equal(msg.payload, null);
    assert.equal(msg.mde.dryRun, true);
    assert.deepEqual(msg.mde.request, { method: 'POST', url: `${sim.url}/api/machines/${machine.id}/StopAndQuarantineFile`, body: { Comment: 'By flow Response playbook for alert dr', Sha1: SHA1 } });
    const lr = await run({ machineId: machine.id, alertId: 'dr', action: 'scan', scanType: 'Full' });
    assert.deepEqual(lr.mde.request.body, { Comment: 'By flow Response playbook for alert dr', ScanType: 'Full' });
    assert.equal(apiRequests(sim, (r) => r.method !== 'GET').length, 0);
  });

  it('refuses protected machines (tag, name pattern, ID) but still removes a restriction', async () => {
    sim = await simulator(fast);
    const [byTag, byName, byId] = windowsMachines(sim);
    byTag.machineTags = [...(byTag.machineTags || []), 'DoNotRespond'];
    await load({ action: 'restrict', protectedNames: byName.computerDnsName.split('.')[0], protectedIds: byId.id, wait: false });
    for (const m of [byTag, byName, byId]) {
      const caught = await run({ machineId: m.id, alertId: 'p' }, 'caught');
      assert.equal(caught.error.code, 'ProtectedMachine');
    }
    assert.equal(posts(sim).length, 0);
    const undo = await run({ machineId: byTag.id, alertId: 'p', action: 'unrestrict' });
    assert.equal(undo.payload.type, 'UnrestrictCodeExecution');
  });

  it('refuses bad msg values and bad input before any request', async () => {
    sim = await simulator(fast);
    const [machine] = windowsMachines(sim);
    await load({ action: 'scan' });
    const cases = [
      [{ machineId: machine.id, action: 'wipe' }, /msg\.action is "wipe"/],
      [{ machineId: machine.id, action: 7 }, /msg\.action is the number 7/],
      [{ machineId: machine.id, scanType: 'quick' }, /msg\.scanType is "quick"/],
      [{ machineId: machine.id, scanType: true }, /msg\.scanType is the boolean true/],
      [{ machineId: machine.id, liveResponse: 'script.ps1' }, /msg\.liveResponse is "script\.ps1"/],
      [{ machineId: machine.id, liveResponse: { script: 3 } }, /msg\.liveResponse\.script is the number 3/],
      [{ machineId: '../../machines' }, /not an MDE machine ID/],
      [{ machineId: ['x'] }, /must be given as a string/],
      [{}, /msg\.machineId/],
    ];
    for (const [msg, reason] of cases) {
      const caught = await run({ alertId: 'b', ...msg }, 'caught');
      assert.equal(caught.error.code, 'InvalidInput', JSON.stringify(msg));
      assert.match(caught.error.message, reason);
    }
    assert.equal(apiRequests(sim).length, 0);
  });

  it('refuses unknown settings with a red status at deploy and for every message, before any request', async () => {
    sim = await simulator(fast);
    const [machine] = windowsMachines(sim);
    const cases = [
      [{ action: 'isolate' }, 'action'],
      [{ action: undefined }, 'action'],
      [{ scanType: 'Deep' }, 'scanType'],
      [{ scanType: undefined }, 'scanType'],
      [{ action: 'collect', scanType: 'quick' }, 'scanType'],
      [{ allowOffboard: 'yes' }, 'allowOffboard'],
      [{ allowLiveResponse: 1 }, 'allowLiveResponse'],
      [{ capOffboard: 0 }, 'capOffboard'],
      [{ capScan: 'many' }, 'capScan'],
      [{ capWindowMinutes: 2.5 }, 'capWindowMinutes'],
      [{ sha1Type: 'js' }, 'sha1Type'],
      [{ dryRun: 'false' }, 'dryRun'],
    ];
    for (const [props, setting] of cases) {
      const label = JSON.stringify(props);
      await load(props);
      const node = helper.getNode('act');
      const red = node.status.args.map((a) => a[0]).find((st) => st && st.fill === 'red');
      assert.ok(red, `${label}: red status at deploy`);
      assert.equal(red.text, 'InvalidSetting', label);
      const caught = await run({ machineId: machine.id, alertId: 'x' }, 'caught');
      assert.equal(caught.error.code, 'InvalidSetting', label);
      assert.ok(caught.error.message.includes(`"${setting}"`), `${label}: ${caught.error.message}`);
      await helper.unload();
    }
    assert.equal(apiRequests(sim).length, 0, 'nothing was sent');
  });

  it('never resends a scan whose answer was lost to a 5xx: looks it up and follows it', async () => {
    sim = await simulator(fast);
    const [machine] = windowsMachines(sim);
    await load();
    sim.setFaults({ dropAnswerNext: [{ mode: 'server-error', method: 'POST', pathIncludes: '/runAntiVirusScan' }] });
    const msg = await run({ machineId: machine.id, alertId: 'x' });
    assert.equal(msg.mde.recovered, true);
    assert.equal(msg.payload.status, 'Succeeded');
    assert.equal(posts(sim, 'runAntiVirusScan').length, 1, 'exactly one scan request on the wire');
    const lookup = apiRequests(sim, (r) => r.method === 'GET' && r.path === '/api/machineactions' && decodeURIComponent(r.query).includes('creationDateTimeUtc ge '));
    assert.ok(decodeURIComponent(lookup[0].query).includes("type eq 'RunAntiVirusScan'"));
  });

  it('never resends a live response whose request timed out: looks it up, follows it and still returns the result links', async () => {
    sim = await simulator(fast);
    const [machine] = windowsMachines(sim);
    await load({ action: 'liveresponse', allowLiveResponse: true, liveScript: 'collect.ps1' }, { requestTimeout: 1 });
    sim.setFaults({ dropAnswerNext: [{ mode: 'hold', method: 'POST', pathIncludes: '/runliveresponse', holdMs: 5000 }] });
    const msg = await run({ machineId: machine.id, alertId: 'x' });
    assert.equal(msg.mde.recovered, true);
    assert.equal(msg.payload.status, 'Succeeded');
    assert.equal(msg.mde.liveResponseResults.length, 1);
    assert.match(msg.mde.liveResponseResults[0].url, /liveresponse\/results/);
    assert.equal(posts(sim, 'runliveresponse').length, 1, 'exactly one live response request on the wire');
  });

  it('says OutcomeUnknown (not sent again) when a restrict answer is lost and no action is found', async () => {
    sim = await simulator(fast);
    const [machine] = windowsMachines(sim);
    const stateDir = await load({ action: 'restrict' });
    sim.setFaults({ failNext: [{ status: 503, pathIncludes: '/restrictCodeExecution' }] });
    const caught = await run({ machineId: machine.id, alertId: 'x' }, 'caught');
    assert.equal(caught.error.code, 'OutcomeUnknown');
    assert.match(caught.error.message, /may have been carried out/);
    assert.equal(posts(sim, 'restrictCodeExecution').length, 1, 'not resent');
    assert.deepEqual(JSON.parse(readJournal(stateDir)).records, {});
  });

  it('resumes a pending package collection after a restart, sends it once and still returns the link', async () => {
    sim = await simulator({ actionTimings: { pendingMs: 1500, inProgressMs: 300 } });
    const [machine] = windowsMachines(sim);
    const stateDir = useFreshStateDir();
    const flow = actionFlow(sim, { action: 'collect' });
    await helper.load([nodes.config, machineActionNode], flow, secretCredentials());
    helper.getNode('act').receive({ machineId: machine.id, alertId: 'canary-alert-7781', token: { accessToken: 'eyJcanary.eyJcanary.sig' }, topic: 'across restart' });
    await until(() => readJournal(stateDir).includes('"actionId"'), 'the pending record');
    const text = readJournal(stateDir);
    for (const leak of ['canary-alert-7781', 'eyJcanary', 'accessToken']) assert.ok(!text.includes(leak), `the journal holds ${leak}`);
    assert.match(text, /machine-action-caps:cfg/, 'the cap ledger is kept beside the journal');
    await helper.unload();
    helper.settings({ mdeConfigStateDir: stateDir });
    await helper.load([nodes.config, machineActionNode], flow, secretCredentials());
    const msg = await nextMessage(helper.getNode('ok'), 15000);
    assert.equal(msg.mde.resumed, true);
    assert.equal(msg.topic, 'across restart');
    assert.equal(msg.payload.status, 'Succeeded');
    assert.match(msg.mde.packageUrl, /WDATP_Investigation_Package/);
    assert.equal(posts(sim, 'collectInvestigationPackage').length, 1, 'not sent again');
  });
});
