'use strict';
// Playbook 09 (examples/09 - Block a file hash from alert evidence and quarantine it.json) run as
// shipped, with Node-RED's own inject, function, catch, template and debug nodes, against the
// simulator: a new High alert gets one Block indicator per distinct hash of its file evidence, one
// stop-and-quarantine per SHA-1 on its machine, and one comment naming what was done and what was
// not (a never-block hash, the cap); a second poll acts on nothing.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { useFlowSuite } = require('../helpers/flow-suite');
const { helper, nodes, coreNode, useFreshStateDir } = require('../helpers/node-red');
const { simulator, secretCredentials, apiRequests, nextMessage, sleep } = require('../helpers/sim');

const machineActionNode = require(path.resolve(__dirname, '..', '..', 'dist', 'nodes', 'mde-machine-action.js'));
const FILE = path.resolve(__dirname, '..', '..', 'examples', '09 - Block a file hash from alert evidence and quarantine it.json');
const CONFIG_ID = 'mde-demo-connection';
const TAB_LABEL = '09 Block a file hash from alert evidence and quarantine it';

const INVOICE = { sha1: 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3', sha256: '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824' };
const DROPPER_SHA1 = '87662bc3d60e4200ceaf7aae249d1c343f4b83c9';
const TRUSTED_SHA1 = 'b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1';
const POWERSHELL_SHA1 = '6cbce4a295c163791b60fc23d285e6d84f28ee4c';

function playbook(sim, { connection = {}, nodes: overrides = {} } = {}) {
  return JSON.parse(fs.readFileSync(FILE, 'utf8')).map((n) => {
    if (n.type === 'mde-config') return { ...n, apiBaseUrl: sim.url, authorityHost: sim.url, graphBaseUrl: sim.url, caCertificate: sim.caPem, ...connection };
    // Poll the machine action fast in the test; the shipped playbook polls every 5 s.
    if (n.type === 'mde-machine-action') return { ...n, pollSeconds: 0.05, ...overrides[n.id] };
    return overrides[n.id] ? { ...n, ...overrides[n.id] } : n;
  });
}

const core = () => [
  coreNode('common/20-inject.js'),
  coreNode('common/21-debug.js'),
  coreNode('common/25-catch.js'),
  coreNode('common/90-comment.js'),
  coreNode('function/10-function.js'),
  coreNode('function/80-template.js'),
];

/** An evidence item with every documented key, as the simulator's seed builds them. */
function evidence(fields) {
  const keys = ['entityType', 'evidenceCreationTime', 'sha1', 'sha256', 'fileName', 'filePath', 'processId', 'processCommandLine', 'processCreationTime', 'parentProcessId', 'parentProcessCreationTime', 'parentProcessFileName', 'parentProcessFilePath', 'ipAddress', 'url', 'registryKey', 'registryHive', 'registryValueType', 'registryValue', 'accountName', 'domainName', 'userSid', 'aadUserId', 'userPrincipalName', 'detectionStatus'];
  return Object.fromEntries(keys.map((k) => [k, fields[k] ?? null]));
}

/** A High alert on the finance workstation whose evidence holds every case the playbook sorts out. */
function addFileAlert(sim, files, computerDnsName = 'ws-fin-0412.contoso-sim.local') {
  const fin = sim.state.machines.find((m) => m.computerDnsName === computerDnsName);
  const at = new Date().toISOString();
  const alert = sim.addAlert({
    severity: 'High', title: 'Malicious file chain', category: 'Malware', machineId: fin.id, computerDnsName: fin.computerDnsName,
    evidence: files.map((f) => evidence({ evidenceCreationTime: at, detectionStatus: 'Detected', ...f })),
  });
  return { alert, fin };
}

const FULL_EVIDENCE = [
  { entityType: 'File', sha1: INVOICE.sha1, sha256: INVOICE.sha256, fileName: 'invoice "final".pdf.exe', filePath: 'C:\\Users\\jdoe\\Downloads', detectionStatus: 'Prevented' },
  // The same file in another folder, its SHA-1 in capitals: blocked and quarantined once.
  { entityType: 'File', sha1: INVOICE.sha1.toUpperCase(), fileName: 'invoice "final".pdf.exe', filePath: 'C:\\Users\\Public' },
  { entityType: 'File', sha1: DROPPER_SHA1, fileName: 'dropper.tmp', filePath: 'C:\\Temp' },
  // No hash at all: nothing to block it by.
  { entityType: 'File', fileName: 'notes.txt', filePath: 'C:\\Temp' },
  // A process image: Windows' own PowerShell is never blocked.
  { entityType: 'Process', sha1: POWERSHELL_SHA1, fileName: 'powershell.exe', filePath: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0', processId: 4242 },
  { entityType: 'User', accountName: 'jdoe', domainName: 'CONTOSO' },
];

describe('example 09: block a file hash from alert evidence and quarantine it', () => {
  useFlowSuite();

  async function load(sim, options) {
    useFreshStateDir();
    await helper.load([nodes.config, nodes.alertTrigger, nodes.indicators, machineActionNode, nodes.alertUpdate, ...core()], playbook(sim, options), secretCredentials(undefined, CONFIG_ID));
    const stopped = [];
    helper.getNode('mde-ex09-debug-stopped').on('input', (msg) => stopped.push(msg.payload));
    return stopped;
  }

  async function runOnce(sim) {
    const commented = nextMessage(helper.getNode('mde-ex09-debug-commented'), 60_000);
    const reported = nextMessage(helper.getNode('mde-ex09-debug-report'), 60_000);
    helper.getNode('mde-ex09-inject').receive({});
    const done = await commented;
    // Built in the function node's sandbox (other prototypes): compared as plain JSON.
    return { done, report: JSON.parse(JSON.stringify((await reported).report)) };
  }

  const indicatorPosts = (sim) => apiRequests(sim, (r) => r.method === 'POST' && r.path === '/api/indicators');
  const quarantinePosts = (sim) => apiRequests(sim, (r) => r.method === 'POST' && /\/StopAndQuarantineFile$/i.test(r.path));

  it('names the permission of each step, explains Block and dry run in comments, and uses the shared connection', () => {
    const flow = JSON.parse(fs.readFileSync(FILE, 'utf8'));
    const text = flow.filter((n) => n.type === 'comment' || n.type === 'tab').map((n) => `${n.name ?? ''} ${n.info ?? ''}`).join('\n');
    for (const role of ['SecurityAlert.Read.All', 'Ti.ReadWrite.All', 'Machine.StopAndQuarantine', 'Machine.Read.All', 'SecurityAlert.ReadWrite.All']) assert.ok(text.includes(role), role);
    assert.match(text, /Why Block and not BlockAndRemediate/);
    assert.match(text, /DRY RUN: tick "Dry run" in "Block the hash" and "Stop and quarantine"/);
    const defender = flow.filter((n) => n.type.startsWith('mde-') && n.type !== 'mde-config');
    assert.deepEqual(defender.map((n) => n.type).sort(), ['mde-alert-trigger', 'mde-alert-update', 'mde-indicators', 'mde-machine-action']);
    assert.ok(defender.every((n) => n.config === CONFIG_ID));
    const block = flow.find((n) => n.type === 'mde-indicators');
    const quarantine = flow.find((n) => n.type === 'mde-machine-action');
    assert.deepEqual([block.mode, block.source, block.dryRun], ['submit', 'msg', false]);
    assert.deepEqual([quarantine.action, quarantine.wait, quarantine.dryRun, quarantine.allowOffboard, quarantine.allowLiveResponse], ['quarantine', true, false, false, false]);
    // Every Defender node reports to the Catch node; errors of the two acting nodes go back into the run.
    const [catcher] = flow.filter((n) => n.type === 'catch');
    assert.deepEqual([...catcher.scope].sort(), defender.map((n) => n.id).sort());
    const router = flow.find((n) => n.id === catcher.wires[0][0]);
    assert.deepEqual(router.wires, [['mde-ex09-next'], ['mde-ex09-stopped']]);
    assert.match(router.func, /const acting = \['mde-ex09-block', 'mde-ex09-quarantine'\];/);
    const policy = flow.find((n) => n.id === 'mde-ex09-indicator').func;
    assert.match(policy, /const ACTION = 'Block';/);
    assert.match(policy, /const EXPIRATION_DAYS = 30;/);
  });

  it('blocks each distinct hash once, quarantines each SHA-1 on the machine, skips a never-block file and says so on the alert, once', async () => {
    const sim = await simulator({ alerts: 0 });
    // The organisation trusts one file: it is on the connection's never-block list.
    const stopped = await load(sim, { connection: { neverBlock: TRUSTED_SHA1 } });
    const { alert, fin } = addFileAlert(sim, [...FULL_EVIDENCE, { entityType: 'File', sha1: TRUSTED_SHA1, fileName: 'payroll-tool.exe', filePath: 'C:\\Program Files\\Payroll' }]);
    const { done, report } = await runOnce(sim);
    assert.deepEqual(stopped, []);

    // One Block indicator per distinct hash, titled from the alert, expiring in 30 days; none for
    // the trusted file, the hashless file or PowerShell.
    const indicators = sim.state.indicators;
    assert.deepEqual(indicators.map((i) => [i.indicatorType, i.indicatorValue]).sort(), [
      ['FileSha1', DROPPER_SHA1], ['FileSha1', INVOICE.sha1], ['FileSha256', INVOICE.sha256],
    ].sort());
    assert.equal(indicatorPosts(sim).length, 3);
    for (const i of indicators) {
      assert.equal(i.action, 'Block');
      assert.equal(i.title, `Alert ${alert.id}: Malicious file chain`);
      const days = (Date.parse(i.expirationTime) - Date.now()) / 86_400_000;
      assert.ok(days > 29 && days <= 30, `expires in 30 days, not ${days}`);
    }

    // One stop-and-quarantine per SHA-1, on the alert's machine, each finished.
    const actions = sim.state.actions.filter((a) => a.type === 'StopAndQuarantineFile');
    assert.deepEqual(actions.map((a) => a.relatedFileInfo.fileIdentifier).sort(), [DROPPER_SHA1, INVOICE.sha1].sort());
    assert.ok(actions.every((a) => a.machineId === fin.id && a.status === 'Succeeded'));
    assert.equal(quarantinePosts(sim).length, 2);
    assert.match(actions[0].requestorComment, new RegExp(`^Stop and quarantine by Node-RED playbook ${TAB_LABEL}: file .+ from alert ${alert.id} \\(Malicious file chain\\)$`));

    // The report and the one comment on the alert name what was done and what was not.
    assert.deepEqual(report.blocked.map((s) => s.value).sort(), [DROPPER_SHA1, INVOICE.sha1, INVOICE.sha256].sort());
    assert.deepEqual(report.quarantined.map((s) => s.sha1).sort(), [DROPPER_SHA1, INVOICE.sha1].sort());
    assert.deepEqual(report.failed.map((s) => [s.kind, s.code]), [['indicator', 'NeverBlock'], ['quarantine', 'NeverBlock']]);
    const stored = sim.state.alerts.find((a) => a.id === alert.id);
    assert.equal(stored.comments.length, 1);
    const comment = stored.comments[0].comment;
    assert.equal(comment, `Node-RED playbook ${TAB_LABEL}: ${done.reportText}`);
    for (const i of indicators) assert.ok(comment.includes(`${i.indicatorType} ${i.indicatorValue} (indicator ${i.id})`), `${i.indicatorValue} named with its indicator`);
    for (const a of actions) assert.ok(comment.includes(`SHA-1 ${a.relatedFileInfo.fileIdentifier} on ${fin.computerDnsName} (machine action ${a.id}, Succeeded)`), `quarantine of ${a.relatedFileInfo.fileIdentifier} named`);
    assert.match(comment, /NOT DONE: block payroll-tool\.exe FileSha1 b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1: Refused: .*never-block.* \[NeverBlock\]; quarantine payroll-tool\.exe SHA-1 b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1 on [0-9a-f]{40}: not quarantined: the file is on the never-block list \[NeverBlock\]\.$/);
    assert.ok(!comment.includes(POWERSHELL_SHA1), 'PowerShell is not touched');
    assert.equal(stored.status, 'InProgress', 'something was done: the alert is In progress');

    // The trigger's next poll acts on nothing again.
    const before = apiRequests(sim, (r) => r.method !== 'GET').length;
    helper.getNode('mde-ex09-inject').receive({});
    await sleep(1500);
    assert.equal(apiRequests(sim, (r) => r.method !== 'GET').length, before);
    assert.equal(stored.comments.length, 1);
    assert.equal(sim.state.actions.filter((a) => a.type === 'StopAndQuarantineFile').length, 2);
  });

  it('past the blocking cap the hash is reported on the alert and the quarantines still run', async () => {
    const sim = await simulator({ alerts: 0 });
    await load(sim, { connection: { blockCap: 2 } });
    const { alert } = addFileAlert(sim, FULL_EVIDENCE);
    const { done, report } = await runOnce(sim);
    assert.deepEqual(sim.state.indicators.map((i) => i.indicatorValue).sort(), [INVOICE.sha1, INVOICE.sha256].sort());
    assert.equal(indicatorPosts(sim).length, 2, 'the third hash was refused before any request');
    assert.deepEqual(report.failed.map((s) => [s.kind, s.value, s.code]), [['indicator', DROPPER_SHA1, 'BlockCap']]);
    assert.deepEqual(sim.state.actions.filter((a) => a.type === 'StopAndQuarantineFile').map((a) => a.relatedFileInfo.fileIdentifier).sort(), [DROPPER_SHA1, INVOICE.sha1].sort());
    assert.match(done.reportText, /NOT DONE: block dropper\.tmp FileSha1 87662bc3d60e4200ceaf7aae249d1c343f4b83c9: Refused: .*cap of 2 per 60 minutes.* \[BlockCap\]\.$/);
    assert.equal(sim.state.alerts.find((a) => a.id === alert.id).comments.length, 1);
  });

  it('a stop-and-quarantine Defender refuses is reported on the alert after the blocks, and nothing is resent', async () => {
    const sim = await simulator({ alerts: 0 });
    await load(sim);
    // Stop and quarantine exists for Windows only: Defender refuses it on a Mac.
    const { alert } = addFileAlert(sim, FULL_EVIDENCE, 'mac-dsg-0031.contoso-sim.local');
    const { done, report } = await runOnce(sim);
    assert.equal(indicatorPosts(sim).length, 3);
    assert.equal(quarantinePosts(sim).length, 2, 'each SHA-1 asked once');
    assert.equal(sim.state.actions.length, 0);
    assert.deepEqual(report.failed.map((s) => [s.kind, s.sha1, s.code]), [['quarantine', INVOICE.sha1, 'OsPlatformNotSupported'], ['quarantine', DROPPER_SHA1, 'OsPlatformNotSupported']]);
    assert.match(done.reportText, /^Blocked \(Block indicator, expires .*NOT DONE: quarantine invoice "final"\.pdf\.exe SHA-1 a94a8fe5ccb19ba61c4c0873d391e987982fbbd3 on [0-9a-f]{40}: .*macOS.* \[OsPlatformNotSupported\]; quarantine dropper\.tmp /);
    const stored = sim.state.alerts.find((a) => a.id === alert.id);
    assert.equal(stored.comments.length, 1);
    assert.equal(stored.status, 'InProgress', 'the hashes were blocked');
  });

  it('in dry run sends no indicator and no quarantine, says so on the alert and leaves its status', async () => {
    const sim = await simulator({ alerts: 0 });
    await load(sim, { nodes: { 'mde-ex09-block': { dryRun: true }, 'mde-ex09-quarantine': { dryRun: true } } });
    const { alert } = addFileAlert(sim, FULL_EVIDENCE);
    const { done, report } = await runOnce(sim);
   
    assert.equal(report.dryRun, true);
    assert.equal(indicatorPosts(sim).length + quarantinePosts(sim).length, 0);
    assert.equal(sim.state.indicators.length, 0);
    assert.match(done.reportText, /^DRY RUN, nothing was sent to Defender\. Would block \(Block indicator, expires \d{4}-\d\d-\d\d\): .*Would stop and quarantine: /);
    const stored = sim.state.alerts.find((a) => a.id === alert.id);
    assert.equal(stored.comments.length, 1);
    assert.equal(stored.status, 'New');
  });
});
