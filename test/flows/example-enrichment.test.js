'use strict';
// Playbook 07 (examples/07 - Enrich an alert with logged-on users and file prevalence.json) run as
// shipped, with Node-RED's own function, change, split, join, template and debug nodes, against
// the simulator: a new High alert gets its machine's logged-on users and the organisation
// prevalence of each file of its evidence (an unknown file does not stop it), joined into one
// enrichment written on the alert as a comment; the next poll does not handle it again.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { useFlowSuite } = require('../helpers/flow-suite');
const { helper, nodes, coreNode, useFreshStateDir } = require('../helpers/node-red');
const { simulator, secretCredentials, nextMessage, sleep } = require('../helpers/sim');

const entitiesNode = require(path.resolve(__dirname, '..', '..', 'dist', 'nodes', 'mde-entities.js'));
const FILE = path.resolve(__dirname, '..', '..', 'examples', '07 - Enrich an alert with logged-on users and file prevalence.json');
const CONFIG_ID = 'mde-demo-connection';
const TAB_LABEL = '07 Enrich an alert: logged-on users and file prevalence';
const INVOICE_SHA1 = 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3';
const POWERSHELL_SHA1 = '6cbce4a295c163791b60fc23d285e6d84f28ee4c';
const UNKNOWN_SHA1 = '00000000000000000000000000000000deadbeef';

function playbook(sim) {
  return JSON.parse(fs.readFileSync(FILE, 'utf8')).map((n) =>
    n.type === 'mde-config' ? { ...n, apiBaseUrl: sim.url, authorityHost: sim.url, graphBaseUrl: sim.url, caCertificate: sim.caPem } : n,
  );
}

const core = () => [
  coreNode('common/20-inject.js'),
  coreNode('common/21-debug.js'),
  coreNode('common/25-catch.js'),
  coreNode('common/90-comment.js'),
  coreNode('function/10-function.js'),
  coreNode('function/15-change.js'),
  coreNode('function/80-template.js'),
  coreNode('sequence/17-split.js'),
];

/** An evidence item with every documented key, as the simulator's seed builds them. */
function evidence(fields) {
  const keys = ['entityType', 'evidenceCreationTime', 'sha1', 'sha256', 'fileName', 'filePath', 'processId', 'processCommandLine', 'processCreationTime', 'parentProcessId', 'parentProcessCreationTime', 'parentProcessFileName', 'parentProcessFilePath', 'ipAddress', 'url', 'registryKey', 'registryHive', 'registryValueType', 'registryValue', 'accountName', 'domainName', 'userSid', 'aadUserId', 'userPrincipalName', 'detectionStatus'];
  return Object.fromEntries(keys.map((k) => [k, fields[k] ?? null]));
}

