'use strict';
// Playbook 03 (examples/03 - Alert triage by severity.json) run as shipped, with Node-RED's own
// inject, change, switch, template and debug nodes, against the simulator: the new alerts of the
// last 24 hours come from Microsoft Graph, one message each, and each lands in its severity's lane
// with the device name taken from its evidence.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { useFlowSuite } = require('../helpers/flow-suite');
const { helper, nodes, coreNode, useFreshStateDir } = require('../helpers/node-red');
const { simulator, secretCredentials, sleep } = require('../helpers/sim');

const FILE = path.resolve(__dirname, '..', '..', 'examples', '03 - Alert triage by severity.json');
const CONFIG_ID = 'mde-demo-connection';
const LANES = { 'mde-ex03-debug-high': 'high', 'mde-ex03-debug-medium': 'medium', 'mde-ex03-debug-low': 'low', 'mde-ex03-debug-other': 'other' };

function playbook(sim) {
  return JSON.parse(fs.readFileSync(FILE, 'utf8')).map((n) =>
    n.type === 'mde-config' ? { ...n, apiBaseUrl: sim.url, authorityHost: sim.url, graphBaseUrl: sim.url, caCertificate: sim.caPem } : n,
  );
}

const core = () => [
  coreNode('common/20-inject.js'), coreNode('common/21-debug.js'), coreNode('common/25-catch.js'), coreNode('common/90-comment.js'),
  coreNode('function/10-switch.js'), coreNode('function/15-change.js'), coreNode('function/80-template.js'),
];

describe('example 03: alert triage by severity', () => {
  let sim;
  useFlowSuite();

  it('reads Microsoft Graph and names its permission in its comments', () => {
    const flow = JSON.parse(fs.readFileSync(FILE, 'utf8'));
    const text = flow.filter((n) => n.type === 'comment' || n.type === 'tab').map((n) => `${n.name ?? ''} ${n.info ?? ''}`).join('\n');
    assert.match(text, /SecurityAlert\.Read\.All/);
    const alerts = flow.filter((n) => n.type === 'mde-alerts');
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0].api, 'graph');
    assert.equal(alerts[0].statusFilter, 'new');
    assert.ok(!('status' in alerts[0]));
    assert.ok(flow.filter((n) => n.type.startsWith('mde-') && n.type !== 'mde-config').every((n) => n.config === CONFIG_ID));
  });

  it('sends each new alert of the last 24 h to its severity lane with its device name', async () => {
    sim = await simulator({ alerts: 120 });
    const machine = sim.state.machines[0];
    const fresh = sim.addAlert({ severity: 'High', status: 'New', machineId: machine.id, computerDnsName: machine.computerDnsName, title: 'Playbook 03 probe' });
    const dayAgo = Date.now() - 86_400_000;
    const expected = sim.state.alerts.filter((a) => a.status === 'New' && Date.parse(a.alertCreationTime) >= dayAgo);
    assert.ok(expected.length > 1);
    useFreshStateDir();
    await helper.load([nodes.config, nodes.alerts, ...core()], playbook(sim), secretCredentials(undefined, CONFIG_ID));
    const seen = [];
    for (const [id, lane] of Object.entries(LANES)) helper.getNode(id).on('input', (msg) => seen.push({ lane, text: msg.payload }));
    let errors = 0;
    helper.getNode('mde-ex03-debug-err').on('input', () => errors++);
    helper.getNode('mde-ex03-inject').receive({});
    const end = Date.now() + 20_000;
    while (seen.length < expected.length && Date.now() < end) await sleep(50);
    await sleep(200);
    assert.equal(errors, 0);
    assert.equal(seen.length, expected.length, 'one message per new alert, each in one lane');
    const probe = seen.find((s) => s.text.includes('Playbook 03 probe'));
    assert.equal(probe.lane, 'high');
    assert.equal(probe.text, `PAGE on-call: Playbook 03 probe on ${machine.computerDnsName} (alert ${fresh.id}, ${fresh.category})`);
    const lane = (severity) => ({ High: 'high', Medium: 'medium', Low: 'low', Informational: 'low' })[severity] ?? 'other';
    const counts = (list) => list.reduce((m, x) => ({ ...m, [x]: (m[x] ?? 0) + 1 }), {});
    assert.deepEqual(counts(seen.map((s) => s.lane)), counts(expected.map((a) => lane(a.severity))));
    const names = new Set(sim.state.machines.map((m) => m.computerDnsName));
    for (const s of seen.filter((x) => x.lane !== 'other')) assert.ok(names.has(/ on (\S+)(?: \(|$)/.exec(s.text)?.[1]), `names its device: ${s.text}`);
    assert.ok(sim.requests.some((r) => r.kind === 'graph' && /\/security\/alerts_v2$/.test(r.path)));
    assert.equal(sim.requests.filter((r) => r.kind === 'api').length, 0, 'the retiring MDE API is not used');
  });
});
