'use strict';
// Playbook 08 (examples/08 - Collect investigation package and post the link.json) run as shipped,
// with Node-RED's own inject, change, catch and debug nodes, against the simulator: the newest
// alert's machine gets its investigation package collected once, and the alert gets a comment
// with the package's download link and its expiry.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { useFlowSuite } = require('../helpers/flow-suite');
const { helper, nodes, coreNode, useFreshStateDir } = require('../helpers/node-red');
const { simulator, secretCredentials, apiRequests, sleep } = require('../helpers/sim');

const machineActionNode = require(path.resolve(__dirname, '..', '..', 'dist', 'nodes', 'mde-machine-action.js'));
const FILE = path.resolve(__dirname, '..', '..', 'examples', '08 - Collect investigation package and post the link.json');
const CONFIG_ID = 'mde-demo-connection';

function playbook(sim, overrides = {}) {
  return JSON.parse(fs.readFileSync(FILE, 'utf8')).map((n) => {
    if (n.type === 'mde-config') return { ...n, apiBaseUrl: sim.url, authorityHost: sim.url, graphBaseUrl: sim.url, caCertificate: sim.caPem };
    return overrides[n.id] ? { ...n, ...overrides[n.id] } : n;
  });
}

const core = () => [coreNode('common/20-inject.js'), coreNode('common/21-debug.js'), coreNode('common/25-catch.js'), coreNode('common/90-comment.js'), coreNode('function/15-change.js')];

describe('example 08: collect an investigation package and post the link', () => {
  let sim;
  useFlowSuite();

  it('names the permissions of each step in its comments and uses the shared connection', () => {
    const flow = JSON.parse(fs.readFileSync(FILE, 'utf8'));
    const text = flow.filter((n) => n.type === 'comment' || n.type === 'tab').map((n) => `${n.name ?? ''} ${n.info ?? ''}`).join('\n');
    for (const role of ['Alert.Read.All', 'Machine.CollectForensics', 'Machine.Read.All', 'Alert.ReadWrite.All']) assert.ok(text.includes(role), role);
    const collect = flow.find((n) => n.type === 'mde-machine-action');
    assert.equal(collect.action, 'collect');
    assert.equal(collect.allowOffboard, false);
    assert.equal(collect.allowLiveResponse, false);
    assert.ok(flow.filter((n) => n.type.startsWith('mde-') && n.type !== 'mde-config').every((n) => n.config === CONFIG_ID));
  });

  it('collects the package of the newest alert\'s machine once and comments the link and its expiry on the alert', async () => {
    sim = await simulator({ alerts: 20, actionTimings: { pendingMs: 100, inProgressMs: 100 } });
    useFreshStateDir();
    // Poll fast in the test; the shipped playbook polls every 5 s.
    const flow = playbook(sim, { 'mde-ex08-collect': { pollSeconds: 0.05 } });
    await helper.load([nodes.config, nodes.alerts, nodes.alertUpdate, machineActionNode, ...core()], flow, secretCredentials(undefined, CONFIG_ID));
    const posted = [];
    const errors = [];
    helper.getNode('mde-ex08-debug').on('input', (msg) => posted.push(msg));
    helper.getNode('mde-ex08-debug-err').on('input', (msg) => errors.push(msg));
    helper.getNode('mde-ex08-inject').receive({});
    const end = Date.now() + 20_000;
    while (!posted.length && !errors.length && Date.now() < end) await sleep(50);
    assert.deepEqual(errors.map((m) => m.error), []);
    assert.equal(posted.length, 1);
    const collections = sim.state.actions.filter((a) => a.type === 'CollectInvestigationPackage');
    assert.equal(collections.length, 1);
    assert.equal(collections[0].status, 'Succeeded');
    const alertId = posted[0].alertId;
    const alert = sim.state.alerts.find((a) => a.id === alertId);
    const newest = [...sim.state.alerts].sort((a, b) => b.alertCreationTime.localeCompare(a.alertCreationTime))[0];
    assert.equal(alertId, newest.id, 'the newest alert');
    assert.equal(collections[0].machineId, alert.machineId);
    const comment = JSON.stringify(alert.comments);
    assert.match(comment, /WDATP_Investigation_Package\.zip\?se=/);
    assert.match(comment, /Download it before \d{4}-\d\d-\d\dT/);
    assert.equal(apiRequests(sim, (r) => r.method === 'POST' && /collectInvestigationPackage$/.test(r.path)).length, 1);
  });
});