describe('example 07: enrich an alert with logged-on users and file prevalence', () => {
  useFlowSuite();

  it('starts from the alert trigger, names the permissions it needs, and reports every Defender node to the Catch node', () => {
    const flow = JSON.parse(fs.readFileSync(FILE, 'utf8'));
    const text = flow.filter((n) => n.type === 'comment' || n.type === 'tab').map((n) => `${n.name ?? ''} ${n.info ?? ''}`).join('\n');
    for (const role of ['SecurityAlert.Read.All', 'User.Read.All', 'Machine.Read.All', 'File.Read.All', 'SecurityAlert.ReadWrite.All']) assert.ok(text.includes(role), role);
    const defender = flow.filter((n) => n.type.startsWith('mde-') && n.type !== 'mde-config');
    assert.deepEqual(defender.map((n) => n.type).sort(), ['mde-alert-trigger', 'mde-alert-update', 'mde-entities', 'mde-machines']);
    assert.ok(defender.every((n) => n.config === CONFIG_ID));
    assert.ok(defender.every((n) => flow.find((c) => c.type === 'catch').scope.includes(n.id)));
    const stats = flow.find((n) => n.type === 'mde-entities');
    assert.deepEqual({ mode: stats.mode, lookBackHours: stats.lookBackHours, onNotFound: stats.onNotFound }, { mode: 'file-stats', lookBackHours: 720, onNotFound: 'null' });
  });

  it("enriches a new High alert: logged-on users, each file's prevalence (an unknown file included), one comment on the alert, once", async () => {
    const sim = await simulator();
    const fin = sim.state.machines.find((m) => m.computerDnsName === 'ws-fin-0412.contoso-sim.local');
    sim.state.machineInternal.get(fin.id).loggedOnUsers = [{ accountName: 'jdoe', domainName: 'CONTOSO' }, { accountName: 'svc_backup', domainName: 'CONTOSO' }];
    useFreshStateDir();
    await helper.load([nodes.config, nodes.alertTrigger, nodes.machines, entitiesNode, nodes.alertUpdate, ...core()], playbook(sim), secretCredentials(undefined, CONFIG_ID));
    const errors = [];
    helper.getNode('mde-ex07-debug-stopped').on('input', (msg) => errors.push(msg.payload));

    const at = new Date().toISOString();
    const alert = sim.addAlert({
      severity: 'High', title: 'Suspicious file chain', category: 'Malware', machineId: fin.id, computerDnsName: fin.computerDnsName,
      evidence: [
        evidence({ entityType: 'File', evidenceCreationTime: at, sha1: INVOICE_SHA1, fileName: 'invoice "final".pdf.exe', filePath: 'C:\\Users\\jdoe\\Downloads', detectionStatus: 'Prevented' }),
        evidence({ entityType: 'Process', evidenceCreationTime: at, sha1: POWERSHELL_SHA1, fileName: 'powershell.exe', filePath: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0', processId: 4242, detectionStatus: 'Detected' }),
        evidence({ entityType: 'File', evidenceCreationTime: at, sha1: UNKNOWN_SHA1.toUpperCase(), fileName: 'dropper.tmp', filePath: 'C:\\Temp', detectionStatus: 'Detected' }),
        evidence({ entityType: 'File', evidenceCreationTime: at, sha1: INVOICE_SHA1, fileName: 'invoice "final".pdf.exe', filePath: 'C:\\Users\\Public', detectionStatus: 'Detected' }),
      ],
    });
    // The alert is itself a sighting of its files, so the simulator knows them all; Defender
    // answers 404 for a file whose data is past retention: that answer is played here.
    sim.setFaults({ failNext: [{ status: 404, pathIncludes: `/api/files/${UNKNOWN_SHA1}/stats`, body: { error: { code: 'ResourceNotFound', message: `File ${UNKNOWN_SHA1} was not found`, target: 'sim' } } }] });
    const enriched = nextMessage(helper.getNode('mde-ex07-debug-enrichment'), 60_000);
    const commented = nextMessage(helper.getNode('mde-ex07-debug-commented'), 60_000);
    helper.getNode('mde-ex07-inject').receive({});
    // Built in the function node's sandbox (other prototypes): compared as plain JSON.
    const enrichment = JSON.parse(JSON.stringify((await enriched).enrichment));
    const done = await commented;
    assert.deepEqual(errors, []);

    assert.equal(enrichment.alertId, alert.id);
    assert.equal(enrichment.computerDnsName, fin.computerDnsName);
    assert.deepEqual(enrichment.loggedOnUsers.map((u) => u.account), ['CONTOSO\\jdoe', 'CONTOSO\\svc_backup']);
    assert.deepEqual(enrichment.files.map((f) => [f.sha1, f.known]), [[INVOICE_SHA1, true], [POWERSHELL_SHA1, true], [UNKNOWN_SHA1, false]]);
    const invoice = enrichment.files[0];
    const stats = sim.requests.filter((r) => r.kind === 'api' && /\/stats$/.test(r.path));
    assert.deepEqual(stats.map((r) => [r.path, new URLSearchParams(r.query).get('lookBackHours'), r.status]).sort(), [
      [`/api/files/${UNKNOWN_SHA1}/stats`, '720', 404],
      [`/api/files/${INVOICE_SHA1}/stats`, '720', 200],
      [`/api/files/${POWERSHELL_SHA1}/stats`, '720', 200],
    ].sort());
    assert.ok(invoice.organizationPrevalence >= 1);
    assert.ok(enrichment.files[1].organizationPrevalence > invoice.organizationPrevalence, 'powershell runs on more devices than the invoice');
    assert.equal(enrichment.files[1].rareInOrganization, false);

    const stored = sim.state.alerts.find((a) => a.id === alert.id);
    assert.equal(stored.status, 'New', 'the status is left as it was');
    assert.equal(stored.comments.length, 1);
    assert.equal(stored.comments[0].comment, `Enrichment by Node-RED playbook ${TAB_LABEL}. ${done.enrichmentText}`);
    assert.match(done.enrichmentText, /^Logged on to ws-fin-0412\.contoso-sim\.local: CONTOSO\\jdoe, CONTOSO\\svc_backup\. Files: invoice "final"\.pdf\.exe \(a94a8fe5/);
    assert.match(done.enrichmentText, /dropper\.tmp \(00000000000000000000000000000000deadbeef\): unknown to Defender\.$/);
    assert.equal(sim.requests.filter((r) => r.path.endsWith('/logonusers')).length, 1);

    // The trigger's next poll does not enrich the same alert again.
    const before = sim.requests.filter((r) => r.kind === 'graph' && r.method !== 'GET').length;
    helper.getNode('mde-ex07-inject').receive({});
    await sleep(1500);
    assert.equal(sim.requests.filter((r) => r.kind === 'graph' && r.method !== 'GET').length, before);
    assert.equal(stored.comments.length, 1);
  });

  it('an alert without file evidence still gets its users and a comment, with no file lookups', async () => {
    const sim = await simulator({ alerts: 0 });
    const machine = sim.state.machines[3];
    useFreshStateDir();
    await helper.load([nodes.config, nodes.alertTrigger, nodes.machines, entitiesNode, nodes.alertUpdate, ...core()], playbook(sim), secretCredentials(undefined, CONFIG_ID));
    const alert = sim.addAlert({ severity: 'High', machineId: machine.id, computerDnsName: machine.computerDnsName, evidence: [evidence({ entityType: 'User', accountName: 'lchen', domainName: 'CONTOSO', evidenceCreationTime: new Date().toISOString() })] });
    const commented = nextMessage(helper.getNode('mde-ex07-debug-commented'), 60_000);
    helper.getNode('mde-ex07-inject').receive({});
    const done = await commented;
    assert.match(done.enrichmentText, /\. Files: no file evidence\.$/);
    assert.equal(sim.requests.filter((r) => r.path.startsWith('/api/files/')).length, 0);
    assert.equal(sim.state.alerts.find((a) => a.id === alert.id).comments.length, 1);
  });
});
